import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RegisterError } from './errors.ts';
import { DateScalar, DateTimeScalar, parseDay, parseMoment, today } from './scalars.ts';

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

// The examples of the DateTime specification (https://scalars.graphql.org/andimarek/date-time.html).
describe('parseMoment', () => {
  it.each([
    ['2011-08-30T13:22:53.108Z', '2011-08-30T13:22:53.108Z'],
    ['2011-08-30T13:22:53.108+00:00', '2011-08-30T13:22:53.108Z'],
    ['2011-08-30t13:22:53.108z', '2011-08-30T13:22:53.108Z'],
    ['2011-08-30T13:22:53.108-03:00', '2011-08-30T16:22:53.108Z'],
    ['2011-08-30T13:22:53.108+03:30', '2011-08-30T09:52:53.108Z'],
    ['2011-08-30T00:10:00.000+01:00', '2011-08-29T23:10:00.000Z'],
  ])('accepts %s as %s, and the scalar writes it so', (text, moment) => {
    expect(parseMoment(text).toISOString()).toBe(moment);
    expect(DateTimeScalar.serialize(DateTimeScalar.parseValue(text))).toBe(moment);
    expect(DateTimeScalar.serialize(DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: text }))).toBe(moment);
  });

  it.each([
    '2011-08-30T13:22:53.108-03',
    '2011-08-30T13:22:53.108912Z',
    '2011-08-30T24:22:53Z',
    '2011-08-30T13:22:53Z',
    '2011-08-30T13:22:53.108',
    '2011-08-30',
    '2011-08-30T13:22:53.108-00:00',
    '2011-08-30T13:22:53.108+03:30:15',
    '2011-08-30T24:22:53.108Z',
    '2010-02-30T21:22:53.108Z',
    '2010-02-11T21:22:53.108Z+25:11',
    '2010-02-11T21:22:53.108+24:00',
    '2016-12-31T23:59:60.000Z',
    '0000-01-01T00:00:00.000Z',
    'March 7, 2025',
    1_700_000_000_000,
  ])('refuses %s with BAD_USER_INPUT, as a literal', (text) => {
    expect(() => parseMoment(text)).toThrow(RegisterError);
    expect(() => DateTimeScalar.parseLiteral(typeof text === 'string' ? { kind: Kind.STRING, value: text } : { kind: Kind.INT, value: String(text) })).toThrow(
      /RFC 3339/,
    );
  });

  // A variable's accepted values are the implementation's to choose (the specification's "Input
  // Coercion"): RFC 3339's own form, fraction optional, is taken, as a client's language writes it.
  it.each([
    ['2011-08-30T13:22:53Z', '2011-08-30T13:22:53.000Z'],
    ['2011-08-30T13:22:53.1+01:00', '2011-08-30T12:22:53.100Z'],
    ['2011-08-30T13:22:53.108912Z', '2011-08-30T13:22:53.108Z'],
    ['2011-08-30T13:22:53.123456789-03:00', '2011-08-30T16:22:53.123Z'],
  ])('takes %s as a variable as %s', (text, moment) => {
    expect(DateTimeScalar.serialize(DateTimeScalar.parseValue(text))).toBe(moment);
  });

  it.each([
    '2011-08-30T13:22:53',
    '2011-08-30T13:22:53.1234567890Z',
    '2011-08-30T13:22:53.Z',
    '2011-08-30T13:22:53.108-00:00',
    '2016-12-31T23:59:60Z',
    '2011-08-30',
  ])('refuses %s as a variable too', (text) => {
    expect(() => DateTimeScalar.parseValue(text)).toThrow(/RFC 3339 with an offset/);
  });
});
