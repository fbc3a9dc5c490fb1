import { randomUUID } from 'node:crypto';
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { isOnderwijsnummer, parseBsn, parseOnderwijsnummer, parsePostcode, parseUuid } from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { parseOptionalText, textKinds } from '../../kernel/text.ts';
import { notFound } from './access.ts';
import { learnersVisibleTo } from './loaders.ts';
import { enrollmentEvent, learnerIdentified, pgnReplaced, resultRecorded } from './events.ts';
import { municipalityFor } from './residence.ts';
import { loadRio, resolveBranch } from './rio.ts';
import {
  checkAdmissionAge,
  checkBirthDate,
  checkEndDate,
  checkEndOfSchoolYear,
  checkGroup,
  checkNoOverlap,
  checkResult,
  checkResultSchoolYear,
  checkSchoolEnrollmentNumber,
  checkSchoolYear,
  lastOnderwijsnummerSerial,
  onderwijsnummerFor,
  parseNames,
  type PostcodeAreas,
} from './rules.ts';
import { document, enrollment, learner, learnerPgn, result, transferNotice, type EnrollmentRow, type LearnerRow } from './tables.ts';

type School = { brin6: string; sender: string };

/** The school's own enrollment with its learner; any other id does not exist for the school. */
async function ownEnrollment(tx: Db, school: School, id: string): Promise<{ row: EnrollmentRow; person: LearnerRow }> {
  const [found] = await tx
    .select({ row: enrollment, person: learner })
    .from(enrollment)
    .innerJoin(learner, eq(learner.id, enrollment.learnerId))
    .where(and(eq(enrollment.id, id), eq(enrollment.brin6, school.brin6)))
    .for('update');
  if (!found) throw notFound(`enrollment ${id}`);
  return found;
}

const enrollmentId = (value: string) => parseUuid(value, 'enrollmentId', 'an enrollment id');

async function otherEnrollmentsAtSchool(tx: Db, row: EnrollmentRow): Promise<EnrollmentRow[]> {
  return tx.select().from(enrollment).where(and(eq(enrollment.learnerId, row.learnerId), eq(enrollment.brin6, row.brin6), ne(enrollment.id, row.id)));
}

export interface ChangeEnrollmentInput {
  documentId: string;
  enrollmentId: string;
  startDate?: string | null;
  endDate?: string | null;
  group?: number | null;
  schoolEnrollmentNumber?: string | null;
  vve?: boolean | null;
  educationalConcept?: string | null;
}

/** Corrects an enrollment: the rules of a new enrollment hold for what changes (WPO art 39, Besluit bekostiging WPO 2022 art 9-10). */
export function changeEnrollment(db: Db, school: School, input: ChangeEnrollmentInput) {
  return once(db, document, school.sender, 'changeEnrollment', input, async (tx) => {
    const { row, person } = await ownEnrollment(tx, school, enrollmentId(input.enrollmentId));
    const next: EnrollmentRow = {
      ...row,
      startDate: input.startDate == null ? row.startDate : parseDay(input.startDate, 'startDate'),
      endDate: input.endDate === undefined ? row.endDate : input.endDate === null ? null : parseDay(input.endDate, 'endDate'),
      group: input.group == null ? row.group : checkGroup(input.group),
      schoolEnrollmentNumber: input.schoolEnrollmentNumber == null ? row.schoolEnrollmentNumber : checkSchoolEnrollmentNumber(input.schoolEnrollmentNumber),
      vve: input.vve ?? row.vve,
      educationalConcept: input.educationalConcept === undefined ? row.educationalConcept : parseOptionalText(input.educationalConcept, 'educationalConcept', textKinds.label),
      updatedAt: new Date(),
    };
    if (next.startDate !== row.startDate) {
      checkAdmissionAge(person.birthDate, next.startDate);
      resolveBranch(await loadRio(tx, [row]), row, next.startDate);
    }
    if (next.endDate) checkEndDate(next.startDate, next.endDate, person.birthDate);
    checkNoOverlap(next, await otherEnrollmentsAtSchool(tx, row));
    await tx.update(enrollment).set(next).where(eq(enrollment.id, row.id));
    await appendEvents(tx, 'learners', [enrollmentEvent('EnrollmentChanged', next, person)]);
    return { enrollmentId: row.id };
  });
}

