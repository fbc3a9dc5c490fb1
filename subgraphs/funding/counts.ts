import { and, eq, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { coveredBy } from '../../kernel/reach.ts';
import type { FundingReach } from './access.ts';
import { countDateRow } from './countDates.ts';
import { notFundableReasons, type NotFundableReason } from './rules.ts';
import { countOverview, type CountDateRow } from './tables.ts';

export type CountGroup = 'BRANCH' | 'PROVIDER' | 'BOARD';

/** Counted learners and not-counted enrollments of one branch, provider or board on a count date. */
export interface FundingCount {
  countDate: CountDateRow;
  groupBy: CountGroup;
  code: string;
  counted: number;
  notCounted: number;
  /** An enrollment with several reasons is in each of them. */
  byReason: { reason: NotFundableReason; enrollments: number }[];
}

const groupColumn: Record<CountGroup, SQL> = {
  BRANCH: sql`e.brin6`,
  PROVIDER: sql`e.provider_code`,
  BOARD: sql`p.board_code`,
};

/**
 * The counts per group the viewer may see, from the kept statuses; `code` picks one group. A count
 * date's board overviews are fixed by its run (run.ts) and read as fixed from then on.
 */
export async function fundingCounts(db: Db, reach: FundingReach, day: string, groupBy: CountGroup, code?: string): Promise<FundingCount[]> {
  if (reach.kind === 'school' && groupBy !== 'BRANCH')
    throw new RegisterError('FORBIDDEN', 'A school sees the counts of its own branches only: group by BRANCH', 'groupBy');
  const kept = await countDateRow(db, day);
  if (!kept) {
    throw new RegisterError(
      'NOT_FOUND',
      `Funding keeps no statuses for count date ${day}: a count date is opened by the first enrollment change once it is current, or by its count-date run`,
      'countDate',
    );
  }
  if (kept.phase === 'FINAL' && groupBy === 'BOARD') return fixedOverviews(db, reach, kept, code);
  const where = [sql`s.count_date = ${day}`, sql`${groupColumn[groupBy]} IS NOT NULL`];
  if (reach.kind === 'school') where.push(coveredBy(sql`e.brin6`, reach.school));
  if (reach.kind === 'board') where.push(sql`p.board_code = ${reach.boardCode}`);
  if (code !== undefined) where.push(sql`${groupColumn[groupBy]} = ${code}`);
  const rows = rowsOf<{ code: string; reasons: NotFundableReason[]; n: number }>(
    await db.execute(sql`
      SELECT ${groupColumn[groupBy]} AS code, s.reasons, count(*)::int AS n
      FROM funding.status s
      JOIN funding.enrollment e ON e.id = s.enrollment_id
      LEFT JOIN funding.rio_object p ON p.kind = 'PROVIDER' AND p.code = e.provider_code
      WHERE ${sql.join(where, sql` AND `)}
      GROUP BY 1, 2
      ORDER BY 1`),
  );
  const groups = new Map<string, { counted: number; notCounted: number; byReason: Map<NotFundableReason, number> }>();
  for (const row of rows) {
    let group = groups.get(row.code);
    if (!group) groups.set(row.code, (group = { counted: 0, notCounted: 0, byReason: new Map() }));
    if (row.reasons.length === 0) group.counted += row.n;
    else group.notCounted += row.n;
    for (const reason of row.reasons) group.byReason.set(reason, (group.byReason.get(reason) ?? 0) + row.n);
  }
  return [...groups].map(([groupCode, group]) => ({
    countDate: kept,
    groupBy,
    code: groupCode,
    counted: group.counted,
    notCounted: group.notCounted,
    byReason: notFundableReasons.filter((reason) => group.byReason.has(reason)).map((reason) => ({ reason, enrollments: group.byReason.get(reason)! })),
  }));
}

async function fixedOverviews(db: Db, reach: FundingReach, kept: CountDateRow, code?: string): Promise<FundingCount[]> {
  const conditions = [eq(countOverview.countDate, kept.countDate)];
  if (reach.kind === 'board') conditions.push(eq(countOverview.boardCode, reach.boardCode));
  if (code !== undefined) conditions.push(eq(countOverview.boardCode, code));
  const rows = await db
    .select()
    .from(countOverview)
    .where(and(...conditions))
    .orderBy(countOverview.boardCode);
  return rows.map((row) => ({
    countDate: kept,
    groupBy: 'BOARD',
    code: row.boardCode,
    counted: row.counted,
    notCounted: row.notCounted,
    byReason: notFundableReasons.filter((reason) => reason in row.byReason).map((reason) => ({ reason, enrollments: row.byReason[reason]! })),
  }));
}
