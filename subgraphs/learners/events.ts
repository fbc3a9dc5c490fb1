import type { NewEvent } from '../../kernel/events.ts';
import type { DeliveryRow, EnrollmentRow, PersonRow, ResultRow, SignalRow, TransferNoticeRow } from './tables.ts';

/**
 * The learners stream (architecture.md, "Events and subscriptions"): written in the transaction of
 * the change it reports. Consumers never read this subgraph, so an event carries what they need;
 * the stream is the register's inside, never shown to a client as it is (subscriptions resolve each
 * event for their viewer).
 *
 * An enrollment event carries the enrollment's full state and, about the learner, the PGN, the
 * birth date and the municipality delivered with that enrollment (one school's word, for that
 * enrollment only), and the birth date the person source registers (null when it knows none):
 * funding reads the registered birth date where there is one and else the enrollment's own, absence
 * routes an enrollment's reports by the residence the person source gives and else by that
 * enrollment's delivery. So one school's delivery never moves another school's funding or reports.
 */
export interface EnrollmentFacts {
  learnerId: string;
  pgn: string;
  delivery: Pick<DeliveryRow, 'birthDate' | 'municipalityCode'>;
  registered: Pick<PersonRow, 'birthDate'> | null;
}

export function enrollmentState(row: EnrollmentRow, facts: EnrollmentFacts) {
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
    group: row.group,
    registeredAt: row.registeredAt.toISOString(),
  };
}

const enrollmentKeys = (row: EnrollmentRow) => ({ enrollmentId: row.id, learnerId: row.learnerId, brin6: row.brin6 });

/** The events that carry an enrollment's full state (`enrollmentState`): what a copy of enrollments reads. */
export const enrollmentEventTypes = ['EnrollmentRegistered', 'EnrollmentChanged', 'LearnerDeregistered'] as const;

export type EnrollmentEventType = (typeof enrollmentEventTypes)[number];

export function enrollmentEvent(type: EnrollmentEventType, row: EnrollmentRow, facts: EnrollmentFacts): NewEvent {
  return { type, keys: enrollmentKeys(row), payload: enrollmentState(row, facts) };
}

export function resultRecorded(row: ResultRow, enrollment: EnrollmentRow): NewEvent {
  return {
    type: 'ResultRecorded',
    keys: { ...enrollmentKeys(enrollment), resultId: row.id },
    payload: { resultId: row.id, enrollmentId: row.enrollmentId, schoolYear: row.schoolYear, testLevel: row.testLevel, noTestReason: row.noTestReason, schoolAdvice: row.schoolAdvice },
  };
}

export function transferNoticeIssued(row: TransferNoticeRow, learnerId: string, pgn: string): NewEvent {
  return {
    type: 'TransferNoticeIssued',
    keys: { noticeId: row.id, enrollmentId: row.enrollmentId, learnerId, brin6: row.brin6 },
    payload: {
      noticeId: row.id,
      enrollmentId: row.enrollmentId,
      brin6: row.brin6,
      learnerPgn: pgn,
      newProviderCode: row.newProviderCode,
      newLocationCode: row.newLocationCode,
      newStartDate: row.newStartDate,
      proposedEndDate: row.proposedEndDate,
    },
  };
}

/**
 * The payload of PgnReplaced: the new PGN, and the birth date the person source registers under it;
 * `mergedLearnerId`, the learner that held the BSN before and is folded into this one (merge.ts),
 * whose rows a copy moves to `learnerId` (null when nobody held it; absent from events before merges),
 * and the enrollments that were its: a copy that holds one under the kept learner already (from a
 * later event applied in the same batch) still knows it was the absorbed learner's.
 */
export interface PgnChange {
  learnerId: string;
  previousPgn: string;
  pgn: string;
  registeredBirthDate: string | null;
  mergedLearnerId?: string | null;
  mergedEnrollmentIds?: string[];
}

/** A merge a PgnReplaced event makes (merge.ts). */
export interface Merge {
  absorbed: string;
  kept: string;
  enrollmentIds: string[];
}

/** The merges these events make, in their order. */
export function mergesOf(events: readonly { type: string; payload: unknown }[]): Merge[] {
  return events.flatMap((event) => {
    const change = event.payload as PgnChange;
    return event.type === 'PgnReplaced' && change.mergedLearnerId ? [{ absorbed: change.mergedLearnerId, kept: change.learnerId, enrollmentIds: change.mergedEnrollmentIds ?? [] }] : [];
  });
}

/** The same as `mergesOf`, for a copy loaded from `bulk_event` (kernel/events.ts, consumeInBulk). */
export const bulkMerges = `SELECT type, payload FROM bulk_event WHERE type = 'PgnReplaced' AND payload->>'mergedLearnerId' IS NOT NULL ORDER BY txid, position`;

export function pgnReplaced(change: PgnChange): NewEvent {
  return { type: 'PgnReplaced', keys: { learnerId: change.learnerId }, payload: { ...change } };
}

/** The payload of LearnerIdentified: a school identified the learner, known by this PGN. */
export interface LearnerIdentity {
  learnerId: string;
  pgn: string;
}

export function learnerIdentified(identity: LearnerIdentity, brin6: string): NewEvent {
  return { type: 'LearnerIdentified', keys: { learnerId: identity.learnerId, brin6 }, payload: { ...identity } };
}

/**
 * A person's change in the person source (persons.ts), named by its kind: PersonRegistered for one
 * new to the source, and for a change PersonDied, PersonEmigrated, PersonMoved (address or
 * municipality) or PersonCorrected (names, birth date, gender), the first of these that applies.
 * Each carries the resident's BSN, residence and the facts consumers keep (not the names), and the
 * learner the register knows by that BSN, if any: absence keeps its residents by BSN, funding the
 * registered birth date per learner.
 */
export const personEventTypes = ['PersonRegistered', 'PersonMoved', 'PersonDied', 'PersonEmigrated', 'PersonCorrected'] as const;

export type PersonEventType = (typeof personEventTypes)[number];

export interface PersonState {
  bsn: string;
  learnerId: string | null;
  birthDate: string;
  municipalityCode: string | null;
  deceasedOn: string | null;
  emigratedOn: string | null;
  /** The person fields that changed; every field for PersonRegistered. */
  changed: string[];
}

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
  return { type, keys, payload: { ...payload } };
}

/** A signal to a school (signals.ts): the source of `signalIssued`, followed by school. */
export function signalIssued(row: SignalRow): NewEvent {
  return {
    type: 'SignalIssued',
    keys: { signalId: row.id, enrollmentId: row.enrollmentId, learnerId: row.learnerId, brin6: row.brin6 },
    payload: { signalId: row.id, code: row.code, field: row.field },
  };
}
