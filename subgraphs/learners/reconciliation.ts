import type { Delivered } from './deliveries.ts';
import type { PersonRow, SignalRow } from './tables.ts';

/*
 * Reconciliation (pure): a school's delivery against the person source, which stands in for the BRP.
 * ROD takes a learner's identifying data from the BRP (Besluit ROD art 4) and returns to the school
 * the data as it means to record them (Wro art 14.1): each difference is a signal to the school
 * (terugmelding). A learner without a BSN is not in the BRP, and what the school delivered stands
 * (Wro art 9.4): nothing to reconcile.
 */

export type SignalCode = SignalRow['code'];

/** One difference, as a signal carries it: which delivered field, what the school said, what the register holds. */
export interface Discrepancy {
  code: SignalCode;
  field: string | null;
  deliveredValue: string | null;
  registeredValue: string | null;
}

/** The person facts reconciliation reads. */
export type Registered = Pick<PersonRow, 'familyName' | 'givenNames' | 'birthDate' | 'gender' | 'postcode' | 'municipalityCode' | 'deceasedOn' | 'emigratedOn'>;

/** A name as compared: case, accents' composition and runs of white space do not make a difference. */
const comparable = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('nl');

/**
 * The differences between one delivery, with the enrollment's end, and the person with the
 * learner's BSN (`person` null: the source has none). A name the school left out is not compared;
 * death and emigration concern an enrollment still running after the day, so ending the enrollment
 * on or before it settles them.
 */
export function discrepancies(
  pgn: { value: string; kind: 'BSN' | 'ONDERWIJSNUMMER' },
  delivered: Delivered,
  endDate: string | null,
  person: Registered | null,
): Discrepancy[] {
  if (pgn.kind !== 'BSN') return [];
  if (!person) return [{ code: 'UNKNOWN_BSN', field: 'pgn', deliveredValue: pgn.value, registeredValue: null }];
  const found: Discrepancy[] = [];
  const runsAfter = (day: string | null) => day !== null && (endDate === null || endDate > day);
  if (runsAfter(person.deceasedOn)) found.push({ code: 'DECEASED', field: null, deliveredValue: null, registeredValue: person.deceasedOn });
  if (runsAfter(person.emigratedOn)) found.push({ code: 'EMIGRATED', field: null, deliveredValue: null, registeredValue: person.emigratedOn });
  const differs = (field: string, deliveredValue: string | null, registeredValue: string | null, same = deliveredValue === registeredValue) => {
    if (!same) found.push({ code: 'DIFFERS', field, deliveredValue, registeredValue });
  };
  differs('birthDate', delivered.birthDate, person.birthDate);
  differs('gender', delivered.gender, person.gender);
  if (delivered.familyName !== null)
    differs('familyName', delivered.familyName, person.familyName, comparable(delivered.familyName) === comparable(person.familyName));
  if (delivered.givenNames !== null) {
    differs(
      'givenNames',
      delivered.givenNames,
      person.givenNames,
      person.givenNames !== null && comparable(delivered.givenNames) === comparable(person.givenNames),
    );
  }
  if (person.postcode !== null) differs('postcode', delivered.postcode, person.postcode);
  return found;
}

/** Whether two signals say the same: a difference already told (or acknowledged) is not told again. */
export const sameDiscrepancy = (a: Discrepancy, b: Discrepancy) =>
  a.code === b.code && a.field === b.field && a.deliveredValue === b.deliveredValue && a.registeredValue === b.registeredValue;

/** What the school should do about a signal, in a sentence its administrator can act on. */
export function actionFor(signal: Discrepancy): string {
  switch (signal.code) {
    case 'UNKNOWN_BSN':
      return `The person register knows no person with BSN ${signal.deliveredValue}. Check the BSN against the document it was taken from (WPO art 40b.2); if it is wrong, end this enrollment and enroll the learner under the right one. Until then the register keeps what you delivered (Wro art 9.4).`;
    case 'DECEASED':
      return `The person register records that the learner died on ${signal.registeredValue}. End the enrollment (deregisterLearner, reason DECEASED); the signal then closes itself.`;
    case 'EMIGRATED':
      return `The person register records that the learner left the Netherlands on ${signal.registeredValue}. If the learner no longer attends, end the enrollment (reason MOVED_ABROAD); the signal then closes itself.`;
    case 'PGN_REPLACED':
      return `The onderwijsnummer ${signal.deliveredValue} was replaced by the BSN ${signal.registeredValue} (WPO art 40b.5). Use the BSN for this learner from now on, then acknowledge this signal.`;
    case 'DIFFERS':
      return signal.field === 'postcode'
        ? `The person register has the learner at postcode ${signal.registeredValue}, not ${signal.deliveredValue}: absence reports go to the municipality of that address. Correct the postcode in your delivery (changeEnrollment, learner.postcode); the signal then closes itself.`
        : `The person register has ${signal.field} ${JSON.stringify(signal.registeredValue)}, you delivered ${JSON.stringify(signal.deliveredValue)}. Check it and send a corrected delivery (changeEnrollment, learner.${signal.field}), which closes the signal; if yours is right, acknowledge it. The register uses its own value${signal.field === 'birthDate' ? ', funding too' : ''}.`;
  }
}