export interface DeregisterInput {
  documentId: string;
  enrollmentId: string;
  endDate: string;
  reason: NonNullable<EnrollmentRow['endReason']>;
}

/** Uitschrijving: the last day attended, and why (Besluit bekostiging WPO 2022 art 10). */
export function deregisterLearner(db: Db, school: School, input: DeregisterInput) {
  return once(db, document, school.sender, 'deregisterLearner', input, async (tx) => {
    const { row, person } = await ownEnrollment(tx, school, enrollmentId(input.enrollmentId));
    const endDate = parseDay(input.endDate, 'endDate');
    checkEndDate(row.startDate, endDate, person.birthDate);
    checkEndOfSchoolYear(input.reason, endDate);
    return end(tx, row, person, endDate, input.reason);
  });
}

async function end(tx: Db, row: EnrollmentRow, person: LearnerRow, endDate: string, reason: DeregisterInput['reason']) {
  const next = { ...row, endDate, endReason: reason, updatedAt: new Date() };
  await tx.update(enrollment).set({ endDate, endReason: reason, updatedAt: next.updatedAt }).where(eq(enrollment.id, row.id));
  await appendEvents(tx, 'learners', [enrollmentEvent('LearnerDeregistered', next, person)]);
  return { enrollmentId: row.id };
}

export interface RecordResultInput {
  documentId: string;
  enrollmentId: string;
  schoolYear: string;
  testLevel?: string | null;
  noTestReason?: string | null;
  schoolAdvice: string;
}

/** Resultaat (Besluit ROD art 7.1): one per enrollment and school year; recording it again corrects it. */
export function recordResult(db: Db, school: School, input: RecordResultInput) {
  return once(db, document, school.sender, 'recordResult', input, async (tx) => {
    const { row, person } = await ownEnrollment(tx, school, enrollmentId(input.enrollmentId));
    checkResult(input);
    const values = {
      id: randomUUID(),
      enrollmentId: row.id,
      schoolYear: checkSchoolYear(input.schoolYear),
      testLevel: input.testLevel ?? null,
      noTestReason: input.noTestReason ?? null,
      schoolAdvice: input.schoolAdvice,
      recordedAt: new Date(),
    };
    checkResultSchoolYear(values.schoolYear, row, person.birthDate, today());
    const [stored] = await tx
      .insert(result)
      .values(values)
      .onConflictDoUpdate({
        target: [result.enrollmentId, result.schoolYear],
        set: { testLevel: values.testLevel, noTestReason: values.noTestReason, schoolAdvice: values.schoolAdvice, recordedAt: values.recordedAt },
      })
      .returning();
    await appendEvents(tx, 'learners', [resultRecorded(stored!, row)]);
    return { resultId: stored!.id, enrollmentId: row.id };
  });
}

/**
 * The old school handles a transfer notice (po-informatiediensten, domain.md §7(c)): its enrollment
 * ends the day before the new one starts (Besluit bekostiging WPO 2022 art 10.2).
 */
export function acknowledgeTransfer(db: Db, school: School, input: { documentId: string; noticeId: string }) {
  return once(db, document, school.sender, 'acknowledgeTransfer', input, async (tx) => {
    const id = parseUuid(input.noticeId, 'noticeId', 'a transfer notice id');
    const [notice] = await tx.select().from(transferNotice).where(and(eq(transferNotice.id, id), eq(transferNotice.brin6, school.brin6))).for('update');
    if (!notice) throw notFound(`transfer notice ${id}`);
    if (notice.status === 'HANDLED') throw new RegisterError('CONFLICT', `Transfer notice ${id} was already handled`, 'noticeId');
    const { row, person } = await ownEnrollment(tx, school, notice.enrollmentId);
    await tx.update(transferNotice).set({ status: 'HANDLED', handledAt: new Date() }).where(eq(transferNotice.id, id));
    await end(tx, row, person, notice.proposedEndDate, 'TRANSFER');
    return { noticeId: id, enrollmentId: row.id };
  });
}

export interface IdentifyInput {
  documentId: string;
  birthDate: string;
  gender: LearnerRow['gender'];
  postcode: string;
  familyName: string;
  givenNames?: string | null;
}

