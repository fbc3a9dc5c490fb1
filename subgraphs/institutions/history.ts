import DataLoader from 'dataloader';
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { batches } from '../../kernel/bulk.ts';
import { rowsOf, type Db } from '../../kernel/db.ts';
import type { ChangeKind, Entity } from './rules.ts';
import { change, type ChangeRow } from './tables.ts';

/*
 * The history of every RIO object (README, "RIO changes by boards"): each change the school file, a
 * board or the operator made, with who, when it took effect and what it changed, in `change`. The
 * state of an object on an earlier day is its state now with the later changes undone, newest first.
 */

export type HistoryEntity = Entity | 'locationUses';

/** Who makes a set of changes: `file/<name>` with its run, `board/<code>` (a vendor acting for it in `vendorOin`), or `operator` with a reason. */
export interface Author {
  actor: string;
  vendorOin?: string | null;
  reason?: string | null;
  runId?: number | null;
}

export interface NewChange {
  entity: HistoryEntity;
  key: string;
  change: ChangeKind;
  before: unknown;
  after: unknown;
  /** The first day the change holds; null where it holds for every day (the first load, a correction). */
  effectiveOn: string | null;
}

/** Records the changes in order and returns their ids. */
export async function recordChanges(tx: Db, author: Author, changes: NewChange[]): Promise<number[]> {
  const fixed = { actor: author.actor, vendorOin: author.vendorOin ?? null, reason: author.reason ?? null, runId: author.runId ?? null };
  const ids: number[] = [];
  for (const batch of batches(changes)) {
    const rows = await tx
      .insert(change)
      .values(batch.map((item) => ({ ...fixed, ...item, before: item.before ?? null, after: item.after ?? null })))
      .returning({ id: change.id });
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

/** A difference the file reports for an object a board maintains: recorded, not applied (rules.ts). */
const applied = (row: ChangeRow) => row.change !== 'differs';

/**
 * The object as it was on `day`: its row now with every applied change that took effect after that
 * day undone, newest first; null if it was created after that day. Corrections and the first load
 * hold for every day and are never undone.
 */
export function stateOn<T extends object>(row: T, changes: readonly ChangeRow[], day: string): T | null {
  const later = changes
    .filter((item) => applied(item) && item.effectiveOn !== null && item.effectiveOn > day)
    .sort((a, b) => (a.effectiveOn! < b.effectiveOn! ? 1 : a.effectiveOn! > b.effectiveOn! ? -1 : b.id - a.id));
  const state = { ...row };
  for (const item of later) {
    if (item.change === 'created') return null;
    Object.assign(state, item.before);
  }
  return state;
}

/** The last day an applied change to the object took effect on, if any: a board's change may not take effect before it. */
export function lastEffective(changes: readonly ChangeRow[]): string | null {
  return changes.reduce<string | null>(
    (last, item) => (applied(item) && item.effectiveOn !== null && (last === null || item.effectiveOn > last) ? item.effectiveOn : last),
    null,
  );
}

export async function changesOf(db: Db, entity: HistoryEntity, key: string): Promise<ChangeRow[]> {
  return db
    .select()
    .from(change)
    .where(and(eq(change.entity, entity), eq(change.key, key)))
    .orderBy(asc(change.id));
}

/** Every object's changes, oldest first, batched per request; keys are `<entity>/<key>`. */
export function historyLoader(db: Db) {
  return new DataLoader<string, ChangeRow[]>(async (keys) => {
    const byEntity = new Map<string, string[]>();
    for (const id of keys) {
      const slash = id.indexOf('/');
      const entity = id.slice(0, slash);
      byEntity.set(entity, [...(byEntity.get(entity) ?? []), id.slice(slash + 1)]);
    }
    const rows = await db
      .select()
      .from(change)
      .where(or(...[...byEntity].map(([entity, ids]) => and(eq(change.entity, entity), inArray(change.key, ids)))))
      .orderBy(asc(change.id));
    const groups = new Map<string, ChangeRow[]>();
    for (const row of rows) {
      const id = `${row.entity}/${row.key}`;
      groups.set(id, [...(groups.get(id) ?? []), row]);
    }
    return keys.map((id) => groups.get(id) ?? []);
  });
}

/** The providers that were the board's on some day: its providers now and those a change moved away from it. */
export async function providersEverOf(db: Db, boardCode: string): Promise<string[]> {
  const rows = rowsOf<{ code: string }>(
    await db.execute(sql`SELECT code FROM institutions.provider WHERE board_code = ${boardCode}
    UNION SELECT key FROM institutions.change WHERE entity = 'providers' AND before->>'boardCode' = ${boardCode}`),
  );
  return rows.map((row) => row.code).sort();
}
