import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { insertRows } from '../../kernel/bulk.ts';
import { appendEvents, type NewEvent } from '../../kernel/events.ts';
import { parseLocationCode, parseMunicipalityCode, parseOfferedProgrammeId, parsePgn, parsePostcode, parseProviderCode } from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { checkDocumentId, checkResend, documentFingerprint, lockDocuments, storeDocuments } from '../../kernel/documents.ts';
import { parseOptionalText, textKinds } from '../../kernel/text.ts';
import { enrollmentEvent, transferNoticeIssued } from './events.ts';
import { municipalityFor } from './residence.ts';
import { loadRio, resolveBranch } from './rio.ts';
import {
  checkAdmissionAge,
  checkBirthDate,
  checkEndDate,
  checkGroup,
  checkNoOverlap,
  checkSchoolEnrollmentNumber,
  parseNames,
  transfersFor,
  type PostcodeAreas,
} from './rules.ts';
import { document, enrollment, learner, learnerPgn, transferNotice, type EnrollmentRow, type LearnerRow, type TransferNoticeRow } from './tables.ts';

export interface LearnerInput {
  pgn: string;
  birthDate: string;
  gender: LearnerRow['gender'];
  postcode: string;
  familyName?: string | null;
  givenNames?: string | null;
  municipalityOverride?: string | null;
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

export type Outcome = { ok: true; value: Enrolled } | { ok: false; error: RegisterError };

/** The most enrollments one call may carry: one school's whole population fits, a bulk load is split. */
export const maxBulkSize = 1000;

type Parsed = { index: number; input: EnrollInput; fingerprint: string; pgn: ReturnType<typeof parsePgn>; startDate: string; endDate: string | null; postcode: string; override: string | null; number: string; brin6?: string };

/**
 * Registers enrollments for one school in one transaction (po-inwinnen, domain.md §7(a)): each
 * valid item is stored with its learner, its transfer notices and its events; each refused item is
 * reported and leaves no trace. A resent document answers what it answered the first time.
 */
export async function enroll(db: Db, school: { brin6: string; sender: string }, items: EnrollInput[], areas: PostcodeAreas): Promise<Outcome[]> {
  if (items.length > maxBulkSize) throw new RegisterError('BAD_USER_INPUT', `At most ${maxBulkSize} enrollments per call; split the rest over more calls`, 'items');
  return db.transaction(async (tx) => {
    const outcomes: (Outcome | undefined)[] = new Array(items.length);
    const pending = await sortOutResends(tx, school.sender, items, outcomes);
    const parsed = pending.flatMap((item) => attempt(outcomes, item.index, () => parseItem(item.index, item.input, item.fingerprint)));
    await attachBranches(tx, school.brin6, parsed, outcomes);
    const accepted = parsed.filter((item) => !outcomes[item.index]);
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(p)) FROM unnest(${sql.param([...new Set(accepted.map((item) => item.pgn.value))].sort())}::text[]) AS p`);
    const known = await loadLearners(tx, accepted.map((item) => item.pgn.value));
    const writes = decide(accepted, known, areas, outcomes);
    await write(tx, writes);
    await storeDocuments(tx, document, school.sender, 'enrollLearner', writes.documents);
    return outcomes.map((outcome) => outcome!);
  });
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
  const stored = await lockDocuments(tx, document, sender, items.flatMap((item, index) => attempt(outcomes, index, () => checkDocumentId(item.documentId))));
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
  const birthDate = checkBirthDate(parseDay(input.learner.birthDate, 'learner.birthDate'), today(), 'learner.birthDate');
  checkAdmissionAge(birthDate, startDate);
  if (endDate) checkEndDate(startDate, endDate, birthDate);
  checkGroup(input.group);
  return {
    index,
    input: {
      ...input,
      ...references,
      educationalConcept: parseOptionalText(input.educationalConcept, 'educationalConcept', textKinds.label),
      learner: { ...input.learner, birthDate, ...parseNames(input.learner, 'learner.') },
    },
    fingerprint,
    pgn,
    startDate,
    endDate,
    postcode: parsePostcode(input.learner.postcode, 'learner.postcode'),
    override: input.learner.municipalityOverride == null ? null : parseMunicipalityCode(input.learner.municipalityOverride, 'learner.municipalityOverride'),
    number: checkSchoolEnrollmentNumber(input.schoolEnrollmentNumber),
  };
}

/** Checks each item's RIO references against the register's copy, and that they are the asking school's. */
async function attachBranches(tx: Db, brin6: string, parsed: Parsed[], outcomes: (Outcome | undefined)[]) {
  const rio = await loadRio(tx, parsed.map((item) => item.input));
  for (const item of parsed) {
    attempt(outcomes, item.index, () => {
      item.brin6 = resolveBranch(rio, item.input, item.startDate);
      if (item.brin6 !== brin6) {
        throw new RegisterError('FORBIDDEN', `Provider ${item.input.providerCode} at location ${item.input.locationCode} is branch ${item.brin6}, not the school ${brin6} you act for`, 'locationCode');
      }
    });
  }
}

interface Known {
  learners: Map<string, LearnerRow>;
  enrollments: Map<string, EnrollmentRow[]>;
}

/** The learners holding (or having held) these PGNs, with all their enrollments. */
async function loadLearners(tx: Db, pgns: string[]): Promise<Known> {
  if (pgns.length === 0) return { learners: new Map(), enrollments: new Map() };
  const rows = await tx
    .select({ pgn: learnerPgn.pgn, learner })
    .from(learnerPgn)
    .innerJoin(learner, eq(learner.id, learnerPgn.learnerId))
    .where(inArray(learnerPgn.pgn, pgns));
  const learners = new Map(rows.map((row) => [row.pgn, row.learner]));
  const ids = [...new Set(rows.map((row) => row.learner.id))];
  const enrollments = new Map<string, EnrollmentRow[]>();
  if (ids.length) {
    for (const row of await tx.select().from(enrollment).where(inArray(enrollment.learnerId, ids))) {
      const theirs = enrollments.get(row.learnerId);
      if (theirs) theirs.push(row);
      else enrollments.set(row.learnerId, [row]);
    }
  }
  return { learners, enrollments };
}

interface Writes {
  /** Every learner this call touched, as it now stands; those in newLearnerIds are new to the register. */
  learners: Map<string, LearnerRow>;
  newLearnerIds: Set<string>;
  enrollments: EnrollmentRow[];
  notices: TransferNoticeRow[];
  events: NewEvent[];
  documents: { documentId: string; fingerprint: string; result: Enrolled }[];
}

/** Applies the rules that need the register's state, item after item, so that items of one call see each other. */
function decide(accepted: Parsed[], known: Known, areas: PostcodeAreas, outcomes: (Outcome | undefined)[]): Writes {
  const writes: Writes = { learners: new Map(), newLearnerIds: new Set(), enrollments: [], notices: [], events: [], documents: [] };
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
      const person = learnerFor(item, known, areas, now);
      const theirs = known.enrollments.get(person.id) ?? [];
      const row = enrollmentRow(item, person.id, now);
      checkNoOverlap(row, theirs);
      const notices = transfersFor(row, theirs).map((transfer) => noticeRow(transfer, row, theirs, now));
      remember(person, item.pgn.value, known, writes);
      known.enrollments.set(person.id, [...theirs, row]);
      writes.enrollments.push(row);
      writes.notices.push(...notices);
      writes.events.push(enrollmentEvent('EnrollmentRegistered', row, person), ...notices.map((notice) => transferNoticeIssued(notice, person.id, person.pgn)));
      const result = { enrollmentId: row.id, learnerId: person.id, noticeIds: notices.map((notice) => notice.id) };
      writes.documents.push({ documentId: item.input.documentId, fingerprint: item.fingerprint, result });
      answered.set(item.input.documentId, { fingerprint: item.fingerprint, result });
      outcomes[item.index] = { ok: true, value: result };
    });
  }
  return writes;
}

/** The learner as delivered now: the school's latest delivery of birth date, gender and postcode counts (Besluit ROD art 18.1.a). */
function learnerFor(item: Parsed, known: Known, areas: PostcodeAreas, now: Date): LearnerRow {
  const previous = known.learners.get(item.pgn.value);
  const delivered = item.input.learner;
  return {
    id: previous?.id ?? randomUUID(),
    pgn: previous?.pgn ?? item.pgn.value,
    pgnKind: previous?.pgnKind ?? item.pgn.kind,
    birthDate: delivered.birthDate,
    gender: delivered.gender,
    postcode: item.postcode,
    familyName: delivered.familyName?.trim() || previous?.familyName || null,
    givenNames: delivered.givenNames?.trim() || previous?.givenNames || null,
    ...municipalityFor(item.postcode, item.override, previous, areas),
    identifiedBy: previous?.identifiedBy ?? null,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
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
    group: item.input.group,
    schoolEnrollmentNumber: item.number,
    vve: item.input.vve,
    educationalConcept: item.input.educationalConcept?.trim() || null,
    registeredAt: now,
    updatedAt: now,
  };
}

function noticeRow(transfer: { enrollmentId: string; proposedEndDate: string }, row: EnrollmentRow, theirs: EnrollmentRow[], now: Date): TransferNoticeRow {
  return {
    id: randomUUID(),
    enrollmentId: transfer.enrollmentId,
    newEnrollmentId: row.id,
    brin6: theirs.find((other) => other.id === transfer.enrollmentId)!.brin6,
    newProviderCode: row.providerCode,
    newLocationCode: row.locationCode,
    newStartDate: row.startDate,
    proposedEndDate: transfer.proposedEndDate,
    status: 'OPEN',
    issuedAt: now,
    handledAt: null,
  };
}

function remember(person: LearnerRow, pgn: string, known: Known, writes: Writes): void {
  if (!known.learners.has(pgn)) writes.newLearnerIds.add(person.id);
  known.learners.set(pgn, person);
  writes.learners.set(person.id, person);
}

/** Everything one call decided, in one statement per table. */
async function write(tx: Db, writes: Writes): Promise<void> {
  const learners = [...writes.learners.values()];
  await insertRows(tx, learner, learners, sql`ON CONFLICT (id) DO UPDATE SET
    birth_date = excluded.birth_date, gender = excluded.gender, postcode = excluded.postcode,
    family_name = excluded.family_name, given_names = excluded.given_names,
    municipality_code = excluded.municipality_code, municipality_source = excluded.municipality_source,
    updated_at = excluded.updated_at`);
  const fresh = learners.filter((row) => writes.newLearnerIds.has(row.id));
  await insertRows(tx, learnerPgn, fresh.map((row) => ({ pgn: row.pgn, learnerId: row.id, kind: row.pgnKind, assignedAt: row.createdAt, replacedAt: null })));
  await insertRows(tx, enrollment, writes.enrollments);
  await insertRows(tx, transferNotice, writes.notices);
  await appendEvents(tx, 'learners', writes.events);
}
