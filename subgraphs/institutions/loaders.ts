import DataLoader from 'dataloader';
import { inArray } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../kernel/db.ts';
import { historyLoader } from './history.ts';
import { board, branch, location, locationUse, offeredProgramme, provider, vendor } from './tables.ts';

type RowOf<T extends PgTable> = T['$inferSelect'];

async function rowsWhere<T extends PgTable>(db: Db, table: T, column: PgColumn, keys: readonly string[], order: PgColumn) {
  return (await db
    .select()
    .from(table as PgTable)
    .where(inArray(column, [...keys]))
    .orderBy(order)) as RowOf<T>[];
}

/** One object per key, batched: every entity reference and link in a request goes through these. */
function one<T extends PgTable>(db: Db, table: T, column: PgColumn, field: keyof RowOf<T>) {
  return new DataLoader<string, RowOf<T> | null>(async (keys) => {
    const found = new Map((await rowsWhere(db, table, column, keys, column)).map((row) => [row[field] as string, row]));
    return keys.map((key) => found.get(key) ?? null);
  });
}

/** Every object that points at a key (a provider's branches), batched, in a stable order. */
function many<T extends PgTable>(db: Db, table: T, column: PgColumn, field: keyof RowOf<T>, order: PgColumn) {
  return new DataLoader<string, RowOf<T>[]>(async (keys) => {
    const groups = new Map<string, RowOf<T>[]>();
    for (const row of await rowsWhere(db, table, column, keys, order)) {
      const key = row[field] as string;
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}

export function institutionLoaders(db: Db) {
  return {
    board: one(db, board, board.code, 'code'),
    provider: one(db, provider, provider.code, 'code'),
    location: one(db, location, location.code, 'code'),
    branch: one(db, branch, branch.brin6, 'brin6'),
    offeredProgramme: one(db, offeredProgramme, offeredProgramme.id, 'id'),
    vendor: one(db, vendor, vendor.oin, 'oin'),
    providersOfBoard: many(db, provider, provider.boardCode, 'boardCode', provider.code),
    branchesOfProvider: many(db, branch, branch.providerCode, 'providerCode', branch.brin6),
    branchesOfLocation: many(db, branch, branch.locationCode, 'locationCode', branch.brin6),
    programmesOfProvider: many(db, offeredProgramme, offeredProgramme.providerCode, 'providerCode', offeredProgramme.id),
    programmesOfLocation: many(db, offeredProgramme, offeredProgramme.locationCode, 'locationCode', offeredProgramme.id),
    locationUse: one(db, locationUse, locationUse.id, 'id'),
    usesOfLocation: many(db, locationUse, locationUse.locationCode, 'locationCode', locationUse.startDate),
    usesOfBranch: many(db, locationUse, locationUse.brin6, 'brin6', locationUse.startDate),
    /** Changes per object, keyed `<entity>/<key>` (history.ts). */
    history: historyLoader(db),
  };
}

export type InstitutionLoaders = ReturnType<typeof institutionLoaders>;
