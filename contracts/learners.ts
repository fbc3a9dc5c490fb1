import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../kernel/db.ts';
import type { NewEvent, StoredEvent } from '../kernel/events.ts';

/*
 * The learners stream: written in the transaction of the change it reports. Consumers never read
 * the learners subgraph, so an event carries what they need; the stream is the register's inside,
 * never shown to a client as it is (subscriptions resolve each event for their viewer). An enrollment
 * event (and an expulsion's decision) is keyed by `municipalityCode`, the learner's municipality of
 * residence when it happened, where the register knows one: the municipality follows its residents
 * by it (residentEnrollmentChanged). Added keys and events (issue 19), so the version stays.
 */

export const version = 1;

/**
 * An enrollment's full state, with, about the learner, the PGN, the birth date and the municipality
 * delivered with that enrollment (one school's word, for that enrollment only), and the birth date
 * the person source registers (null when it knows none): funding reads the registered birth date
 * where there is one and else the enrollment's own; absence routes an enrollment's reports by the
 * residence the person source gives and else by that enrollment's delivery. So one school's delivery
 * never moves another school's funding or reports.
 */
export interface EnrollmentState {
  enrollmentId: string;
  learnerId: string;
  pgn: string;
  birthDate: string;
  municipalityCode: string | null;
  registeredBirthDate: string | null;
  brin6: string;
  providerCode: string;
  locationCode: string;
  offeredProgrammeId: string;
  startDate: string;
  endDate: string | null;
  endReason: 'TRANSFER' | 'END_OF_PRIMARY_EDUCATION' | 'MOVED_ABROAD' | 'DECEASED' | 'EXPELLED' | 'OTHER' | null;
  /**
   * Where the learner goes after this enrollment ends (uitschrijving), which the municipality's
   * leerplicht work reads: a child of compulsory school age deregistered without a destination school
   * must be followed up (LPW art 18). Null while enrolled; absent from events written before issue 19.
   */
  destination?: Destination | null;
  group: number;
  /** ISO 8601. */
  registeredAt: string;
}

/** Where a deregistered learner goes: another school (in or outside po), a school abroad, special education, or not known. */
export type Destination = 'OTHER_SCHOOL' | 'ABROAD' | 'SPECIAL_EDUCATION' | 'UNKNOWN';

export interface ResultState {
  resultId: string;
  enrollmentId: string;
  schoolYear: string;
  testLevel: string | null;
  noTestReason: string | null;
  schoolAdvice: string;
}

/**
 * A transfer notice to the old school (Besluit bekostiging WPO 2022 art 10.2): `endRequired` says
 * whether the old school must end its enrollment on `proposedEndDate`, read from the notice's receipt
 * (subgraphs/learners/rules.ts, `transfersFor`), and `endRequiredReason` why, in words. Added fields,
 * so the version stays; absent from events before them, which all required the end.
 */
export interface TransferNoticeState {
  noticeId: string;
  enrollmentId: string;
  brin6: string;
  learnerPgn: string;
  newProviderCode: string;
  newLocationCode: string;
  newStartDate: string;
  proposedEndDate: string;
  endRequired?: boolean;
  endRequiredReason?: string;
}

/**
 * A BSN replaced an onderwijsnummer (WPO art 40b.5), with the birth date the person source registers
 * under it; `mergedLearnerId`, the learner that held the BSN before and is folded into this one
 * (subgraphs/learners/merge.ts), whose rows a copy moves to `learnerId` (null when nobody held it;
 * absent from events before merges), and the enrollments that were its: a copy that holds one under
 * the kept learner already (from a later event applied in the same batch) still knows it was the
 * absorbed learner's. Added fields, so the version stays.
 */
export interface PgnChange {
  learnerId: string;
  previousPgn: string;
  pgn: string;
  registeredBirthDate: string | null;
  mergedLearnerId?: string | null;
  mergedEnrollmentIds?: string[];
}

/** A school identified the learner, known by this PGN. */
export interface LearnerIdentity {
  learnerId: string;
  pgn: string;
}

/**
 * A person's change in the person source, named by its kind: PersonRegistered for one new to the
 * source, and for a change PersonDied, PersonEmigrated, PersonMoved (address or municipality) or
 * PersonCorrected (names, birth date, gender), the first of these that applies. It carries the
 * resident's BSN, residence and the facts consumers keep (never the names), and the learner the
 * register knows by that BSN, if any.
 */
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

