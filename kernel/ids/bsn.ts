import { badInput } from '../errors.ts';
import { checkDigitOf, elevenProofSum } from './eleven-proof.ts';

/**
 * Burgerservicenummer. Valid iff exactly nine digits, (9d1+8d2+…+2d8 − d9) mod 11 = 0, and not zero:
 * docs/domain.md §3, after DUO XSD "Burgerservicenummer-v02" [S:14] and python-stdnum nl.bsn [S:30].
 * Nine digits exactly, unlike python-stdnum, which pads shorter input with leading zeros: DUO's XSD types the
 * BSN as \d{9} (docs/domain.md §2.2 [S:14]), and a guessed zero could turn a typo into another person's number.
 */
function bsnProblem(bsn: string): string | null {
  if (!/^\d{9}$/.test(bsn)) return `BSN ${JSON.stringify(bsn)} must be exactly 9 digits`;
  if (/^0+$/.test(bsn)) return `BSN ${bsn} is all zeros; a BSN must be greater than 0`;
  if ((elevenProofSum(bsn) - checkDigitOf(bsn)) % 11 !== 0) return `BSN ${bsn} fails the 11-proof`;
  return null;
}

export const isBsn = (value: string): boolean => bsnProblem(value.trim()) === null;

export function parseBsn(value: string, field = 'bsn'): string {
  const bsn = value.trim();
  const problem = bsnProblem(bsn);
  if (problem) throw badInput(field, problem);
  return bsn;
}
