import { describe, expect, it } from 'vitest';
import { checkDigitOf, elevenProofSum } from './eleven-proof.ts';

describe('elevenProofSum', () => {
  // The sums worked out by hand in docs/domain.md §3.
  it.each([
    ['111222333', 69],
    ['123456782', 156],
    ['999998620', 369],
    ['101222331', 61],
    ['100000004', 9],
    ['100000016', 11],
    ['000000000', 0],
  ])('weighs the first eight digits of %s 9 down to 2, giving %i', (digits, sum) => {
    expect(elevenProofSum(digits)).toBe(sum);
  });

  it('reads the ninth digit as the check digit', () => {
    expect(checkDigitOf('111222334')).toBe(4);
  });
});
