import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../kernel/db.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { migrateAndSeed } from '../system/start.ts';
import { testDatabase } from './harness.ts';

/*
 * What PostgreSQL's system tables say of some tables of a schema, with the schema's name taken out: for
 * tests that hold a table a migration created to the one definition in the code (test/outbox.test.ts,
 * test/mandateCopy.test.ts). Migrations stay as they ran, so the code's text is checked against them.
 */

export interface TableShape {
  columns: { table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }[];
  constraints: { table_name: string; name: string; definition: string }[];
  indexes: { table_name: string; name: string; definition: string }[];
  triggers: { table_name: string; name: string; definition: string }[];
}

/** A fresh database migrated as a start migrates it, and `ddl` run in a schema of its own, `reference`, to compare with. */
export async function migratedBeside(reference: string, ddl: (schema: string) => string): Promise<Awaited<ReturnType<typeof testDatabase>>> {
  const database = await testDatabase();
  await migrateAndSeed(database, subgraphs, false, () => undefined);
  await database.rawTransaction((tx) => tx.script(`CREATE SCHEMA ${reference};\n${ddl(reference)}`));
  return database;
}

/** The columns, constraints, indexes and triggers of `tables` in `schema`, each in a stable order. */
export async function shapeOf(db: Db, schema: string, tables: readonly string[]): Promise<TableShape> {
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await db.execute(statement));
  const names = sql.param([...tables]);
  const named = (text: string | null) => text?.replaceAll(`${schema}.`, '<schema>.') ?? null;
  const columns = await query<TableShape['columns'][number]>(sql`
    SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
    WHERE table_schema = ${schema} AND table_name = ANY(${names}::text[]) ORDER BY table_name, ordinal_position`);
  const constraints = await query<TableShape['constraints'][number]>(sql`
    SELECT rel.relname AS table_name, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
    FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = rel.relnamespace
    WHERE ns.nspname = ${schema} AND rel.relname = ANY(${names}::text[]) ORDER BY 1, 2`);
  const indexes = await query<TableShape['indexes'][number]>(sql`
    SELECT tablename AS table_name, indexname AS name, indexdef AS definition FROM pg_indexes
    WHERE schemaname = ${schema} AND tablename = ANY(${names}::text[]) ORDER BY 1, 2`);
  const triggers = await query<TableShape['triggers'][number]>(sql`
    SELECT rel.relname AS table_name, tg.tgname AS name, pg_get_triggerdef(tg.oid) AS definition
    FROM pg_trigger tg JOIN pg_class rel ON rel.oid = tg.tgrelid JOIN pg_namespace ns ON ns.oid = rel.relnamespace
    WHERE ns.nspname = ${schema} AND rel.relname = ANY(${names}::text[]) AND NOT tg.tgisinternal ORDER BY 1, 2`);
  return {
    columns: columns.map((column) => ({ ...column, column_default: named(column.column_default) })),
    constraints,
    indexes: indexes.map((index) => ({ ...index, definition: named(index.definition)! })),
    triggers: triggers.map((trigger) => ({ ...trigger, definition: named(trigger.definition)! })),
  };
}
