import { sql } from 'drizzle-orm';
import { allowLongWork, rowsOf, type Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { appendEvents, catchUpWithCommitted, lockCursor } from '../../kernel/events.ts';
import { today } from '../../kernel/scalars.ts';
import { countDateRow, openCountDate } from './countDates.ts';
import { fundingCounts } from './counts.ts';
import { countDateFinalised } from './events.ts';
import { extensionsInForce } from './extensions.ts';
import { learnersConsumer, rioConsumer } from './projection.ts';
import { isCountDate, registrationDeadline } from './rules.ts';
import { countDate, countOverview, type CountDateRow } from './tables.ts';

/**
 * The count-date run (journey 3): once the registration window after a count date has closed (four
 * weeks, to a working day: rules.ts, registrationDeadline), and every extension the minister granted a
 * school under art 7.3 has ended too, the operator makes its statuses FINAL and fixes the overview per
 * board that DUO sends within 8 weeks (Besluit bekostiging WPO 2022 art 7 [S:34]). It first takes in every event already written, then holds both
 * consumers still, so that the statuses it fixes are those of one moment. A count date never opened
 * is assessed in the same transaction. Later changes no longer touch a FINAL count date.
 */
export async function runCountDate(db: Db, day: string, log: (message: string) => void, now = new Date()): Promise<CountDateRow> {
  if (!isCountDate(day)) throw new RegisterError('BAD_USER_INPUT', `${day} is not a count date: the count date is 1 February (WPO art 118.1)`, 'countDate');
  if (today(now) <= registrationDeadline(day)) {
    throw new RegisterError(
      'CONFLICT',
      `The registration window of count date ${day} is open until ${registrationDeadline(day)}: run it after that day`,
      'countDate',
    );
  }
  // Also events held back for a moment by an older open transaction (kernel/events.ts).
  await catchUpWithCommitted(db, learnersConsumer, 60_000);
  await catchUpWithCommitted(db, rioConsumer, 60_000);
  return db.transaction(async (tx) => {
    // The run counts every status of the count date, and may assess every enrollment first: 11 s for
    // 1.4 million on the bench's machine (docs/performance.md), more on a busy one.
    await allowLongWork(tx);
    await lockCursor(tx, learnersConsumer);
    await lockCursor(tx, rioConsumer);
    // After the locks, which an extension's grant takes too (grant.ts): none is granted meanwhile.
    await refuseWhileExtended(tx, day, today(now));
    const kept = rowsOf<{ phase: string }>(await tx.execute(sql`SELECT phase FROM funding.count_date WHERE count_date = ${day} FOR UPDATE`))[0];
    if (kept?.phase === 'FINAL') throw new RegisterError('CONFLICT', `Count date ${day} has been run already; its statuses are final`, 'countDate');
    if (!kept) {
      log(`count date ${day}: assessing every enrollment`);
      log(`count date ${day}: ${await openCountDate(tx, day)} enrollments assessed`);
    }
    // Counting every status of the count date is one join of 1.4 million statuses with their
    // enrollments. The statistics must know the statuses this transaction may just have written, and
    // even then the planner prefers 1.4 million index lookups to one hash join: 3.9 s against 1.2 s,
    // measured with EXPLAIN ANALYZE on the population of bench/countDate.ts.
    await tx.execute(sql`ANALYZE funding.status`);
    await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
    await tx.execute(sql`SET LOCAL enable_nestloop = off`);
    const boards = await fundingCounts(tx, { kind: 'all' }, day, 'BOARD');
    await tx
      .update(countDate)
      .set({ phase: 'FINAL', finalisedAt: sql`now()` })
      .where(sql`${countDate.countDate} = ${day}`);
    if (boards.length) {
      await tx.insert(countOverview).values(
        boards.map((board) => ({
          countDate: day,
          boardCode: board.code,
          counted: board.counted,
          notCounted: board.notCounted,
          byReason: Object.fromEntries(board.byReason.map(({ reason, enrollments }) => [reason, enrollments])),
        })),
      );
    }
    const counted = boards.reduce((sum, board) => sum + board.counted, 0);
    const notCounted = boards.reduce((sum, board) => sum + board.notCounted, 0);
    await appendEvents(tx, 'funding', [countDateFinalised(day, counted, notCounted)]);
    log(`count date ${day}: final, ${counted} learners counted and ${notCounted} enrollments not, over ${boards.length} boards`);
    return (await countDateRow(tx, day))!;
  });
}

/** CONFLICT while a school's registration window for the count date is extended to `day` or later (art 7.3). */
async function refuseWhileExtended(tx: Db, countDate: string, day: string): Promise<void> {
  const open = [...(await extensionsInForce(tx, countDate))].filter(([, until]) => until >= day).sort((a, b) => (a[1] < b[1] ? 1 : -1));
  if (open.length === 0) return;
  const [school, until] = open[0]!;
  throw new RegisterError(
    'CONFLICT',
    `The registration window of count date ${countDate} is extended for school ${school} until ${until} (art 7.3): run it after that day`,
    'countDate',
  );
}
