import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { anyOf, type Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { insertRows } from '../../kernel/bulk.ts';
import { appendEvents, readYourWrites, type NewEvent } from '../../kernel/events.ts';
import { covers, parseLocationCode, parseOfferedProgrammeId, parsePgn, parseProviderCode } from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { checkDocumentId, checkResend, documentFingerprint, lockDocuments, storeDocuments } from '../../kernel/documents.ts';
import { parseOptionalText, textKinds } from '../../kernel/text.ts';
import type { School } from './access.ts';
import { deliveryRow, parseDelivered, type Delivered, type DeliveredInput } from './deliveries.ts';
import { enrollmentEvent, transferNoticeIssued } from './events.ts';
import { lockPersons } from './persons.ts';
import { loadRio, resolveBranch, rioConsumer } from './copy.ts';
import {
  checkAdmissionAge,
  checkEndDate,
  checkGroup,
  checkNoOverlap,
  checkSchoolEnrollmentNumber,
  transfersFor,
  type PostcodeAreas,
  type Transfer,
} from './rules.ts';
import { reconcile, type Reconcilable } from './signals.ts';
import {
  delivery,
  document,
  enrollment,
  learner,
  learnerPgn,
  person,
  transferNotice,
  type DeliveryRow,
  type EnrollmentRow,
  type LearnerRow,
  type PersonRow,
  type TransferNoticeRow,
} from './tables.ts';

/** What a school delivers about a learner with an enrollment: the PGN and its delivery (deliveries.ts). */
export interface LearnerInput extends DeliveredInput {
  pgn: string;
}

export interface EnrollInput {
  documentId: string;
  learner: LearnerInput;
  providerCode: string;
  locationCode: string;
  offeredProgrammeId: string;
  startDate: string;
  endDate?: string | null;
  group: number;
  schoolEnrollmentNumber: string;
  vve: boolean;
  educationalConcept?: string | null;
}

/** What a stored enrollment document answers, now and on every resend. */
export interface Enrolled {
  enrollmentId: string;
  learnerId: string;
  noticeIds: string[];
}

/**
 * An item's answer. `written` is the enrollment row this call stored for it, which the caller can
 * answer with as it stands; a resent document has none, as its enrollment may have changed since.
 */
export type Outcome = { ok: true; value: Enrolled; written?: EnrollmentRow } | { ok: false; error: RegisterError };

/** The most enrollments one call may carry: one school's whole population fits, a bulk load is split. */
export const maxBulkSize = 1000;

type Parsed = {
  index: number;
  input: EnrollInput;
  fingerprint: string;
  pgn: ReturnType<typeof parsePgn>;
  delivered: Delivered;
  startDate: string;
  endDate: string | null;
  number: string;
  brin6?: string;
};

/**
 * Registers enrollments for one school in one transaction (po-inwinnen, docs/domain.md §7(a)): each
 * valid item is stored with its learner, the school's delivery, its transfer notices, the signals
 * its delivery gives against the person source, and its events; each refused item is reported and
 * leaves no trace. A resent document answers what it answered the first time.
 *
 * Whether the register knew the PGN before, and what other schools delivered, changes nothing in
 * the answer, and the same statements run either way: nothing tells the school whether a PGN is
 * known elsewhere (the only cross-school effect is the transfer notice, with its count).
 */
export async function enroll(db: Db, school: School, items: EnrollInput[], areas: PostcodeAreas): Promise<Outcome[]> {
  if (items.length > maxBulkSize)
    throw new RegisterError('BAD_USER_INPUT', `At most ${maxBulkSize} enrollments per call; split the rest over more calls`, 'items');
  // A location or programme a board registered a moment ago is known here at once: the copy of RIO
  // takes in what the institutions stream committed before the references are checked (one statement
  // when it has; README, "RIO changes by boards").
  await readYourWrites(db, rioConsumer, 2_000);
  return db.transaction(async (tx) => {
    const outcomes: (Outcome | undefined)[] = new Array(items.length);
    const pending = await sortOutResends(tx, school.sender, items, outcomes);
    const parsed = pending.flatMap((item) => attempt(outcomes, item.index, () => parseItem(item.index, item.input, item.fingerprint)));
    await attachBranches(tx, school.school, parsed, outcomes);
    const accepted = parsed.filter((item) => !outcomes[item.index]);
    await lockPgns(
      tx,
      accepted.map((item) => item.pgn.value),
    );
    await lockPersons(tx, 'shared');
    const known = await loadLearners(
      tx,
      accepted.map((item) => item.pgn.value),
    );
    const writes = decide(accepted, known, areas, outcomes);
    await write(tx, writes);
    await storeDocuments(tx, document, school.sender, 'enrollLearner', writes.documents);
    return outcomes.map((outcome) => outcome!);
  });
}

/** Serialises the writers of these PGNs' learners (enrollments, replacements), always in one order. */
export async function lockPgns(tx: Db, pgns: readonly string[]): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(p)) FROM unnest(${sql.param([...new Set(pgns)].sort())}::text[]) AS p`);
}

function attempt<T>(outcomes: (Outcome | undefined)[], index: number, work: () => T): T[] {
  try {
    return [work()];
  } catch (error) {
    if (!(error instanceof RegisterError)) throw error;
    outcomes[index] = { ok: false, error };
    return [];
  }
}

/** A resent document answers from what was stored; the rest go on to be checked. */
async function sortOutResends(tx: Db, sender: string, items: EnrollInput[], outcomes: (Outcome | undefined)[]) {
  const stored = await lockDocuments(
    tx,
    document,
    sender,
    items.flatMap((item, index) => attempt(outcomes, index, () => checkDocumentId(item.documentId))),
  );
  const pending: { index: number; input: EnrollInput; fingerprint: string }[] = [];
  items.forEach((input, index) => {
    if (outcomes[index]) return;
    const fingerprint = documentFingerprint({ mutation: 'enrollLearner', input });
    const earlier = stored.get(input.documentId) ?? null;
    const [verdict] = attempt(outcomes, index, () => checkResend(earlier, fingerprint, input.documentId));
    if (verdict === 'resend') outcomes[index] = { ok: true, value: earlier!.result as Enrolled };
    if (verdict === 'new') pending.push({ index, input, fingerprint });
  });
  return pending;
}

function parseItem(index: number, input: EnrollInput, fingerprint: string): Parsed {
  const pgn = parsePgn(input.learner.pgn, 'learner.pgn');
  const references = {
    providerCode: parseProviderCode(input.providerCode, 'providerCode'),
    locationCode: parseLocationCode(input.locationCode, 'locationCode'),
    offeredProgrammeId: parseOfferedProgrammeId(input.offeredProgrammeId, 'offeredProgrammeId'),
  };
  const startDate = parseDay(input.startDate, 'startDate');
  const endDate = input.endDate == null ? null : parseDay(input.endDate, 'endDate');
  const delivered = parseDelivered(input.learner, 'learner.');
  checkAdmissionAge(delivered.birthDate, startDate);
  if (endDate) checkEndDate(startDate, endDate, delivered.birthDate);
  checkGroup(input.group);
  return {
    index,
    input: { ...input, ...references, educationalConcept: parseOptionalText(input.educationalConcept, 'educationalConcept', textKinds.label) },
    fingerprint,
    pgn,
    delivered,
    startDate,
    endDate,
    number: checkSchoolEnrollmentNumber(input.schoolEnrollmentNumber),
  };
}

/** Checks each item's RIO references against the register's copy, and that they are at a vestiging of the asking school. */
async function attachBranches(tx: Db, school: string, parsed: Parsed[], outcomes: (Outcome | undefined)[]) {
  const rio = await loadRio(
    tx,
    parsed.map((item) => item.input),
  );
  for (const item of parsed) {
    attempt(outcomes, item.index, () => {
      item.brin6 = resolveBranch(rio, item.input, item.startDate);
      if (!covers(school, item.brin6)) {
        throw new RegisterError(
          'FORBIDDEN',
          `Provider ${item.input.providerCode} at location ${item.input.locationCode} is branch ${item.brin6}, not of the school ${school} you act for`,
          'locationCode',
        );
      }
    });
  }
}

interface Known {
  learners: Map<string, LearnerRow>;
  enrollments: Map<string, EnrollmentRow[]>;
  /** The person source's persons, by BSN, for every PGN of the call and every learner found. */
  persons: Map<string, PersonRow>;
}

/**
 * The learners holding (or having held) these PGNs, with all their enrollments, and the persons with
 * their BSNs. The same three statements run whether or not the register knows any of the PGNs.
 */
async function loadLearners(tx: Db, pgns: string[]): Promise<Known> {
  const rows = await tx
    .select({ pgn: learnerPgn.pgn, learner })
    .from(learnerPgn)
    .innerJoin(learner, eq(learner.id, learnerPgn.learnerId))
    .where(anyOf(learnerPgn.pgn, pgns));
  const learners = new Map(rows.map((row) => [row.pgn, row.learner]));
  const ids = [...new Set(rows.map((row) => row.learner.id))];
  const enrollments = new Map<string, EnrollmentRow[]>();
  for (const row of await tx.select().from(enrollment).where(anyOf(enrollment.learnerId, ids))) {
    const theirs = enrollments.get(row.learnerId);
    if (theirs) theirs.push(row);
    else enrollments.set(row.learnerId, [row]);
  }
  const bsns = [...new Set([...pgns, ...rows.map((row) => row.learner.pgn)])];
  const persons = new Map((await tx.select().from(person).where(anyOf(person.bsn, bsns))).map((row) => [row.bsn, row]));
  return { learners, enrollments, persons };
}

interface Writes {
  /** Every learner this call touched; those new to the register are added, the others stay as they are. */
  learners: Map<string, LearnerRow>;
  enrollments: EnrollmentRow[];
  deliveries: DeliveryRow[];
  reconciled: Reconcilable[];
  notices: TransferNoticeRow[];
  events: NewEvent[];
  documents: { documentId: string; fingerprint: string; result: Enrolled }[];
}

/** Applies the rules that need the register's state, item after item, so that items of one call see each other. */
function decide(accepted: Parsed[], known: Known, areas: PostcodeAreas, outcomes: (Outcome | undefined)[]): Writes {
  const writes: Writes = { learners: new Map(), enrollments: [], deliveries: [], reconciled: [], notices: [], events: [], documents: [] };
  const now = new Date();
  // A document id twice in one call: the second is a resend of the first (or a CONFLICT).
  const answered = new Map<string, { fingerprint: string; result: Enrolled }>();
  for (const item of accepted) {
    attempt(outcomes, item.index, () => {
      const earlier = answered.get(item.input.documentId) ?? null;
      if (checkResend(earlier, item.fingerprint, item.input.documentId) === 'resend') {
        outcomes[item.index] = { ok: true, value: earlier!.result };
        return;
      }
      const held = learnerFor(item, known, now);
      const theirs = known.enrollments.get(held.id) ?? [];
      const row = enrollmentRow(item, held.id, now);
      checkNoOverlap(row, theirs);
      // The notice goes out now, so the old school receives it today (art 10.2 from receipt).
      const notices = transfersFor(row, theirs, today(now)).map((transfer) => noticeRow(transfer, row, theirs, now));
      const delivered = deliveryRow({ learnerId: held.id, brin6: row.brin6, enrollmentId: row.id, pgn: item.pgn.value }, item.delivered, areas, now);
      const registered = known.persons.get(held.pgn) ?? null;
      known.learners.set(item.pgn.value, held);
      known.enrollments.set(held.id, [...theirs, row]);
      writes.learners.set(held.id, held);
      writes.enrollments.push(row);
      writes.deliveries.push(delivered);
      writes.reconciled.push({ enrollment: row, learner: held, delivered: item.delivered, person: registered });
      writes.notices.push(...notices);
      writes.events.push(
        enrollmentEvent('EnrollmentRegistered', row, { learnerId: held.id, pgn: held.pgn, delivery: delivered, registered }),
        ...notices.map((notice) => transferNoticeIssued(notice, held.id, held.pgn)),
      );
      const result = { enrollmentId: row.id, learnerId: held.id, noticeIds: notices.map((notice) => notice.id) };
      writes.documents.push({ documentId: item.input.documentId, fingerprint: item.fingerprint, result });
      answered.set(item.input.documentId, { fingerprint: item.fingerprint, result });
      outcomes[item.index] = { ok: true, value: result, written: row };
    });
  }
  return writes;
}

/** The learner holding the PGN, or a new one: the register's own part of a learner, the PGN, which a delivery does not change. */
function learnerFor(item: Parsed, known: Known, now: Date): LearnerRow {
  return known.learners.get(item.pgn.value) ?? { id: randomUUID(), pgn: item.pgn.value, pgnKind: item.pgn.kind, createdAt: now, updatedAt: now };
}

function enrollmentRow(item: Parsed, learnerId: string, now: Date): EnrollmentRow {
  return {
    id: randomUUID(),
    learnerId,
    brin6: item.brin6!,
    providerCode: item.input.providerCode,
    locationCode: item.input.locationCode,
    offeredProgrammeId: item.input.offeredProgrammeId,
    startDate: item.startDate,
    endDate: item.endDate,
    endReason: null,
    destination: null,
    group: item.input.group,
    schoolEnrollmentNumber: item.number,
    vve: item.input.vve,
    educationalConcept: item.input.educationalConcept?.trim() || null,
    registeredAt: now,
    updatedAt: now,
  };
}

export function noticeRow(transfer: Transfer, row: EnrollmentRow, theirs: readonly EnrollmentRow[], now: Date): TransferNoticeRow {
  return {
    id: randomUUID(),
    enrollmentId: transfer.enrollmentId,
    newEnrollmentId: row.id,
    brin6: theirs.find((other) => other.id === transfer.enrollmentId)!.brin6,
    newProviderCode: row.providerCode,
    newLocationCode: row.locationCode,
    newStartDate: row.startDate,
    proposedEndDate: transfer.proposedEndDate,
    endRequired: transfer.endRequired,
    endRequiredReason: transfer.endRequiredReason,
    status: 'OPEN',
    issuedAt: now,
    handledAt: null,
  };
}

/**
 * Everything one call decided, in one statement per table. Learners and their PGNs are written for
 * every item, known or not, and a known one is left as it is (ON CONFLICT DO NOTHING): the same
 * statements whether the register knew the PGN or not.
 */
async function write(tx: Db, writes: Writes): Promise<void> {
  const learners = [...writes.learners.values()];
  await insertRows(tx, learner, learners, sql`ON CONFLICT (id) DO NOTHING`);
  await insertRows(
    tx,
    learnerPgn,
    learners.map((row) => ({ pgn: row.pgn, learnerId: row.id, kind: row.pgnKind, assignedAt: row.createdAt, replacedAt: null })),
    sql`ON CONFLICT (pgn) DO NOTHING`,
  );
  await insertRows(tx, enrollment, writes.enrollments);
  await insertRows(tx, delivery, writes.deliveries);
  await insertRows(tx, transferNotice, writes.notices);
  await appendEvents(tx, 'learners', writes.events);
  await reconcile(tx, writes.reconciled);
}
