import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { isBsn } from './bsn.ts';
import { isOnderwijsnummer } from './onderwijsnummer.ts';
import { classifyPgn, parsePgn } from './pgn.ts';

// Worked examples: docs/domain.md §3.
describe('PGN', () => {
  it.each([
    ['111222333', 'BSN'],
    ['123456782', 'BSN'],
    ['100252333', 'BSN'],
    ['101222331', 'ONDERWIJSNUMMER'],
    ['100000004', 'ONDERWIJSNUMMER'],
  ] as const)('classifies %s as %s by its checksum', (value, kind) => {
    expect(classifyPgn(value)).toBe(kind);
    expect(parsePgn(` ${value}`)).toEqual({ kind, value });
  });

  it.each(['111222334', '999998620', '000000000', '1112223334', '200000005', '100000016', 'abc'])(
    'rejects %j, which is neither a BSN nor an onderwijsnummer',
    (value) => {
      expect(classifyPgn(value)).toBeNull();
      expect(() => parsePgn(value)).toThrow(RegisterError);
      expect(() => parsePgn(value)).toThrow(
        expect.objectContaining({
          code: 'BAD_USER_INPUT',
          field: 'pgn',
          message: expect.stringContaining('is neither a valid BSN (9 digits passing the 11-proof) nor a valid onderwijsnummer'),
        }),
      );
    },
  );

  it('shows a 9-digit PGN bare and anything else quoted', () => {
    expect(() => parsePgn('111222334')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^PGN 111222334 is neither/) }));
    expect(() => parsePgn('12')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^PGN "12" is neither/) }));
  });

  it('never finds a number starting with 10 that passes both checks (remainder 0 versus 5)', () => {
    let both = 0;
    for (let n = 100_000_000; n < 110_000_000; n += 7) {
      if (isBsn(String(n)) && isOnderwijsnummer(String(n))) both++;
    }
    expect(both).toBe(0);
  });
});
