import DataLoader from 'dataloader';
import { asc, inArray } from 'drizzle-orm';
import type { Db } from '../../kernel/db.ts';
import { exemption, report, reportDayPart, reportTransition, type ExemptionRow, type ReportRow } from './tables.ts';

function groupBy<Row>(rows: Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

/** Per-request loaders: every report, day part list and history in one request is one batched query. */
export function absenceLoaders(db: Db) {
  return {
    report: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map((await db.select().from(report).where(inArray(report.id, [...ids]))).map((row): [string, ReportRow] => [row.id, row]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    dayPartsOfReport: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.select().from(reportDayPart).where(inArray(reportDayPart.reportId, [...ids])).orderBy(asc(reportDayPart.day), asc(reportDayPart.dayPart));
      const groups = groupBy(rows, (row) => row.reportId);
      return ids.map((id) => groups.get(id) ?? []);
    }),
    historyOfReport: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.select().from(reportTransition).where(inArray(reportTransition.reportId, [...ids])).orderBy(asc(reportTransition.seq));
      const groups = groupBy(rows, (row) => row.reportId);
      return ids.map((id) => groups.get(id) ?? []);
    }),
    exemption: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map((await db.select().from(exemption).where(inArray(exemption.id, [...ids]))).map((row): [string, ExemptionRow] => [row.id, row]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
  };
}

export type AbsenceLoaders = ReturnType<typeof absenceLoaders>;