/** A signal to a school: the source of `signalIssued`, followed by school. */
export interface SignalState {
  signalId: string;
  code: string;
  field: string | null;
}

/**
 * A step of an expulsion (verwijdering, WPO art 40.11; subgraphs/learners/expulsions.ts), named by its
 * type: ExpulsionIntended, ExpulsionDecided (which the register reports to the municipality of
 * residence, LPW art 18.1: the event is keyed by it), ExpulsionExecuted (with it the enrollment ends,
 * its LearnerDeregistered event with endReason EXPELLED in the same transaction) or ExpulsionWithdrawn.
 */
export interface ExpulsionState {
  expulsionId: string;
  enrollmentId: string;
  learnerId: string;
  brin6: string;
  status: 'INTENDED' | 'DECIDED' | 'EXECUTED' | 'WITHDRAWN';
  decidedOn: string | null;
  /** The last day attended, once executed. */
  endDate: string | null;
}

export const expulsionEventTypes = ['ExpulsionIntended', 'ExpulsionDecided', 'ExpulsionExecuted', 'ExpulsionWithdrawn'] as const;
export type ExpulsionEventType = (typeof expulsionEventTypes)[number];

/** The events that carry an enrollment's full state: what a copy of enrollments reads. */
export const enrollmentEventTypes = ['EnrollmentRegistered', 'EnrollmentChanged', 'LearnerDeregistered'] as const;
export const personEventTypes = ['PersonRegistered', 'PersonMoved', 'PersonDied', 'PersonEmigrated', 'PersonCorrected'] as const;

export type EnrollmentEventType = (typeof enrollmentEventTypes)[number];
export type PersonEventType = (typeof personEventTypes)[number];

export type LearnersPayloads = Record<EnrollmentEventType, EnrollmentState> &
  Record<PersonEventType, PersonState> &
  Record<ExpulsionEventType, ExpulsionState> & {
    ResultRecorded: ResultState;
    TransferNoticeIssued: TransferNoticeState;
    PgnReplaced: PgnChange;
    LearnerIdentified: LearnerIdentity;
    SignalIssued: SignalState;
  };

export type LearnersEventType = keyof LearnersPayloads;

/** A stored event of this stream as the contract types it; narrow it by `type`. */
export type LearnersEvent = { [T in LearnersEventType]: Omit<StoredEvent, 'type' | 'payload'> & { type: T; payload: LearnersPayloads[T] } }[LearnersEventType];

export const asLearnersEvent = (event: StoredEvent) => event as unknown as LearnersEvent;

const enrollmentTypes = new Set<string>(enrollmentEventTypes);
const personTypes = new Set<string>(personEventTypes);

export function isEnrollmentEvent(event: LearnersEvent): event is Extract<LearnersEvent, { type: EnrollmentEventType }> {
  return enrollmentTypes.has(event.type);
}

export function isPersonEvent(event: LearnersEvent): event is Extract<LearnersEvent, { type: PersonEventType }> {
  return personTypes.has(event.type);
}

/** An event of this stream as the producer writes it: the payload its type's contract gives. */
export function learnersEvent<T extends LearnersEventType>(type: T, keys: Record<string, string>, payload: LearnersPayloads[T]): NewEvent {
  return { type, keys, payload: { ...payload } };
}

/** A merge a PgnReplaced event makes: the absorbed learner's rows go to the kept one. */
export interface Merge {
  absorbed: string;
  kept: string;
  enrollmentIds: string[];
}

/** The merges these events make, in their order. */
export function mergesOf(events: readonly { type: string; payload: unknown }[]): Merge[] {
  return events.flatMap((each) => {
    const event = each as { [T in LearnersEventType]: { type: T; payload: LearnersPayloads[T] } }[LearnersEventType];
    if (event.type !== 'PgnReplaced' || !event.payload.mergedLearnerId) return [];
    return [{ absorbed: event.payload.mergedLearnerId, kept: event.payload.learnerId, enrollmentIds: event.payload.mergedEnrollmentIds ?? [] }];
  });
}

/** The same as `mergesOf`, for a copy loaded from `bulk_event` (kernel/events.ts, consumeInBulk). */
export async function mergesInBulk(tx: Db): Promise<Merge[]> {
  return mergesOf(
    rowsOf<{ type: string; payload: unknown }>(
      await tx.execute(
        sql`SELECT type, payload FROM bulk_event WHERE type = 'PgnReplaced' AND payload->>'mergedLearnerId' IS NOT NULL ORDER BY txid, position`,
      ),
    ),
  );
}
