import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { desc, getTableColumns, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { batches } from '../../kernel/bulk.ts';
import { projectRoot } from '../../kernel/config.ts';
import type { Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { eventsOf } from './events.ts';
import { planImport, type ImportPlan, type RegisterState } from './rules.ts';
import { parseSchoolFile } from './schoolFile.ts';
import { recordChanges } from './history.ts';
import { board, branch, importRun, location, offeredProgramme, provider } from './tables.ts';

/** The DUO school list that ships with the repository and seeds an empty register. */
export const bundledSchoolFile = path.join(projectRoot, 'data', 'duo-open-onderwijsdata', '02.-alle-schoolvestigingen-basisonderwijs.csv');

export interface ImportOptions {
  /** The day the file describes (YYYY-MM-DD): objects it no longer lists were last active the day before. */
  referenceDate: string;
  allowMassClosure?: boolean;
  progress?: (message: string) => void;
}

export interface ImportResult {
  runId: number | null;
  counts: ImportPlan['counts'];
  rows: number;
}

/**
 * Applies a school file to the register in one transaction: either every change lands, with its
 * history in `change` and its events in the outbox, or none does. A file that changes nothing
 * records nothing.
 */
export async function importSchoolFile(db: Db, file: string, options: ImportOptions): Promise<ImportResult> {
  const progress = options.progress ?? (() => undefined);
  const bytes = await readFile(file);
  const rows = parseSchoolFile(bytes);
  progress(`read ${rows.length} branches from ${path.basename(file)}`);
  return db.transaction(async (tx) => {
    // Imports and board changes take turns, so that a file is planned against what boards changed.
    await lockRio(tx);
    const [last] = await tx.select().from(importRun).orderBy(desc(importRun.id)).limit(1);
    if (last && last.referenceDate > options.referenceDate) {
      throw new RegisterError(
        'CONFLICT',
        `A file for ${last.referenceDate} was already applied; files are applied in date order, and ${options.referenceDate} is earlier`,
        'referenceDate',
      );
    }
    const plan = planImport(await readState(tx), rows, options.referenceDate, !last, options.allowMassClosure);
    if (plan.changes.length === 0) return { runId: null, counts: plan.counts, rows: rows.length };
    await writeAll(tx, plan);
    await appendEvents(tx, 'institutions', eventsOf(plan.writes));
    const [run] = await tx
      .insert(importRun)
      .values({
        fileName: path.basename(file),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        referenceDate: options.referenceDate,
        counts: plan.counts,
      })
      .returning({ id: importRun.id });
    // The first load's objects existed before the register knew them: its changes hold for every day.
    const effectiveOn = last ? options.referenceDate : null;
    await recordChanges(
      tx,
      { actor: `file/${path.basename(file)}`, runId: run!.id },
      plan.changes.map((change) => ({ ...change, effectiveOn })),
    );
    progress(`applied ${plan.changes.length} changes`);
    return { runId: run!.id, counts: plan.counts, rows: rows.length };
  });
}

// One query after another: inside a transaction they share one connection, which runs one at a time.
/** Every write to RIO takes this lock first: imports and board changes one at a time (and issued codes unique). */
export async function lockRio(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('institutions rio'))`);
}

async function readState(db: Db): Promise<RegisterState> {
  return {
    boards: await db.select().from(board),
    providers: await db.select().from(provider),
    locations: await db.select().from(location),
    branches: await db.select().from(branch),
    programmes: await db.select().from(offeredProgramme),
  };
}

async function writeAll(db: Db, plan: ImportPlan): Promise<void> {
  // Referenced tables first, so that every foreign key finds its row.
  await upsert(db, board, board.code, plan.writes.boards);
  await upsert(db, location, location.code, plan.writes.locations);
  await upsert(db, provider, provider.code, plan.writes.providers);
  await upsert(db, branch, branch.brin6, plan.writes.branches);
  await upsert(db, offeredProgramme, offeredProgramme.id, plan.writes.programmes);
}

async function upsert<T extends PgTable>(db: Db, table: T, key: PgColumn, rows: T['$inferInsert'][]): Promise<void> {
  const columns = getTableColumns(table);
  // `excluded` is the row that was refused for its key: take every column of it but the key.
  const set = Object.fromEntries(
    Object.entries(columns)
      .filter(([, column]) => column.name !== key.name)
      .map(([field, column]) => [field, sql.raw(`excluded.${column.name}`)]),
  );
  for (const batch of batches(rows)) {
    await db
      .insert(table)
      .values(batch)
      .onConflictDoUpdate({ target: key, set: set as never });
  }
}
