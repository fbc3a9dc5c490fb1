import type { NewEvent } from '../../kernel/events.ts';
import type { EnrollmentRow, LearnerRow, ResultRow, TransferNoticeRow } from './tables.ts';

/**
 * The learners stream (architecture.md, "Events and subscriptions"): written in the transaction of
 * the change it reports. An enrollment event carries the enrollment's full state and the learner
 * facts that consumers need (PGN, birth date for funding, municipality of residence for absence), so
 * that a consumer never has to read this subgraph.
 */
type LearnerFacts = Pick<LearnerRow, 'id' | 'pgn' | 'birthDate' | 'municipalityCode'>;

export function enrollmentState(row: EnrollmentRow, learner: LearnerFacts) {
  return {
    enrollmentId: row.id,
    learnerId: learner.id,
    pgn: learner.pgn,
    birthDate: learner.birthDate,
    municipalityCode: learner.municipalityCode,
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

export function enrollmentEvent(type: EnrollmentEventType, row: EnrollmentRow, learner: LearnerFacts): NewEvent {
  return { type, keys: enrollmentKeys(row), payload: enrollmentState(row, learner) };
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

/** The payload of PgnReplaced. */
export interface PgnChange {
  learnerId: string;
  previousPgn: string;
  pgn: string;
}

export function pgnReplaced(learnerId: string, from: string, to: string): NewEvent {
  const payload: PgnChange = { learnerId, previousPgn: from, pgn: to };
  return { type: 'PgnReplaced', keys: { learnerId }, payload: { ...payload } };
}

/** The payload of LearnerIdentified. */
export interface LearnerState {
  learnerId: string;
  pgn: string;
  birthDate: string;
  municipalityCode: string | null;
}

export function learnerIdentified(learner: LearnerFacts): NewEvent {
  const payload: LearnerState = { learnerId: learner.id, pgn: learner.pgn, birthDate: learner.birthDate, municipalityCode: learner.municipalityCode };
  return { type: 'LearnerIdentified', keys: { learnerId: learner.id }, payload: { ...payload } };
}
