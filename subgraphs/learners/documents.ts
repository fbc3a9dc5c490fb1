import { and, eq, inArray, sql } from 'drizzle-orm';
import { insertRows } from '../../kernel/bulk.ts';
import type { Db } from '../../kernel/db.ts';
import { checkResend, documentFingerprint } from './rules.ts';
import { document } from './tables.ts';

export type StoredDocument = typeof document.$inferSelect;

/**
 * Locks the sender's document ids for this transaction and returns the ones already received. The
 * lock makes a resend that arrives while the first is still being stored wait for it, and then
 * find it, instead of registering the document twice.
 */
export async function lockDocuments(tx: Db, sender: string, documentIds: string[]): Promise<Map<string, StoredDocument>> {
  const ids = [...new Set(documentIds)].sort();
  if (ids.length === 0) return new Map();
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${sender} || '/' || d)) FROM unnest(${sql.param(ids)}::text[]) AS d`);
  const rows = await tx.select().from(document).where(and(eq(document.sender, sender), inArray(document.documentId, ids)));
  return new Map(rows.map((row) => [row.documentId, row]));
}

export async function storeDocuments(tx: Db, sender: string, mutation: string, documents: { documentId: string; fingerprint: string; result: unknown }[]): Promise<void> {
  const receivedAt = new Date();
  await insertRows(tx, document, documents.map((entry) => ({ sender, mutation, ...entry, result: entry.result as object, receivedAt })));
}

/**
 * One business document, once, in one transaction (domain.md §9: every message is idempotent on its
 * identificatiecode): a new document runs `work` and stores its answer with it; a resend returns the stored answer and
 * changes nothing; the same id with other content is a CONFLICT.
 */
export function once<Result>(db: Db, sender: string, mutation: string, input: { documentId: string }, work: (tx: Db) => Promise<Result>): Promise<Result> {
  return db.transaction(async (tx) => {
    const fingerprint = documentFingerprint({ mutation, input });
    const stored = (await lockDocuments(tx, sender, [input.documentId])).get(input.documentId) ?? null;
    if (checkResend(stored, fingerprint, input.documentId) === 'resend') return stored!.result as Result;
    const result = await work(tx);
    await storeDocuments(tx, sender, mutation, [{ documentId: input.documentId, fingerprint, result }]);
    return result;
  });
}