/** A child without a PGN gets a new onderwijsnummer, never given before (WPO art 40b.3-4). */
export function identifyLearner(db: Db, school: School, input: IdentifyInput, areas: PostcodeAreas) {
  return once(db, document, school.sender, 'identifyLearner', input, async (tx) => {
    const birthDate = checkBirthDate(parseDay(input.birthDate, 'birthDate'), today());
    const postcode = parsePostcode(input.postcode, 'postcode');
    const { familyName, givenNames } = parseNames(input);
    if (!familyName) throw badInput('familyName', 'A child without a PGN is identified by its family name, among others');
    const pgn = await issueOnderwijsnummer(tx);
    const now = new Date();
    const person: LearnerRow = {
      id: randomUUID(),
      pgn,
      pgnKind: 'ONDERWIJSNUMMER',
      birthDate,
      gender: input.gender,
      postcode,
      familyName,
      givenNames,
      ...municipalityFor(postcode, null, undefined, areas),
      identifiedBy: school.brin6,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(learner).values(person);
    await tx.insert(learnerPgn).values({ pgn, learnerId: person.id, kind: 'ONDERWIJSNUMMER', assignedAt: now });
    await appendEvents(tx, 'learners', [learnerIdentified(person)]);
    return { learnerId: person.id };
  });
}

/**
 * The next serial that gives a valid onderwijsnummer nobody holds or held (rules.ts, onderwijsnummerFor).
 * The sequence stops at the last serial; past it there is no number left to issue.
 */
async function issueOnderwijsnummer(tx: Db): Promise<string> {
  for (;;) {
    const [next] = rowsOf<{ serial: number | null }>(
      await tx.execute(sql`SELECT CASE WHEN last_value < ${lastOnderwijsnummerSerial} OR NOT is_called THEN nextval('learners.onderwijsnummer_serial')::int END AS serial FROM learners.onderwijsnummer_serial`),
    );
    if (next?.serial == null) throw new RegisterError('CONFLICT', 'No onderwijsnummer is left to issue: every serial has been used');
    const candidate = onderwijsnummerFor(next.serial);
    if (candidate === null) continue;
    const [held] = await tx.select({ pgn: learnerPgn.pgn }).from(learnerPgn).where(eq(learnerPgn.pgn, candidate));
    if (!held) return candidate;
  }
}

/**
 * A BSN that became known replaces the onderwijsnummer at once (WPO art 40b.5); the learner keeps
 * its enrollments, and the onderwijsnummer stays on record as a former PGN.
 */
export function replacePgn(db: Db, school: School, input: { documentId: string; onderwijsnummer: string; bsn: string }) {
  return once(db, document, school.sender, 'replacePgn', input, async (tx) => {
    const from = parseOnderwijsnummer(input.onderwijsnummer, 'onderwijsnummer');
    const to = parseBsn(input.bsn, 'bsn');
    const [held] = await tx.select({ person: learner }).from(learnerPgn).innerJoin(learner, eq(learner.id, learnerPgn.learnerId)).where(eq(learnerPgn.pgn, from)).for('update');
    if (!held || !(await learnersVisibleTo(tx, [`${held.person.id}/${school.brin6}`]))[0]) throw notFound(`learner with onderwijsnummer ${from}`);
    const person = held.person;
    if (person.pgn === to) return { learnerId: person.id };
    if (!isOnderwijsnummer(person.pgn)) throw new RegisterError('CONFLICT', `The learner's onderwijsnummer was already replaced by a BSN`, 'onderwijsnummer');
    const [taken] = await tx.select({ pgn: learnerPgn.pgn }).from(learnerPgn).where(eq(learnerPgn.pgn, to));
    if (taken) throw new RegisterError('CONFLICT', `BSN ${to} belongs to another learner in the register`, 'bsn');
    const now = new Date();
    await tx.update(learnerPgn).set({ replacedAt: now }).where(and(eq(learnerPgn.pgn, person.pgn), isNull(learnerPgn.replacedAt)));
    await tx.insert(learnerPgn).values({ pgn: to, learnerId: person.id, kind: 'BSN', assignedAt: now });
    await tx.update(learner).set({ pgn: to, pgnKind: 'BSN', updatedAt: now }).where(eq(learner.id, person.id));
    await appendEvents(tx, 'learners', [pgnReplaced(person.id, person.pgn, to)]);
    return { learnerId: person.id };
  });
}
