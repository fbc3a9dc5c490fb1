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
