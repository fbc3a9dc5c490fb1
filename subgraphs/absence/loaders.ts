import DataLoader from 'dataloader';
import { and, asc, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../../kernel/db.ts';
import { absoluteAbsenceSignal, enrollment, exemption, report, reportDayPart, reportTransition } from './tables.ts';

function groupBy<Row>(rows: Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

/** A loader of rows by their id: `load` reads those of `ids` that exist; an id of none is null. */
function byId<Row extends { id: string }>(load: (ids: string[]) => Promise<Row[]>) {
  return new DataLoader(async (ids: readonly string[]) => {
    const rows = new Map((await load([...ids])).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  });
}

/** Per-request loaders: every report, day part list and history in one request is one batched query. */
export function absenceLoaders(db: Db) {
  return {
    report: byId((ids) => db.select().from(report).where(inArray(report.id, ids))),
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
     * enrolled was folded into this one (copy.ts, foldMerged); null when it knows it by its own.
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
    exemption: byId((ids) => db.select().from(exemption).where(inArray(exemption.id, ids))),
    absoluteAbsenceSignal: byId((ids) => db.select().from(absoluteAbsenceSignal).where(inArray(absoluteAbsenceSignal.id, ids))),
  };
}

export type AbsenceLoaders = ReturnType<typeof absenceLoaders>;
