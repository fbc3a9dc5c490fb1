import {
  learnersEvent,
  type EnrollmentEventType,
  type EnrollmentState,
  type ExpulsionEventType,
  type LearnerIdentity,
  type PersonEventType,
  type PersonState,
  type PgnChange,
} from '../../contracts/learners.ts';
import type { NewEvent } from '../../kernel/events.ts';
import type { DeliveryRow, EnrollmentRow, ExpulsionRow, PersonRow, ResultRow, SignalRow, TransferNoticeRow } from './tables.ts';

/*
 * The learners stream as this subgraph writes it (docs/architecture.md, "Events and subscriptions"), each
 * event in the transaction of the change it reports; contracts/learners.ts says what each carries.
 */

/** What an enrollment event says of its learner: the PGN, this enrollment's delivery, and the person source's facts. */
export interface EnrollmentFacts {
  learnerId: string;
  pgn: string;
  delivery: Pick<DeliveryRow, 'birthDate' | 'municipalityCode'>;
  registered: Pick<PersonRow, 'birthDate' | 'municipalityCode'> | null;
}

/** The municipality of residence, as views.ts (residenceOf) gives it: the person source's, else the delivery's. */
export function residenceCode(facts: Pick<EnrollmentFacts, 'delivery' | 'registered'>): string | null {
  return facts.registered?.municipalityCode || facts.delivery.municipalityCode || null;
}

export function enrollmentState(row: EnrollmentRow, facts: EnrollmentFacts): EnrollmentState {
  return {
    enrollmentId: row.id,
    learnerId: facts.learnerId,
    pgn: facts.pgn,
    birthDate: facts.delivery.birthDate,
    municipalityCode: facts.delivery.municipalityCode,
    registeredBirthDate: facts.registered?.birthDate ?? null,
    brin6: row.brin6,
    providerCode: row.providerCode,
    locationCode: row.locationCode,
    offeredProgrammeId: row.offeredProgrammeId,
    startDate: row.startDate,
    endDate: row.endDate,
    endReason: row.endReason,
    destination: row.destination,
    group: row.group,
    registeredAt: row.registeredAt.toISOString(),
  };
}

const enrollmentKeys = (row: Pick<EnrollmentRow, 'id' | 'learnerId' | 'brin6'>) => ({ enrollmentId: row.id, learnerId: row.learnerId, brin6: row.brin6 });

/** Where the register knows the learner's residence, the event is keyed by it too: a municipality follows its residents by it. */
function withResidence(keys: Record<string, string>, municipalityCode: string | null): Record<string, string> {
  return municipalityCode ? { ...keys, municipalityCode } : keys;
}

export function enrollmentEvent(type: EnrollmentEventType, row: EnrollmentRow, facts: EnrollmentFacts): NewEvent {
  return learnersEvent(type, withResidence(enrollmentKeys(row), residenceCode(facts)), enrollmentState(row, facts));
}

/**
 * A step of an expulsion (expulsions.ts). `municipalityCode` is given for the steps the municipality of
 * residence is told of: the decision (LPW art 18.1), and a withdrawal after it.
 */
export function expulsionEvent(type: ExpulsionEventType, row: ExpulsionRow, municipalityCode: string | null): NewEvent {
  return learnersEvent(
    type,
    withResidence({ ...enrollmentKeys({ id: row.enrollmentId, learnerId: row.learnerId, brin6: row.brin6 }), expulsionId: row.id }, municipalityCode),
    {
      expulsionId: row.id,
      enrollmentId: row.enrollmentId,
      learnerId: row.learnerId,
      brin6: row.brin6,
      status: row.status,
      decidedOn: row.decidedOn,
      endDate: row.endDate,
    },
  );
}

export function resultRecorded(row: ResultRow, enrollment: EnrollmentRow): NewEvent {
  return learnersEvent(
    'ResultRecorded',
    { ...enrollmentKeys(enrollment), resultId: row.id },
    {
      resultId: row.id,
      enrollmentId: row.enrollmentId,
      schoolYear: row.schoolYear,
      testLevel: row.testLevel,
      noTestReason: row.noTestReason,
      schoolAdvice: row.schoolAdvice,
    },
  );
}

export function transferNoticeIssued(row: TransferNoticeRow, learnerId: string, pgn: string): NewEvent {
  return learnersEvent(
    'TransferNoticeIssued',
    { noticeId: row.id, enrollmentId: row.enrollmentId, learnerId, brin6: row.brin6 },
    {
      noticeId: row.id,
      enrollmentId: row.enrollmentId,
      brin6: row.brin6,
      learnerPgn: pgn,
      newProviderCode: row.newProviderCode,
      newLocationCode: row.newLocationCode,
      newStartDate: row.newStartDate,
      proposedEndDate: row.proposedEndDate,
      endRequired: row.endRequired,
      endRequiredReason: row.endRequiredReason,
    },
  );
}

export function pgnReplaced(change: PgnChange): NewEvent {
  return learnersEvent('PgnReplaced', { learnerId: change.learnerId }, change);
}

export function learnerIdentified(identity: LearnerIdentity, brin6: string): NewEvent {
  return learnersEvent('LearnerIdentified', { learnerId: identity.learnerId, brin6 }, identity);
}

/** A person's change in the person source (persons.ts), named by its kind (contracts/learners.ts, PersonState). */
export function personEvent(type: PersonEventType, person: PersonRow, learnerId: string | null, changed: string[]): NewEvent {
  const payload: PersonState = {
    bsn: person.bsn,
    learnerId,
    birthDate: person.birthDate,
    municipalityCode: person.municipalityCode,
    deceasedOn: person.deceasedOn,
    emigratedOn: person.emigratedOn,
    changed,
  };
  const keys: Record<string, string> = { bsn: person.bsn };
  if (learnerId) keys.learnerId = learnerId;
  if (person.municipalityCode) keys.municipalityCode = person.municipalityCode;
  return learnersEvent(type, keys, payload);
}

/** A signal to a school (signals.ts): the source of `signalIssued`, followed by school. */
export function signalIssued(row: SignalRow): NewEvent {
  return learnersEvent(
    'SignalIssued',
    { signalId: row.id, enrollmentId: row.enrollmentId, learnerId: row.learnerId, brin6: row.brin6 },
    { signalId: row.id, code: row.code, field: row.field },
  );
}
