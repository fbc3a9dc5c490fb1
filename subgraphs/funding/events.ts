import type { NewEvent } from '../../kernel/events.ts';
import type { Placed } from './assess.ts';
import { fundingYearOf, type NotFundableReason } from './rules.ts';

/**
 * The funding stream (docs/architecture.md, "Events and subscriptions"), the source of the real-time
 * funding notifications. A status is `null` where the enrollment had, or has, no status for the count
 * date (it is not, or no longer, assessed for it).
 */
export function fundingStatusChanged(
  enrollment: Placed,
  countDate: string,
  previous: NotFundableReason[] | null,
  current: NotFundableReason[] | null,
): NewEvent {
  const status = (reasons: NotFundableReason[] | null) => reasons && { outcome: reasons.length ? 'NOT_FUNDABLE' : 'FUNDABLE', reasons };
  return {
    type: 'FundingStatusChanged',
    keys: { enrollmentId: enrollment.id, learnerId: enrollment.learnerId, brin6: enrollment.brin6, countDate },
    payload: {
      enrollmentId: enrollment.id,
      learnerId: enrollment.learnerId,
      brin6: enrollment.brin6,
      providerCode: enrollment.providerCode,
      countDate,
      fundingYear: fundingYearOf(countDate),
      phase: 'PROVISIONAL',
      previous: status(previous),
      current: status(current),
    },
  };
}

/**
 * A count-date run made every status of the count date FINAL: one event for the whole count date
 * rather than one per enrollment, whose outcome and reasons did not change (1.4 million identical
 * events would say nothing more).
 */
export function countDateFinalised(countDate: string, counted: number, notCounted: number): NewEvent {
  return {
    type: 'CountDateFinalised',
    keys: { countDate },
    payload: { countDate, fundingYear: fundingYearOf(countDate), phase: 'FINAL', counted, notCounted },
  };
}

/**
 * A count date began to be kept: its first statuses are assessed and kept, not announced one by one
 * (nothing changed, a count date began). Said once, so that a reader of the stream (the gateway's
 * entity cache) knows the statuses of that count date are now the kept ones.
 */
export function countDateOpened(countDate: string, assessed: number): NewEvent {
  return { type: 'CountDateOpened', keys: { countDate }, payload: { countDate, fundingYear: fundingYearOf(countDate), assessed } };
}

/**
 * An extension of a school's registration term was granted (art 7.3): the deadline of its
 * enrollments' statuses moved. Statuses it changes are announced one by one as well.
 */
export function registrationExtensionGranted(countDate: string, brin4: string, until: string): NewEvent {
  return { type: 'RegistrationExtensionGranted', keys: { countDate, school: brin4 }, payload: { countDate, school: brin4, until } };
}
