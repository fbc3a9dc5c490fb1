/**
 * The weighted sum 9·d1 + 8·d2 + … + 2·d8 that both personal numbers are checked by: a BSN leaves remainder 0
 * after subtracting d9, an onderwijsnummer remainder 5 (docs/domain.md §3 [S:14, S:30, S:31]).
 * `digits` must already be nine ASCII digits.
 */
export function elevenProofSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(digits.charAt(i));
  return sum;
}

export const checkDigitOf = (digits: string): number => Number(digits.charAt(8));
