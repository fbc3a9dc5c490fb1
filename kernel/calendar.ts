// Calendar arithmetic for the register's rules: days are YYYY-MM-DD strings, counted in the calendar,
// with no time of day and no zone.

const millisPerDay = 86_400_000;

/**
 * Days already checked, with their UTC midnight: a page of enrollments serializes and compares the
 * same few hundred days thousands of times, and parsing one costs a Date and an ISO string (bench
 * --profile showed these among the funding subgraph's busiest functions).
 */
const checkedDays = new Map<string, number>();

/** The UTC midnight of `day` in ms, or undefined when it is not a real day written YYYY-MM-DD. */
function millisOf(day: string): number | undefined {
  const known = checkedDays.get(day);
  if (known !== undefined) return known;
  // No year 0: 1 BC is followed by AD 1, and PostgreSQL refuses a date in year 0000.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day.startsWith('0000')) return undefined;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || !date.toISOString().startsWith(day)) return undefined;
  if (checkedDays.size >= 100_000) checkedDays.clear();
  checkedDays.set(day, date.getTime());
  return date.getTime();
}

/** Whether `value` is a real calendar day written YYYY-MM-DD (not 2027-02-30, nor in year 0000). */
export function isDay(value: unknown): value is string {
  return typeof value === 'string' && millisOf(value) !== undefined;
}

function utcOf(day: string): Date {
  const millis = millisOf(day);
  if (millis === undefined) throw new TypeError(`Not a day written YYYY-MM-DD: ${JSON.stringify(day)}`);
  return new Date(millis);
}

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The day `days` days after `day` (before it when negative), in the calendar, ignoring zones and clocks. */
export function addDays(day: string, days: number): string {
  const date = utcOf(day);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`: 1 from a day to the next, negative when `to` comes first. */
export function daysBetween(from: string, to: string): number {
  return Math.round((utcOf(to).getTime() - utcOf(from).getTime()) / millisPerDay);
}

/** The day of the week of `day`: 0 for Sunday, 1 for Monday, up to 6 for Saturday. */
export const weekdayOf = (day: string): number => utcOf(day).getUTCDay();

/** The Monday of the calendar week `day` falls in: weeks run Monday to Sunday (ISO 8601). */
export function mondayOf(day: string): string {
  return addDays(day, -((weekdayOf(day) + 6) % 7));
}

/**
 * The school year a day falls in: "tijdvak van 1 augustus tot en met 31 juli daaropvolgend"
 * (Besluit bekostiging WPO 2022 art 1, used for enrolling and leaving in art 9.3 and 10.1 [S:34]).
 */
export function schoolYearOf(day: string): { start: string; end: string; label: string } {
  const date = utcOf(day);
  const first = date.getUTCMonth() >= 7 ? date.getUTCFullYear() : date.getUTCFullYear() - 1;
  return { start: `${first}-08-01`, end: `${first + 1}-07-31`, label: `${first}-${first + 1}` };
}

/**
 * The day someone born on `birthDate` reaches `age`. A child born on 29 February reaches it on 1 March in
 * a year without 29 February: only then has the full year passed (docs/domain.md gives no rule; this is ours).
 */
export function birthdayAt(birthDate: string, age: number): string {
  const born = utcOf(birthDate);
  const year = born.getUTCFullYear() + age;
  if (birthDate.endsWith('-02-29') && !isLeapYear(year)) return `${String(year).padStart(4, '0')}-03-01`;
  return `${String(year).padStart(4, '0')}${birthDate.slice(4)}`;
}

/**
 * Age in whole years on `day`. Born on 29 February, a child turns a year older on 29 February in a leap year
 * and on 1 March otherwise (see `birthdayAt`). A day before the birth is a caller's mistake.
 */
export function ageOn(birthDate: string, day: string): number {
  if (day < birthDate) throw new RangeError(`${day} is before the birth date ${birthDate}`);
  const born = utcOf(birthDate);
  let age = utcOf(day).getUTCFullYear() - born.getUTCFullYear();
  if (birthdayAt(birthDate, age) > day) age -= 1;
  return age;
}
