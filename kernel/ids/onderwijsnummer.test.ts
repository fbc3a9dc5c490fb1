import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { checkDigitOf, elevenProofSum } from './eleven-proof.ts';
import { isOnderwijsnummer, parseOnderwijsnummer } from './onderwijsnummer.ts';

// Worked examples: docs/domain.md §3.
describe('onderwijsnummer', () => {
  it.each(['101222331', '100000004'])('accepts %s, which starts with 10 and leaves remainder 5', (number) => {
    expect(isOnderwijsnummer(number)).toBe(true);
    expect(parseOnderwijsnummer(` ${number} `)).toBe(number);
  });

  it.each([
    ['100252333', 'Onderwijsnummer 100252333 fails the check: the weighted sum of its first 8 digits mod 11 must equal its check digit + 5'],
    ['101222332', 'Onderwijsnummer 101222332 fails the check: the weighted sum of its first 8 digits mod 11 must equal its check digit + 5'],
    ['200000005', 'Onderwijsnummer 200000005 must start with 10'],
    ['111222333', 'Onderwijsnummer 111222333 must start with 10'],
    ['10000004', 'Onderwijsnummer "10000004" must be exactly 9 digits'],
    ['1000000040', 'Onderwijsnummer "1000000040" must be exactly 9 digits'],
  ])('rejects %s', (number, message) => {
    expect(isOnderwijsnummer(number)).toBe(false);
    expect(() => parseOnderwijsnummer(number)).toThrow(RegisterError);
    expect(() => parseOnderwijsnummer(number)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'onderwijsnummer', message }));
  });

  it("refuses 100000016, which python-stdnum accepts but DUO's formula cannot (check digit above 5)", () => {
    const stdnumReading = (elevenProofSum('100000016') - checkDigitOf('100000016')) % 11;
    expect(stdnumReading).toBe(5);
    expect(isOnderwijsnummer('100000016')).toBe(false);
    expect(() => parseOnderwijsnummer('100000016', 'pgn')).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        field: 'pgn',
        message: "Onderwijsnummer 100000016 has check digit 6; DUO's rule allows only 0 to 5",
      }),
    );
  });
});
