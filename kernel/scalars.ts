import { GraphQLScalarType, Kind } from 'graphql';
import { isDay } from './calendar.ts';
import { RegisterError } from './errors.ts';

/** Parses YYYY-MM-DD and refuses days that do not exist (2025-02-30). */
export function parseDay(value: unknown, field = 'date'): string {
  if (isDay(value)) return value;
  throw new RegisterError('BAD_USER_INPUT', `${JSON.stringify(value)} is not a date written YYYY-MM-DD`, field);
}

/**
 * The `Date` scalar every subgraph declares: a calendar day, no time, no zone, as the GraphQL Scalars
 * project's LocalDate specifies it (https://scalars.graphql.org/andimarek/local-date.html); year 0000
 * is refused (parseDay; docs/scalars.md).
 */
export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, written YYYY-MM-DD.',
  serialize: (value) => parseDay(value),
  parseValue: (value) => parseDay(value),
  parseLiteral: (ast) => parseDay(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** Today's date in the Netherlands, where the register's days begin and end. */
export function today(now = new Date()): string {
  // The day in Amsterdam is the same all through a UTC minute (its offsets are whole hours), and
  // formatting is the cost: one format per minute, however many times a request asks.
  const minute = Math.floor(now.getTime() / 60_000);
  if (minute !== lastMinute.minute) lastMinute = { minute, day: amsterdam.format(now) };
  return lastMinute.day;
}

let lastMinute = { minute: Number.NaN, day: '' };

// Built once: a formatter costs far more to build than to use, and copies call `today` per event.
const amsterdam = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' });

/**
 * A moment as the GraphQL Scalars project's DateTime specifies it
 * (https://scalars.graphql.org/andimarek/date-time.html, a profile of RFC 3339 §5.6): date, `T`,
 * time with exactly three digits of fractional second, and `Z` or an offset `±hh:mm` (`t` and `z`
 * may be lower case; `-00:00`, RFC 3339 §4.3's unknown offset, is refused). The one refinement of
 * the register's own: a leap second (`:60`) is refused, as JavaScript's clock has none
 * (docs/scalars.md).
 *
 * `exact` is that form, which the specification asks of a literal. A variable's accepted values
 * the specification leaves to the implementation ("Input Coercion"): there RFC 3339's own
 * `time-secfrac` holds, optional and of any length up to nanoseconds, so a client's clock written
 * as its language writes it (seconds only, or microseconds) is taken; digits past the millisecond
 * are dropped, as JavaScript's clock keeps none.
 */
const momentPattern = (fraction: string) =>
  new RegExp(`^(\\d{4}-\\d{2}-\\d{2})[Tt]([01]\\d|2[0-3]):([0-5]\\d):([0-5]\\d)${fraction}(?:[Zz]|([+-])([01]\\d|2[0-3]):([0-5]\\d))$`);
const momentPatterns = { exact: momentPattern('\\.(\\d{3})'), rfc3339: momentPattern('(?:\\.(\\d{1,9}))?') };

/** Parses a moment written in `form` (above), or refuses it. */
export function parseMoment(value: unknown, field = 'dateTime', form: keyof typeof momentPatterns = 'exact'): Date {
  const parts = typeof value === 'string' ? momentPatterns[form].exec(value) : null;
  if (!parts || !isDay(parts[1]) || (parts[6] === '-' && parts[7] === '00' && parts[8] === '00'))
    throw new RegisterError(
      'BAD_USER_INPUT',
      `${JSON.stringify(value)} is not a moment written as RFC 3339 ${form === 'exact' ? 'with milliseconds' : 'with an offset'} (2026-08-01T09:30:00.000Z)`,
      field,
    );
  const [, day, hour, minute, second, fraction, sign, offsetHours, offsetMinutes] = parts;
  const millis = (fraction ?? '').padEnd(3, '0').slice(0, 3);
  const offset = sign ? (sign === '-' ? 1 : -1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) : 0;
  return new Date(Date.parse(`${day}T${hour}:${minute}:${second}.${millis}Z`) + offset * 60_000);
}

/**
 * The `DateTime` scalar: a moment, written in UTC with `Z` and milliseconds (`toISOString`), as the
 * specification's result rule asks; taken with any offset, a literal in the specification's exact
 * form, a variable in RFC 3339's (parseMoment).
 */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'A moment in time, written as RFC 3339 with milliseconds, in UTC.',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError(`${String(value)} is not a moment in time`);
    return date.toISOString();
  },
  parseValue: (value) => parseMoment(value, 'dateTime', 'rfc3339'),
  parseLiteral: (ast) => parseMoment(ast.kind === Kind.STRING ? ast.value : undefined),
});
