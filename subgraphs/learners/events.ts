import type { NewEvent } from '../../kernel/events.ts';
import type { EnrollmentRow, LearnerRow, ResultRow, TransferNoticeRow } from './tables.ts';

/**
 * The learners stream (architecture.md, "Events and subscriptions"): written in the transaction of
 * the change it reports. An enrollment event carries the enrollment's full state and the learner
 * facts that funding needs (PGN, birth date), so that a consumer never has to read this subgraph.
 */
export function enrollmentState(row: EnrollmentRow, learner: Pick<LearnerRow, 'id' | 'pgn' | 'birthDate'>) {
  return {
    enrollmentId: row.id,
    learnerId: learner.id,
    pgn: learner.pgn,
    birthDate: learner.birthDate,
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

export type EnrollmentEventType = 'EnrollmentRegistered' | 'EnrollmentChanged' | 'LearnerDeregistered';

export function enrollmentEvent(type: EnrollmentEventType, row: EnrollmentRow, learner: Pick<LearnerRow, 'id' | 'pgn' | 'birthDate'>): NewEvent {
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

export function pgnReplaced(learnerId: string, from: string, to: string): NewEvent {
  return { type: 'PgnReplaced', keys: { learnerId }, payload: { learnerId, previousPgn: from, pgn: to } };
}
