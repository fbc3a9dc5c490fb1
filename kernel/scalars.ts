import { GraphQLScalarType, Kind } from 'graphql';
import { RegisterError } from './errors.ts';

const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/** Parses YYYY-MM-DD and refuses days that do not exist (2025-02-30). */
export function parseDay(value: unknown, field = 'date'): string {
  if (typeof value === 'string' && isoDay.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)) return value;
  }
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
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(now);
}
