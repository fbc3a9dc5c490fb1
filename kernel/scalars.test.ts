import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RegisterError } from './errors.ts';
import { DateScalar, parseDay, today } from './scalars.ts';

describe('parseDay', () => {
  it.each(['2024-02-29', '2025-01-01', '2025-12-31', '2000-02-29', '0001-01-01', '9999-12-31'])('accepts %s', (day) => {
    expect(parseDay(day)).toBe(day);
  });

  it.each([
    '0000-01-01',
    '2025-02-29',
    '1900-02-29',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-01-00',
    '2025-1-1',
    '25-01-01',
    '2025-01-01T00:00:00Z',
    ' 2025-01-01',
    '',
    20250101,
    null,
    undefined,
  ])('refuses %j', (value) => {
    expect(() => parseDay(value)).toThrow(RegisterError);
    expect(() => parseDay(value, 'referenceDate')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'referenceDate', message: `${JSON.stringify(value)} is not a date written YYYY-MM-DD` }),
    );
  });

  it('names the field date unless told otherwise', () => {
    expect(() => parseDay('2025-02-29')).toThrow(expect.objectContaining({ field: 'date' }));
  });
});

describe('the Date scalar', () => {
  it('reads a string literal and refuses any other literal', () => {
    expect(DateScalar.parseLiteral({ kind: Kind.STRING, value: '2024-02-29' })).toBe('2024-02-29');
    expect(() => DateScalar.parseLiteral({ kind: Kind.INT, value: '20240229' })).toThrow(RegisterError);
  });

  it('refuses a variable that is no day', () => {
    expect(() => DateScalar.parseValue('2025-02-29')).toThrow(RegisterError);
  });
});

describe('today', () => {
  it.each([
    ['2025-07-31T22:30:00Z', '2025-08-01'], // summer: Amsterdam is UTC+2
    ['2025-07-31T21:59:59Z', '2025-07-31'],
    ['2025-01-31T23:30:00Z', '2025-02-01'], // winter: UTC+1
    ['2025-01-31T22:59:59Z', '2025-01-31'],
    ['2024-12-31T23:00:00Z', '2025-01-01'],
  ])('is the day in the Netherlands at %s: %s', (instant, day) => {
    expect(today(new Date(instant))).toBe(day);
  });

  it('gives a day parseDay accepts', () => {
    expect(parseDay(today())).toBe(today());
  });
});
