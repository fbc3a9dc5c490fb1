import { sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { mandateCopy, mandateCopyDdl } from '../contracts/mandates.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { migratedBeside, shapeOf } from './tableShape.ts';

/*
 * Three subgraphs keep a copy of the OSR mandates (contracts/mandates.ts), each created by its own
 * migration 0002. After migrating a fresh database as a start does, each one's `mandate` table must
 * be `mandateCopyDdl`'s, column for column, constraint and index, and `mandateCopy` must declare the
 * same columns: the copy is defined once, in contracts/mandates.ts.
 */

const reference = 'kernel_mandate';

/** The subgraphs that keep the copy: those with a consumer of it (`<schema>.mandates`). */
const keepers = subgraphs
  .filter((subgraph) => subgraph.consumers?.some((consumer) => consumer.consumer === `${subgraph.name}.mandates`))
  .map((subgraph) => subgraph.name);

describe("every subgraph's migrated mandate copy is contracts/mandates.ts's", () => {
  let database: Awaited<ReturnType<typeof migratedBeside>>;

  beforeAll(async () => {
    database = await migratedBeside(reference, mandateCopyDdl);
  }, 120_000);
  afterAll(() => database?.drop());

  it("finds the copy in learners, funding and absence, and besides it only the OSR's own table in institutions", async () => {
    const schemas = rowsOf<{ schema: string }>(
      await database.db.execute(sql`
        SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'mandate' AND table_schema NOT IN (${reference}, 'institutions') ORDER BY 1`),
    );
    expect(keepers.sort()).toEqual(['absence', 'funding', 'learners']);
    expect(schemas.map((row) => row.schema)).toEqual(keepers);
  });

  it.each(keepers)('%s: the same columns, types, constraints and indexes', async (name) => {
    const defined = await shapeOf(database.db, reference, ['mandate']);
    const migrated = await shapeOf(database.db, name, ['mandate']);
    expect(defined.columns.length).toBeGreaterThan(0);
    expect(migrated).toEqual(defined);
  });

  it('declares in mandateCopy the columns the definition creates', async () => {
    const defined = await shapeOf(database.db, reference, ['mandate']);
    const declared = getTableConfig(mandateCopy(reference).table).columns.map((column) => ({
      column_name: column.name,
      data_type: column.getSQLType(),
      is_nullable: column.notNull ? 'NO' : 'YES',
    }));
    expect(declared).toEqual(defined.columns.map(({ column_name, data_type, is_nullable }) => ({ column_name, data_type, is_nullable })));
  });
});
