import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { brin4Of, covers, isBrin4, isBrin6, parseBrin4, parseBrin6, parseSchool, schoolsCovering } from './brin.ts';

// Examples: docs/domain.md §2.1 (25BE, 00AV) and the schema (16AH00).
describe('BRIN4', () => {
  it.each([
    ['25BE', '25BE'],
    ['00AV', '00AV'],
    ['16ah', '16AH'],
    [' 25be ', '25BE'],
  ])('accepts %j as %s', (value, brin4) => {
    expect(isBrin4(value)).toBe(true);
    expect(parseBrin4(value)).toBe(brin4);
  });

  it.each(['25B', '25BEE', '2BEE', 'BE25', '25B3', '25BE00', '', '25ß', '25 BE'])('rejects %j', (value) => {
    expect(isBrin4(value)).toBe(false);
    expect(() => parseBrin4(value)).toThrow(RegisterError);
    expect(() => parseBrin4(value)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'brin4', message: `BRIN4 ${JSON.stringify(value)} must be 2 digits and 2 letters, e.g. 25BE` }),
    );
  });
});

describe('BRIN6', () => {
  it.each([
    ['16AH00', '16AH00'],
    ['16ah00', '16AH00'],
    ['25BE01', '25BE01'],
    ['\t00av12\n', '00AV12'],
  ])('accepts %j as %s', (value, brin6) => {
    expect(isBrin6(value)).toBe(true);
    expect(parseBrin6(value)).toBe(brin6);
  });

  it.each(['16AH', '16AH0', '16AH000', '16AHX0', '1AH00', '16A100', '16AH 00'])('rejects %j', (value) => {
    expect(isBrin6(value)).toBe(false);
    expect(() => parseBrin6(value, 'branch')).toThrow(RegisterError);
    expect(() => parseBrin6(value, 'branch')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'branch', message: expect.stringContaining('must be 2 digits, 2 letters and 2 digits') }),
    );
  });

  it('takes the BRIN4 of a branch from its first four characters', () => {
    expect(brin4Of('16ah00')).toBe('16AH');
    expect(brin4Of('25BE01')).toBe('25BE');
  });

  it('refuses to take the BRIN4 of something that is not a BRIN6', () => {
    expect(() => brin4Of('25BE')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'brin6' }));
  });
});

describe('a school: one vestiging (BRIN6) or a whole school (BRIN4)', () => {
  it.each([
    ['16ah00', '16AH00'],
    [' 16ah ', '16AH'],
  ])('reads %j as %s', (value, school) => {
    expect(parseSchool(value)).toBe(school);
  });

  it.each(['16A', '16AH0', '16AH000', '', '16AH 00'])('refuses %j', (value) => {
    expect(() => parseSchool(value, 'school')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'school' }));
  });

  it.each([
    ['16AH', '16AH00', true],
    ['16AH', '16AH01', true],
    ['16AH', '16AI00', false],
    ['16AH', '16AB00', false],
    ['16AH', '16AH', false],
    ['16AH00', '16AH00', true],
    ['16AH00', '16AH01', false],
  ])('%s covers %s: %s', (school, brin6, covered) => {
    expect(covers(school, brin6)).toBe(covered);
  });
});

describe('schoolsCovering', () => {
  it('is a vestiging and its whole school, or a whole school by itself', () => {
    expect(schoolsCovering('16AH01')).toEqual(['16AH01', '16AH']);
    expect(schoolsCovering('16AH')).toEqual(['16AH']);
  });
});
