import DataLoader from 'dataloader';
import { and, asc, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../../kernel/db.ts';
import {
  absoluteAbsenceSignal,
  enrollment,
  exemption,
  report,
  reportDayPart,
  reportTransition,
  type AbsoluteAbsenceSignalRow,
  type ExemptionRow,
  type ReportRow,
} from './tables.ts';

function groupBy<Row>(rows: Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

/** Per-request loaders: every report, day part list and history in one request is one batched query. */
export function absenceLoaders(db: Db) {
  return {
    report: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map(
        (
          await db
            .select()
            .from(report)
            .where(inArray(report.id, [...ids]))
        ).map((row): [string, ReportRow] => [row.id, row]),
      );
      return ids.map((id) => rows.get(id) ?? null);
    }),
    dayPartsOfReport: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db
        .select()
        .from(reportDayPart)
        .where(inArray(reportDayPart.reportId, [...ids]))
        .orderBy(asc(reportDayPart.day), asc(reportDayPart.dayPart));
      const groups = groupBy(rows, (row) => row.reportId);
      return ids.map((id) => groups.get(id) ?? []);
    }),
    historyOfReport: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db
        .select()
        .from(reportTransition)
        .where(inArray(reportTransition.reportId, [...ids]))
        .orderBy(asc(reportTransition.seq));
      const groups = groupBy(rows, (row) => row.reportId);
      return ids.map((id) => groups.get(id) ?? []);
    }),
    /**
     * Keyed `learnerId/brin6`: the id by which that school knows the learner, when the learner it
     * enrolled was folded into this one (projection.ts, foldMerged); null when it knows it by its own.
     */
    absorbedLearnerAt: new DataLoader(async (keys: readonly string[]) => {
      const pairs = keys.map((key) => key.split('/') as [string, string]);
      const rows = await db
        .select({ learnerId: enrollment.learnerId, brin6: enrollment.brin6, absorbedFrom: enrollment.absorbedFrom })
        .from(enrollment)
        .where(
          and(
            inArray(
              enrollment.learnerId,
              pairs.map(([id]) => id),
            ),
            isNotNull(enrollment.absorbedFrom),
          ),
        )
        .orderBy(asc(enrollment.startDate), asc(enrollment.id));
      return keys.map((key) => rows.find((row) => `${row.learnerId}/${row.brin6}` === key)?.absorbedFrom ?? null);
    }),
    exemption: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map(
        (
          await db
            .select()
            .from(exemption)
            .where(inArray(exemption.id, [...ids]))
        ).map((row): [string, ExemptionRow] => [row.id, row]),
      );
      return ids.map((id) => rows.get(id) ?? null);
    }),
    absoluteAbsenceSignal: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map(
        (
          await db
            .select()
            .from(absoluteAbsenceSignal)
            .where(inArray(absoluteAbsenceSignal.id, [...ids]))
        ).map((row): [string, AbsoluteAbsenceSignalRow] => [row.id, row]),
      );
      return ids.map((id) => rows.get(id) ?? null);
    }),
  };
}

export type AbsenceLoaders = ReturnType<typeof absenceLoaders>;
