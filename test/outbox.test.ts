import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { outboxDdl } from '../kernel/events.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { migratedBeside, shapeOf as shapeOfTables } from './tableShape.ts';

/*
 * The kernel's tests build the outbox from `outboxDdl()`; production runs each subgraph's copy in its
 * migrations. After migrating a fresh database as a start does, every subgraph's outbox and cursor
 * table must be the kernel's, column for column, constraint, index and trigger, so that what the
 * kernel's tests prove holds for what runs. A subgraph adds only indexes for its followers' keys.
 */

/** Indexes a subgraph adds to its outbox to serve its followers (migrations/<subgraph>/0003_index_outbox_by_follower.sql; learners' municipality index in 0008). */
const followerIndexes: Record<string, string[]> = {
  institutions: [],
  learners: ['outbox_brin6', 'outbox_municipality'],
  funding: ['outbox_brin6'],
  absence: ['outbox_brin6', 'outbox_municipality'],
};

const reference = 'kernel_outbox';

describe("every subgraph's migrated outbox is the kernel's", () => {
  let database: Awaited<ReturnType<typeof migratedBeside>>;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));
  const shapeOf = (schema: string) => shapeOfTables(database.db, schema, ['outbox', 'consumer_cursor']);

  beforeAll(async () => {
    database = await migratedBeside(reference, outboxDdl);
  }, 120_000);
  afterAll(() => database?.drop());

  it('finds an outbox in each subgraph and nowhere else', async () => {
    const schemas = await query<{ schema: string }>(sql`
      SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'outbox' AND table_schema <> ${reference} ORDER BY 1`);
    expect(schemas.map((row) => row.schema)).toEqual(subgraphs.map((subgraph) => subgraph.name).sort());
    expect(Object.keys(followerIndexes).sort()).toEqual(subgraphs.map((subgraph) => subgraph.name).sort());
  });

  it.each(subgraphs.map((subgraph) => subgraph.name))('%s: the same columns, types, defaults, constraints, indexes and triggers', async (name) => {
    const kernel = await shapeOf(reference);
    const migrated = await shapeOf(name);
    expect(kernel.columns.length).toBeGreaterThan(0);
    expect(migrated.columns).toEqual(kernel.columns);
    expect(migrated.constraints).toEqual(kernel.constraints);
    expect(migrated.triggers).toEqual(kernel.triggers);
    const own = new Set(followerIndexes[name]);
    expect(migrated.indexes.filter((index) => !own.has(index.name))).toEqual(kernel.indexes);
    expect(migrated.indexes.filter((index) => own.has(index.name)).map((index) => index.name)).toEqual([...own].sort());
  });
});
