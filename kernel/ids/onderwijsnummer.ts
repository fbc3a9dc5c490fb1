import { badInput } from '../errors.ts';
import { checkDigitOf, elevenProofSum } from './eleven-proof.ts';

/**
 * Onderwijsnummer: the PGN DUO issues to a learner without a BSN. Nine digits starting with `10`
 * (docs/domain.md §3 [S:30, S:31]).
 *
 * Check digit: docs/domain.md §3 records an open question. python-stdnum reads the rule as (S8 − p9) mod 11 = 5;
 * DUO's own XSD text reads `MOD((9p1+…+2p8)/11) = p9 + 5` [S:14], which can only hold for p9 in 0..5.
 * We follow DUO: it is the register's own specification, and the stricter reading (every number it accepts,
 * stdnum accepts too), so we never accept a number DUO would refuse. Example: `100000016` (S8 = 11) passes
 * stdnum since (11 − 6) mod 11 = 5, but is refused here because 11 mod 11 = 0 ≠ 6 + 5.
 */
function onderwijsnummerProblem(number: string): string | null {
  if (!/^\d{9}$/.test(number)) return `Onderwijsnummer ${JSON.stringify(number)} must be exactly 9 digits`;
  if (!number.startsWith('10')) return `Onderwijsnummer ${number} must start with 10`;
  const checkDigit = checkDigitOf(number);
  if (checkDigit > 5) return `Onderwijsnummer ${number} has check digit ${checkDigit}; DUO's rule allows only 0 to 5`;
  if (elevenProofSum(number) % 11 !== checkDigit + 5) {
    return `Onderwijsnummer ${number} fails the check: the weighted sum of its first 8 digits mod 11 must equal its check digit + 5`;
  }
  return null;
}

export const isOnderwijsnummer = (value: string): boolean => onderwijsnummerProblem(value.trim()) === null;

export function parseOnderwijsnummer(value: string, field = 'onderwijsnummer'): string {
  const number = value.trim();
  const problem = onderwijsnummerProblem(number);
  if (problem) throw badInput(field, problem);
  return number;
}
