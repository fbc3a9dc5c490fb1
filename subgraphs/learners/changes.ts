import { randomUUID } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import type { Destination } from '../../contracts/learners.ts';
import type { Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { parseUuid } from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { parseOptionalText, textKinds } from '../../kernel/text.ts';
import { coveredBy, notFound } from '../../kernel/reach.ts';
import { lockOwn, type School } from './access.ts';
import { deliveredMunicipality, deliveredOf, parseCorrection, type DeliveredInput } from './deliveries.ts';
import { enrollmentEvent, resultRecorded } from './events.ts';
import { destinationFor, type EndReason } from './leerplicht.ts';
import { lockPersons } from './persons.ts';
import { loadRio, resolveBranch } from './copy.ts';
import {
  checkAdmissionAge,
  checkEndDate,
  checkEndOfSchoolYear,
  checkGroup,
  checkNoOverlap,
  checkResult,
  checkResultSchoolYear,
  checkSchoolEnrollmentNumber,
  checkSchoolYear,
  type PostcodeAreas,
} from './rules.ts';
import { reconcile } from './signals.ts';
import {
  delivery,
  document,
  enrollment,
  learner,
  person,
  result,
  transferNotice,
  type DeliveryRow,
  type EnrollmentRow,
  type LearnerRow,
  type PersonRow,
} from './tables.ts';

/** An enrollment with its learner, the school's delivery and the person with the learner's BSN. */
export interface Owned {
  row: EnrollmentRow;
  learner: LearnerRow;
  delivery: DeliveryRow;
  person: PersonRow | null;
}

/** The school's own enrollment, locked, with what goes with it; any other id does not exist for the school. */
export async function ownEnrollment(tx: Db, school: School, id: string): Promise<Owned> {
  await lockPersons(tx, 'shared');
  const [locked] = await tx
    .select({ id: enrollment.id })
    .from(enrollment)
    .where(and(eq(enrollment.id, id), coveredBy(enrollment.brin6, school.school)))
    .for('update');
  if (!locked) throw notFound(`enrollment ${id}`);
  const [found] = await tx
    .select({ row: enrollment, learner, delivery, person })
    .from(enrollment)
    .innerJoin(learner, eq(learner.id, enrollment.learnerId))
    .innerJoin(delivery, eq(delivery.enrollmentId, enrollment.id))
    .leftJoin(person, eq(person.bsn, learner.pgn))
    .where(eq(enrollment.id, id));
  return found!;
}

/** The enrollment event of an enrollment as it now stands, and its signals brought in line with it. */
async function recordChange(tx: Db, type: 'EnrollmentChanged' | 'LearnerDeregistered', owned: Owned): Promise<void> {
  const { row, learner: held, delivery: delivered, person: registered } = owned;
  await appendEvents(tx, 'learners', [enrollmentEvent(type, row, { learnerId: held.id, pgn: held.pgn, delivery: delivered, registered })]);
  await reconcile(tx, [{ enrollment: row, learner: held, delivered: deliveredOf(delivered), person: registered }]);
}

const enrollmentId = (value: string) => parseUuid(value, 'enrollmentId', 'an enrollment id');

async function otherEnrollmentsAtSchool(tx: Db, row: EnrollmentRow): Promise<EnrollmentRow[]> {
  return tx
    .select()
    .from(enrollment)
    .where(and(eq(enrollment.learnerId, row.learnerId), eq(enrollment.brin6, row.brin6), ne(enrollment.id, row.id)));
}

export interface ChangeEnrollmentInput {
  documentId: string;
  enrollmentId: string;
  /** A corrected delivery: the fields given replace what the school delivered with this enrollment. */
  learner?: Partial<DeliveredInput> | null;
  startDate?: string | null;
  endDate?: string | null;
  group?: number | null;
  schoolEnrollmentNumber?: string | null;
  vve?: boolean | null;
  educationalConcept?: string | null;
}

/**
 * Corrects an enrollment and, with `learner`, the school's delivery with it: the rules of a new
 * enrollment hold for what changes (WPO art 39, Besluit bekostiging WPO 2022 art 9-10), and a
 * corrected delivery that no longer differs from the person source closes its signals.
 */
export function changeEnrollment(db: Db, school: School, input: ChangeEnrollmentInput, areas: PostcodeAreas) {
  return once(db, document, school.sender, 'changeEnrollment', input, async (tx) => {
    const owned = await ownEnrollment(tx, school, enrollmentId(input.enrollmentId));
    const { row } = owned;
    const delivered = input.learner ? parseCorrection(input.learner, deliveredOf(owned.delivery)) : deliveredOf(owned.delivery);
    const next: EnrollmentRow = {
      ...row,
      startDate: input.startDate == null ? row.startDate : parseDay(input.startDate, 'startDate'),
      endDate: input.endDate === undefined ? row.endDate : input.endDate === null ? null : parseDay(input.endDate, 'endDate'),
      group: input.group == null ? row.group : checkGroup(input.group),
      schoolEnrollmentNumber: input.schoolEnrollmentNumber == null ? row.schoolEnrollmentNumber : checkSchoolEnrollmentNumber(input.schoolEnrollmentNumber),
      vve: input.vve ?? row.vve,
      educationalConcept:
        input.educationalConcept === undefined ? row.educationalConcept : parseOptionalText(input.educationalConcept, 'educationalConcept', textKinds.label),
      updatedAt: new Date(),
    };
    if (next.startDate !== row.startDate || delivered.birthDate !== owned.delivery.birthDate) checkAdmissionAge(delivered.birthDate, next.startDate);
    if (next.startDate !== row.startDate) resolveBranch(await loadRio(tx, [row]), row, next.startDate);
    if (next.endDate) checkEndDate(next.startDate, next.endDate, delivered.birthDate);
    checkNoOverlap(next, await otherEnrollmentsAtSchool(tx, row));
    await tx.update(enrollment).set(next).where(eq(enrollment.id, row.id));
    const corrected: DeliveryRow = input.learner
      ? { ...owned.delivery, ...delivered, municipalityCode: deliveredMunicipality(delivered, areas), deliveredAt: next.updatedAt }
      : owned.delivery;
    if (input.learner) await tx.update(delivery).set(corrected).where(eq(delivery.id, corrected.id));
    await recordChange(tx, 'EnrollmentChanged', { ...owned, row: next, delivery: corrected });
    return { enrollmentId: row.id };
  });
}

export interface DeregisterInput {
  documentId: string;
  enrollmentId: string;
  endDate: string;
  reason: EndReason;
  /** Where the learner goes; left out, what the reason says (leerplicht.ts, destinationFor). */
  destination?: Destination | null;
}

/** Uitschrijving: the last day attended, why (Besluit bekostiging WPO 2022 art 10), and where the learner goes (LPW art 10, 19). */
export function deregisterLearner(db: Db, school: School, input: DeregisterInput) {
  return once(db, document, school.sender, 'deregisterLearner', input, async (tx) => {
    const owned = await ownEnrollment(tx, school, enrollmentId(input.enrollmentId));
    const destination = destinationFor(input.reason, input.destination);
    const endDate = parseDay(input.endDate, 'endDate');
    checkEndDate(owned.row.startDate, endDate, owned.delivery.birthDate);
    checkEndOfSchoolYear(input.reason, endDate);
    return end(tx, owned, { endDate, endReason: input.reason, destination });
  });
}

/** Ends the enrollment: its LearnerDeregistered event, with its signals brought in line. */
export async function end(tx: Db, owned: Owned, ending: Pick<EnrollmentRow, 'endDate' | 'endReason' | 'destination'>) {
  const next = { ...owned.row, ...ending, updatedAt: new Date() };
  await tx
    .update(enrollment)
    .set({ ...ending, updatedAt: next.updatedAt })
    .where(eq(enrollment.id, next.id));
  await recordChange(tx, 'LearnerDeregistered', { ...owned, row: next });
  return { enrollmentId: next.id };
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
    const { row, person, delivery: delivered } = await ownEnrollment(tx, school, enrollmentId(input.enrollmentId));
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
    checkResultSchoolYear(values.schoolYear, row, person?.birthDate ?? delivered.birthDate, today());
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
 * The old school handles a transfer notice (po-informatiediensten, docs/domain.md §7(c)): where the
 * notice requires it, its enrollment ends the day before the new one starts (Besluit bekostiging WPO
 * 2022 art 10.2); a notice that does not (rules.ts, `transfersFor`) is marked handled and the
 * enrollment stays as it is, for the school to correct with changeEnrollment if it wants to.
 */
export function acknowledgeTransfer(db: Db, school: School, input: { documentId: string; noticeId: string }) {
  return once(db, document, school.sender, 'acknowledgeTransfer', input, async (tx) => {
    const id = parseUuid(input.noticeId, 'noticeId', 'a transfer notice id');
    const notice = await lockOwn(tx, transferNotice, school, id, 'transfer notice');
    if (notice.status === 'HANDLED') throw new RegisterError('CONFLICT', `Transfer notice ${id} was already handled`, 'noticeId');
    const owned = await ownEnrollment(tx, school, notice.enrollmentId);
    await tx.update(transferNotice).set({ status: 'HANDLED', handledAt: new Date() }).where(eq(transferNotice.id, id));
    if (notice.endRequired) await end(tx, owned, { endDate: notice.proposedEndDate, endReason: 'TRANSFER', destination: destinationFor('TRANSFER', null) });
    return { noticeId: id, enrollmentId: owned.row.id };
  });
}
