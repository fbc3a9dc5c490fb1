import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { isOin, parseOin } from './oin.ts';

// Examples: docs/domain.md §2.3.
describe('OIN', () => {
  it.each(['00000001800866472000', '00000003123456780000'])('accepts the 20-digit %s', (oin) => {
    expect(isOin(oin)).toBe(true);
    expect(parseOin(` ${oin} `)).toBe(oin);
  });

  it.each(['0000000700025BE00000', '0000000700000AV00000', '0000000700004HR00000', '0000000700000YY00931'])(
    'accepts the school OIN %s, which carries a BRIN4',
    (oin) => {
      expect(isOin(oin)).toBe(true);
      expect(parseOin(oin)).toBe(oin);
    },
  );

  it.each(['0000000180086647200', '000000018008664720000', '0000000700025be00000', '0000000800025BE00000', '00000007000025BE0000', ''])('rejects %j', (oin) => {
    expect(isOin(oin)).toBe(false);
    expect(() => parseOin(oin)).toThrow(RegisterError);
    expect(() => parseOin(oin)).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        field: 'oin',
        message: `OIN ${JSON.stringify(oin)} must be 20 digits, or for a school 00000007000 + BRIN4 + 5 digits`,
      }),
    );
  });
});
