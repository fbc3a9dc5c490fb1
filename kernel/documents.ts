import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { jsonb, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core';
import { insertRows } from './bulk.ts';
import type { Db } from './db.ts';
import { RegisterError } from './errors.ts';
import { checkIdentifier, textKinds } from './text.ts';

/*
 * Business documents, each received once (docs/domain.md §9: every message is idempotent on its
 * identificatiecode). Every subgraph that takes changes has a `document` table of this shape in its
 * own schema (its migration creates it); `documentTable` declares it for drizzle.
 */

export function documentTable(schema: PgSchema) {
  return schema.table('document', {
    sender: text('sender').notNull(),
    documentId: text('document_id').notNull(),
    mutation: text('mutation').notNull(),
    fingerprint: text('fingerprint').notNull(),
    result: jsonb('result').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  });
}

export type DocumentTable = ReturnType<typeof documentTable>;

/** JSON with object keys sorted at every depth; like JSON.stringify, undefined members are left out. */
function canonicalJson(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') return 'null';
  if (typeof value === 'bigint') throw new TypeError('A document cannot hold a bigint');
  if (typeof value !== 'object') return JSON.stringify(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const members = Object.keys(value)
    .sort()
    .filter((key) => {
      const member = (value as Record<string, unknown>)[key];
      return member !== undefined && typeof member !== 'function' && typeof member !== 'symbol';
    })
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/**
 * What a delivered document says, as a SHA-256 hex digest: object keys sorted at every depth so that key order
 * does not count, and the top-level `documentId` left out, since that names the document rather than being its
 * content. Each delivery carries an identificatiecode (DUO's identificatiecodeBedrijfsdocument [S:14]); a
 * resend of one must not be registered twice (docs/domain.md §7(a)).
 */
export function documentFingerprint(value: unknown): string {
  let content = value;
  const prototype = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (prototype === Object.prototype || prototype === null) {
    const { documentId: _name, ...rest } = value as Record<string, unknown>;
    content = rest;
  }
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/**
 * Idempotent delivery (docs/domain.md §7(a)): a document id not seen before is new; seen with the same content, it is
 * a resend that gets the first answer again; seen with other content, it is refused, since one id names one document.
 */
export function checkResend(stored: { fingerprint: string } | null, fingerprint: string, documentId: string): 'new' | 'resend' {
  if (stored === null) return 'new';
  if (stored.fingerprint === fingerprint) return 'resend';
  throw new RegisterError('CONFLICT', `document ${documentId} was already received with other content`, 'documentId');
}

/** A document id as sent: free text of bounded length, no control characters (kernel/text.ts). */
export function checkDocumentId(documentId: string, field = 'documentId'): string {
  return checkIdentifier(documentId, field, textKinds.documentId);
}

export type StoredDocument = DocumentTable['$inferSelect'];

/**
 * Locks the sender's document ids for this transaction and returns the ones already received. The
 * lock makes a resend that arrives while the first is still being stored wait for it, and then
 * find it, instead of registering the document twice.
 */
export async function lockDocuments(tx: Db, document: DocumentTable, sender: string, documentIds: string[]): Promise<Map<string, StoredDocument>> {
  const ids = [...new Set(documentIds)].sort();
  if (ids.length === 0) return new Map();
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${sender} || '/' || d)) FROM unnest(${sql.param(ids)}::text[]) AS d`);
  const rows = await tx
    .select()
    .from(document)
    .where(and(eq(document.sender, sender), sql`${document.documentId} = ANY(${sql.param(ids)}::text[])`));
  return new Map(rows.map((row) => [row.documentId, row]));
}

export async function storeDocuments(
  tx: Db,
  document: DocumentTable,
  sender: string,
  mutation: string,
  documents: { documentId: string; fingerprint: string; result: unknown }[],
): Promise<void> {
  const receivedAt = new Date();
  await insertRows(
    tx,
    document,
    documents.map((entry) => ({ sender, mutation, ...entry, result: entry.result as object, receivedAt })),
  );
}

/**
 * One business document, once, in one transaction (docs/domain.md §9: every message is idempotent on its
 * identificatiecode): a new document runs `work` and stores its answer with it; a resend returns the stored answer and
 * changes nothing; the same id with other content is a CONFLICT.
 */
export function once<Result>(
  db: Db,
  document: DocumentTable,
  sender: string,
  mutation: string,
  input: { documentId: string },
  work: (tx: Db) => Promise<Result>,
): Promise<Result> {
  return db.transaction(async (tx) => {
    checkDocumentId(input.documentId);
    const fingerprint = documentFingerprint({ mutation, input });
    const stored = (await lockDocuments(tx, document, sender, [input.documentId])).get(input.documentId) ?? null;
    if (checkResend(stored, fingerprint, input.documentId) === 'resend') return stored!.result as Result;
    const result = await work(tx);
    await storeDocuments(tx, document, sender, mutation, [{ documentId: input.documentId, fingerprint, result }]);
    return result;
  });
}
