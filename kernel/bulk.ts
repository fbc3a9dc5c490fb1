import { sql, type SQL } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { allowLongWork, rowsOf, type Db } from './db.ts';

/**
 * Inserts many rows as one array per column (`INSERT … SELECT * FROM unnest($1::uuid[], …)`).
 * Measured on the bulk enrollment path: drizzle builds a multi-row VALUES list value by value, which
 * took more CPU than the database did; one array parameter per column keeps the statement the same
 * size whatever the number of rows. Every column of the table is written, so rows must be complete.
 * `conflict` is appended as is (an ON CONFLICT clause).
 */
export async function insertRows<T extends PgTable>(tx: Db, table: T, rows: T['$inferInsert'][], conflict?: SQL): Promise<void> {
  if (rows.length === 0) return;
  const { schema, name, columns } = getTableConfig(table);
  const fields = Object.entries(table as unknown as Record<string, { name?: string }>).filter(([, column]) => columns.includes(column as never));
  const arrays = fields.map(([field, column]) => {
    const type = (column as unknown as { getSQLType(): string }).getSQLType();
    const values = rows.map((row) => toParameter((row as Record<string, unknown>)[field]));
    return sql`${sql.param(values)}::${sql.raw(type)}[]`;
  });
  const target = sql`${sql.identifier(schema ?? 'public')}.${sql.identifier(name)}`;
  const names = sql.join(
    fields.map(([, column]) => sql.identifier(column.name!)),
    sql`, `,
  );
  await tx.execute(sql`INSERT INTO ${target} (${names}) SELECT * FROM unnest(${sql.join(arrays, sql`, `)}) ${conflict ?? sql``}`);
}

function toParameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * Runs `work`, a load of many rows into `tables` in the caller's transaction, with the tables'
 * indexes, primary and unique keys and the foreign keys that touch them dropped, and puts them back
 * after it, as pg_restore does: one index build over a million rows is several times faster than a
 * million inserts into the index (measured on the national population: 1.36 million learners took
 * 11 to 17 s into the indexed table, 3.8 s into a bare one with its two indexes built after). Check
 * constraints stay. Every key is checked as it is put back: a load that breaks one fails, and the
 * transaction rolls back. The tables are locked for the rest of the transaction, and analyzed.
 */
export async function loadWithoutIndexes<T>(tx: Db, tables: readonly string[], work: () => Promise<T>): Promise<T> {
  // A load like this, and the index builds after it, take minutes at the national size.
  await allowLongWork(tx);
  const targets = sql`${sql.param(tables.map(qualified))}::regclass[]`;
  const keys = rowsOf<Definition>(
    await tx.execute(sql`SELECT conrelid::regclass::text AS on_table, quote_ident(conname) AS name, pg_get_constraintdef(oid) AS definition, contype AS kind
      FROM pg_constraint WHERE (conrelid = ANY(${targets}) AND contype IN ('p', 'u')) OR (contype = 'f' AND (conrelid = ANY(${targets}) OR confrelid = ANY(${targets})))
      ORDER BY contype = 'f' DESC`),
  );
  const indexes = rowsOf<{ name: string; definition: string }>(
    await tx.execute(sql`SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition FROM pg_index
      WHERE indrelid = ANY(${targets}) AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)`),
  );
  // Foreign keys first, as they need the keys they point at; they come back last.
  for (const key of keys) await tx.execute(sql.raw(`ALTER TABLE ${key.on_table} DROP CONSTRAINT ${key.name}`));
  for (const index of indexes) await tx.execute(sql.raw(`DROP INDEX ${index.name}`));
  const result = await work();
  await tx.execute(sql`SET LOCAL maintenance_work_mem = '512MB'`);
  for (const key of [...keys].reverse().filter((key) => key.kind !== 'f'))
    await tx.execute(sql.raw(`ALTER TABLE ${key.on_table} ADD CONSTRAINT ${key.name} ${key.definition}`));
  for (const index of indexes) await tx.execute(sql.raw(index.definition));
  for (const key of keys.filter((key) => key.kind === 'f'))
    await tx.execute(sql.raw(`ALTER TABLE ${key.on_table} ADD CONSTRAINT ${key.name} ${key.definition}`));
  // Statistics now, not when autovacuum comes by: without them the planner guesses, and its guess
  // for a cursor's row comparison on a fresh 1.4 million events was a sequential scan (0.6 s a read).
  for (const table of tables) await tx.execute(sql.raw(`ANALYZE ${qualified(table)}`));
  return result;
}

interface Definition {
  on_table: string;
  name: string;
  definition: string;
  kind: 'p' | 'u' | 'f';
}

/** Whether every one of `tables` (schema-qualified) holds no row. */
export async function isEmpty(tx: Db, tables: readonly string[]): Promise<boolean> {
  const none = tables.map((table) => `NOT EXISTS (SELECT 1 FROM ${qualified(table)})`).join(' AND ');
  const [row] = rowsOf<{ empty: boolean }>(await tx.execute(sql.raw(`SELECT ${none} AS empty`)));
  return row!.empty;
}

/** A schema-qualified table name of bare lowercase words, safe to interpolate. */
function qualified(table: string): string {
  if (!/^[a-z_]+\.[a-z_]+$/.test(table)) throw new Error(`Not a schema-qualified table name: ${JSON.stringify(table)}`);
  return table;
}

/** Rows in slices of `size`: for statements that bind a parameter per value, well under PostgreSQL's 65,535. */
export function* batches<T>(rows: readonly T[], size = 1000): Generator<T[]> {
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
}
