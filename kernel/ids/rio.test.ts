import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import {
  isBoardCode,
  isCompetentAuthorityNumber,
  isLocationCode,
  isOfferedProgrammeId,
  isProviderCode,
  parseBoardCode,
  parseCompetentAuthorityNumber,
  parseLocationCode,
  parseOfferedProgrammeId,
  parseProviderCode,
} from './rio.ts';

// Examples: docs/domain.md §2.1 (100B490) and the schema descriptions (042B830, 010A803, 512X067).
describe.each([
  { name: 'onderwijsbestuurcode', is: isBoardCode, parse: parseBoardCode, field: 'boardCode', valid: ['100B490', '042B830'], other: '100A490' },
  { name: 'onderwijsaanbiedercode', is: isProviderCode, parse: parseProviderCode, field: 'providerCode', valid: ['010A803', '123A456'], other: '010X803' },
  { name: 'onderwijslocatiecode', is: isLocationCode, parse: parseLocationCode, field: 'locationCode', valid: ['512X067', '123X456'], other: '512B067' },
])('$name', ({ is, parse, field, valid, other }) => {
  it.each(valid)('accepts %s', (code) => {
    expect(is(code)).toBe(true);
    expect(parse(code)).toBe(code);
  });

  it('trims and upper-cases the letter', () => {
    const code = valid[0] ?? '';
    expect(parse(` ${code.toLowerCase()} `)).toBe(code);
  });

  it.each([other, '10B490', '100B4900', '1000B490', '100-490', '100 B490', ''])('rejects %j', (code) => {
    expect(is(code)).toBe(false);
    expect(() => parse(code)).toThrow(RegisterError);
    expect(() => parse(code)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field, message: expect.stringContaining(JSON.stringify(code)) }));
  });
});

describe('offered programme id (aangebodenOpleidingCode)', () => {
  it.each([
    ['0f8fad5b-d9cb-469f-a165-70867728950e', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ['0F8FAD5B-D9CB-469F-A165-70867728950E', '0f8fad5b-d9cb-469f-a165-70867728950e'],
  ])('accepts %s as %s', (value, id) => {
    expect(isOfferedProgrammeId(value)).toBe(true);
    expect(parseOfferedProgrammeId(value)).toBe(id);
  });

  it.each([
    '0f8fad5bd9cb469fa16570867728950e',
    '0f8fad5b-d9cb-469f-a165-70867728950',
    'gf8fad5b-d9cb-469f-a165-70867728950e',
    '{0f8fad5b-d9cb-469f-a165-70867728950e}',
  ])('rejects %j, which is not a 36-character UUID', (value) => {
    expect(isOfferedProgrammeId(value)).toBe(false);
    expect(() => parseOfferedProgrammeId(value)).toThrow(RegisterError);
    expect(() => parseOfferedProgrammeId(value)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'offeredProgrammeId' }));
  });
});

describe('competent authority number (bevoegd-gezagnummer)', () => {
  it.each(['41569', '00001'])('accepts %s', (value) => {
    expect(isCompetentAuthorityNumber(value)).toBe(true);
    expect(parseCompetentAuthorityNumber(value)).toBe(value);
  });

  it.each(['4156', '415690', '4156a', ''])('rejects %j, which is not 5 digits', (value) => {
    expect(isCompetentAuthorityNumber(value)).toBe(false);
    expect(() => parseCompetentAuthorityNumber(value)).toThrow(RegisterError);
    expect(() => parseCompetentAuthorityNumber(value)).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        field: 'competentAuthorityNumber',
        message: `Bevoegd-gezagnummer ${JSON.stringify(value)} must be exactly 5 digits`,
      }),
    );
  });
});
