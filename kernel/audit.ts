import { createHmac, type KeyObject } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { sql } from 'drizzle-orm';
import { bigserial, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';
import { valueFromASTUntyped, visit, type DocumentNode } from 'graphql';
import { rowsOf, type Db } from './db.ts';
import { isBsn, isOnderwijsnummer } from './ids/index.ts';
import type { Viewer } from './viewer.ts';

/*
 * Protocollering (docs/domain.md §10, BIO 8.15: a log line holds action, object, result, origin, actor
 * and time): every read or change of data carrying a PGN, and every refused attempt, is one line in
 * an append-only log. The PGN itself is not written: the object is a keyed hash of it, which the
 * operator can match against a PGN (`auditLog(pgn:)`) and nobody can reverse. The log is the kernel's
 * own (migrations/audit/), written by every subgraph that serves PGN data.
 *
 * On PostgreSQL the log is owned by a role of its own, register_graph_audit, and the register's role,
 * register_graph, may only add and read lines (migrations/audit/0002): that holds as long as the role
 * the register connects as is no superuser, cannot create roles and is no member of the owner.
 */

export const audit = pgSchema('audit');

export const auditLog = audit.table('log', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  register: text('register').notNull(),
  actorRole: text('actor_role').notNull(),
  actor: text('actor').notNull(),
  school: text('school'),
  action: text('action').notNull(),
  object: text('object'),
  result: text('result', { enum: ['ALLOWED', 'REFUSED'] }).notNull(),
  origin: text('origin'),
});

export type AuditResult = 'ALLOWED' | 'REFUSED';

export interface AuditEntry {
  action: string;
  /** The PGN concerned, hashed before it is written; null when the attempt named none. */
  pgn: string | null;
  result: AuditResult;
}

/** One request's accesses, written together when the response goes out. */
export class AuditTrail {
  readonly entries: AuditEntry[] = [];

  /** `key`: of the keyed hash that stands for a PGN in the log, made once per process (a KeyObject hashes in 60% of the time a string key takes). */
  constructor(private readonly key: KeyObject) {}

  record(action: string, pgn: string | null, result: AuditResult = 'ALLOWED'): void {
    this.entries.push({ action, pgn, result });
  }

  /** The keyed hash the log holds instead of the PGN (HMAC-SHA256). */
  digest(pgn: string): string {
    return createHmac('sha256', this.key).update(`pgn:${pgn}`).digest('hex');
  }
}

/** Who acted, for whom: the actor's kind and identity, and the school a vendor acted for. */
function actorOf(viewer: Viewer): { role: string; actor: string; school: string | null } {
  switch (viewer.role) {
    case 'VENDOR':
      return { role: viewer.role, actor: viewer.vendorOin, school: viewer.school };
    case 'MUNICIPALITY':
      return { role: viewer.role, actor: viewer.municipality, school: null };
    case 'BOARD':
      return { role: viewer.role, actor: viewer.board, school: null };
    case 'OPERATOR':
      return { role: viewer.role, actor: 'operator', school: null };
  }
}

/** Writes one request's trail in one statement; `register` names the subgraph that served it. */
export async function writeAudit(db: Db, register: string, viewer: Viewer, origin: string | undefined, trail: AuditTrail): Promise<void> {
  const { entries } = trail;
  if (entries.length === 0) return;
  const who = actorOf(viewer);
  const column = <T>(pick: (entry: AuditEntry) => T) => sql.param(entries.map(pick));
  await db.execute(sql`INSERT INTO audit.log (register, actor_role, actor, school, action, object, result, origin)
    SELECT ${register}, ${who.role}, ${who.actor}, ${who.school}, action, object, result, ${origin ?? null}
    FROM unnest(${column((entry) => entry.action)}::text[], ${column((entry) => (entry.pgn ? trail.digest(entry.pgn) : null))}::text[], ${column((entry) => entry.result)}::text[])
      AS entry (action, object, result)`);
}

/** Who ran a command on the register's machine (cli/): the command, the operating-system user, the host. */
export interface CommandActor {
  command: string;
  user: string;
  host: string;
}

/** This process's command and the operating-system user running it, as the audit log names them. */
export function commandActor(command: string): CommandActor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A user id without an entry in the password database (a container's): the id names the user.
    user = `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { command, user, host: hostname() };
}

/**
 * One line for a command that reads or changes personal data outside the API (BIO 8.15, as for a
 * request): the actor is the command and the user who ran it (actor role COMMAND), the origin the
 * host. `object` says what it worked on and did, never personal data: a line names no person.
 * Written in the caller's transaction, so a change and its line are stored together or not at all.
 */
export async function writeCommandAudit(
  db: Db,
  register: string,
  by: CommandActor,
  entry: { action: string; object: string; result: AuditResult },
): Promise<void> {
  await db.insert(auditLog).values({ register, actorRole: 'COMMAND', actor: `${by.command} (${by.user})`, school: null, ...entry, origin: by.host });
}

/** Arguments and input fields that carry a PGN, wherever the API takes one. */
const pgnFields = new Set(['pgn', 'bsn', 'onderwijsnummer']);

/**
 * The PGNs an operation names in its arguments, as literals or variables, nested in input objects
 * and lists: the object of an attempt that is refused before any resolver reads them.
 */
export function pgnsNamedIn(document: DocumentNode, variables: Record<string, unknown> | undefined): string[] {
  const found = new Set<string>();
  const collect = (key: string | undefined, value: unknown): void => {
    if (Array.isArray(value)) value.forEach((item) => collect(key, item));
    else if (value !== null && typeof value === 'object') Object.entries(value).forEach(([field, item]) => collect(field, item));
    else if (key !== undefined && pgnFields.has(key) && typeof value === 'string' && (isBsn(value) || isOnderwijsnummer(value))) found.add(value.trim());
  };
  visit(document, { Argument: (node) => collect(node.name.value, valueFromASTUntyped(node.value, variables)) });
  return [...found];
}

/**
 * Why the role this process connects as could still change the log on PostgreSQL: a superuser, a
 * role that may create roles (and so make itself a member of the owner), or a member of the owner.
 * Null when it can only add and read lines.
 */
export async function auditLogExposure(db: Db): Promise<string | null> {
  const [role] = rowsOf<{ name: string; superuser: boolean; createRole: boolean; owner: boolean }>(
    await db.execute(sql`SELECT rolname AS name, rolsuper AS superuser, rolcreaterole AS "createRole", pg_has_role(current_user, 'register_graph_audit', 'MEMBER') AS owner
      FROM pg_roles WHERE rolname = current_user`),
  );
  if (!role) return 'the role the register connects as is unknown';
  if (role.superuser) return `the register connects as ${role.name}, a superuser`;
  if (role.createRole)
    return `the register connects as ${role.name}, which may create roles and so make itself a member of register_graph_audit, the log's owner`;
  if (role.owner) return `the register connects as ${role.name}, a member of register_graph_audit, the log's owner`;
  return null;
}
