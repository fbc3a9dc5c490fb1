import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { isMunicipalityCode, parseMunicipalityCode } from './municipality.ts';

describe('municipality code (CBS gemeentecode)', () => {
  it.each([
    ['114', '0114'],
    ['0114', '0114'],
    [' 285', '0285'],
    ['  14', '0014'],
    ['1', '0001'],
    ['1966', '1966'],
  ])('accepts %j and stores %s', (value, code) => {
    expect(isMunicipalityCode(value)).toBe(true);
    expect(parseMunicipalityCode(value)).toBe(code);
  });

  it.each(['0', '0000', '', '   ', '01140', '12345', 'GM0114', '11a', '-114', '1.5'])('rejects %j', (value) => {
    expect(isMunicipalityCode(value)).toBe(false);
    expect(() => parseMunicipalityCode(value)).toThrow(RegisterError);
    expect(() => parseMunicipalityCode(value)).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        field: 'municipalityCode',
        message: `Municipality code ${JSON.stringify(value)} must be a CBS gemeentecode of 1 to 4 digits, not 0, e.g. 0114`,
      }),
    );
  });
});
