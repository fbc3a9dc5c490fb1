import { eq, sql } from 'drizzle-orm';
import { allowLongWork, type Db } from '../../kernel/db.ts';
import { appendEvents } from '../../kernel/events.ts';
import { today } from '../../kernel/scalars.ts';
import { assessEveryone } from './assess.ts';
import { countDateOpened } from './events.ts';
import { currentCountDate } from './rules.ts';
import { countDate, type CountDateRow } from './tables.ts';

/*
 * The count dates funding keeps statuses for. The current one (rules.ts) is opened when the first
 * enrollment event arrives on or after the day it became current: every enrollment is assessed for
 * it once, after which events keep its statuses up to date. It stays PROVISIONAL until its count-date
 * run (run.ts) makes it FINAL.
 */

export async function provisionalCountDates(db: Db): Promise<string[]> {
  const rows = await db.select({ day: countDate.countDate }).from(countDate).where(eq(countDate.phase, 'PROVISIONAL'));
  return rows.map((row) => row.day);
}

export async function countDateRow(db: Db, day: string): Promise<CountDateRow | undefined> {
  const [row] = await db.select().from(countDate).where(eq(countDate.countDate, day));
  return row;
}

export async function openCurrentCountDate(tx: Db, now = new Date()): Promise<void> {
  const day = currentCountDate(today(now));
  if (!(await countDateRow(tx, day))) await openCountDate(tx, day);
}

/**
 * Assesses every enrollment for a count date not yet kept, in the caller's transaction. Its first
 * statuses are not announced as changes: nothing changed, a count date began.
 */
export async function openCountDate(tx: Db, day: string): Promise<number> {
  // Every enrollment of the country at once: 8 s on the bench's machine (docs/performance.md).
  await allowLongWork(tx);
  await tx.insert(countDate).values({ countDate: day, phase: 'PROVISIONAL' });
  const assessed = await assessEveryone(tx, day);
  await appendEvents(tx, 'funding', [countDateOpened(day, assessed)]);
  return assessed;
}

/** The count dates funding keeps, newest first. */
export async function keptCountDates(db: Db): Promise<CountDateRow[]> {
  return db
    .select()
    .from(countDate)
    .orderBy(sql`${countDate.countDate} DESC`);
}
