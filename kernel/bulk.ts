import { sql, type SQL } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './db.ts';

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
  const names = sql.join(fields.map(([, column]) => sql.identifier(column.name!)), sql`, `);
  await tx.execute(sql`INSERT INTO ${target} (${names}) SELECT * FROM unnest(${sql.join(arrays, sql`, `)}) ${conflict ?? sql``}`);
}

function toParameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}
