import { GraphQLScalarType, Kind } from 'graphql';
import { isDay } from './calendar.ts';
import { RegisterError } from './errors.ts';

/** Parses YYYY-MM-DD and refuses days that do not exist (2025-02-30). */
export function parseDay(value: unknown, field = 'date'): string {
  if (isDay(value)) return value;
  throw new RegisterError('BAD_USER_INPUT', `${JSON.stringify(value)} is not a date written YYYY-MM-DD`, field);
}

/** The `Date` scalar every subgraph declares: a calendar day, no time, no zone. */
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

/** The `DateTime` scalar: a moment, written ISO 8601 in UTC. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'A moment in time, written as ISO 8601 in UTC.',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError(`${String(value)} is not a moment in time`);
    return date.toISOString();
  },
  parseValue: (value) => {
    const date = new Date(String(value));
    if (typeof value !== 'string' || Number.isNaN(date.getTime()))
      throw new RegisterError('BAD_USER_INPUT', `${JSON.stringify(value)} is not an ISO 8601 moment`, 'dateTime');
    return date;
  },
});
