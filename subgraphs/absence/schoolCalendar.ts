/*
 * A school's calendar, pure: which weeks are holiday weeks, a school year at a time, from the school's
 * own holidays where it registered them and the recommended holidays of its region otherwise (README.md,
 * "School calendars"). The 16 hours of LPW art 21a are counted in teaching weeks (rules.ts).
 */
import { addDays, mondayOf, schoolYearOf } from '../../kernel/calendar.ts';
import { badInput } from '../../kernel/errors.ts';

/** A period of school holiday, its first and last day included. */
export interface Holiday {
  name: string | null;
  startDate: string;
  endDate: string;
}

/** The holiday regions of the Regeling vaststelling schoolvakanties (art 3). */
export const holidayRegions = ['noord', 'midden', 'zuid'] as const;
export type HolidayRegion = (typeof holidayRegions)[number];

/**
 * Where a school year's holidays come from: the school's own (`SCHOOL`), the recommended holidays of
 * the school's region (`REGION`), or neither (`UNKNOWN`: the register has no recommended holidays for
 * that year, or cannot place the school in a region).
 */
export type CalendarSource = 'SCHOOL' | 'REGION' | 'UNKNOWN';

/** One school year of a school's calendar: 1 August to 31 July (Besluit bekostiging WPO 2022 art 1). */
export interface CalendarYear {
  schoolYear: string;
  source: CalendarSource;
  region: HolidayRegion | null;
  holidays: readonly Holiday[];
}

/** The recommended holidays of one region: every period published, and the school years published. */
export interface RegionalHolidays {
  region: HolidayRegion;
  published: ReadonlySet<string>;
  holidays: readonly Holiday[];
}

export interface SchoolCalendar {
  year(schoolYear: string): CalendarYear;
}

/** The first and last day of a school year labelled `2025-2026` (kernel/calendar.ts, `schoolYearOf` its first day). */
export function schoolYearBounds(schoolYear: string): { start: string; end: string } {
  return schoolYearOf(`${schoolYear.slice(0, 4)}-08-01`);
}

/** The parts of `holidays` that fall in the school year, cut at its first and last day. */
function within(holidays: readonly Holiday[], schoolYear: string): Holiday[] {
  const { start, end } = schoolYearBounds(schoolYear);
  return holidays
    .filter((holiday) => holiday.startDate <= end && holiday.endDate >= start)
    .map((holiday) => ({
      ...holiday,
      startDate: holiday.startDate < start ? start : holiday.startDate,
      endDate: holiday.endDate > end ? end : holiday.endDate,
    }));
}

/**
 * A school's calendar: for each school year its own holidays where it registered them, which replace
 * the region's for that year; else its region's recommended holidays. A summer holiday runs over
 * 1 August, so a year takes every published period that reaches into it, cut at its bounds; a year
 * whose recommended holidays are not published is `UNKNOWN`, with only what reaches into it.
 */
export function schoolCalendar(own: ReadonlyMap<string, readonly Holiday[]>, regional: RegionalHolidays | null): SchoolCalendar {
  const years = new Map<string, CalendarYear>();
  const make = (schoolYear: string): CalendarYear => {
    const region = regional?.region ?? null;
    const mine = own.get(schoolYear);
    if (mine) return { schoolYear, source: 'SCHOOL', region, holidays: within(mine, schoolYear) };
    const holidays = regional ? within(regional.holidays, schoolYear) : [];
    return { schoolYear, source: regional?.published.has(schoolYear) ? 'REGION' : 'UNKNOWN', region, holidays };
  };
  return {
    year(schoolYear) {
      if (!years.has(schoolYear)) years.set(schoolYear, make(schoolYear));
      return years.get(schoolYear)!;
    },
  };
}

/** A calendar without holidays: every week is a teaching week. */
export const withoutHolidays: SchoolCalendar = schoolCalendar(new Map(), null);

/** Whether `day` is a school holiday by the calendar of the school year it falls in. */
export function isHoliday(calendar: SchoolCalendar, day: string): boolean {
  return calendar.year(schoolYearOf(day).label).holidays.some((holiday) => holiday.startDate <= day && day <= holiday.endDate);
}

/**
 * A holiday week: a calendar week (Monday to Sunday) whose school days, Monday to Friday, are all
 * school holiday. A week with one free day (Good Friday, a study day) is a teaching week.
 */
export function isHolidayWeek(calendar: SchoolCalendar, monday: string): boolean {
  return [0, 1, 2, 3, 4].every((offset) => isHoliday(calendar, addDays(monday, offset)));
}

/** The Mondays of a school year's holiday weeks: the weeks whose Monday falls in the year. */
export function holidayWeeks(calendar: SchoolCalendar, schoolYear: string): string[] {
  const { start, end } = schoolYearBounds(schoolYear);
  const weeks: string[] = [];
  for (let monday = addDays(mondayOf(start), mondayOf(start) < start ? 7 : 0); monday <= end; monday = addDays(monday, 7)) {
    if (isHolidayWeek(calendar, monday)) weeks.push(monday);
  }
  return weeks;
}

/** At most this many holiday periods a school year: five holidays and a number of single free days; the register's own bound. */
export const maxHolidaysPerYear = 40;

/** A school year label: `2025-2026`, from 2000-2001 to 2098-2099 (the register's own bounds). */
export function parseSchoolYear(value: string, field = 'schoolYear'): string {
  const match = /^(20\d\d)-(20\d\d)$/.exec(value);
  if (!match || Number(match[2]) !== Number(match[1]) + 1)
    throw badInput(field, `"${value}" is not a school year: write it as 2025-2026, from 1 August 2025 to 31 July 2026`);
  return value;
}

/**
 * The holidays a school registers for a school year: at least one (every school year holds part of a
 * summer holiday, Regeling vaststelling schoolvakanties), at most `maxHolidaysPerYear`, each ending no
 * earlier than it starts and inside the school year (1 August to 31 July), no two sharing a day.
 */
export function checkHolidays(holidays: readonly Holiday[], schoolYear: string, field = 'holidays'): void {
  const { start, end } = schoolYearBounds(schoolYear);
  if (holidays.length === 0) throw badInput(field, `Give the school's holidays of ${schoolYear}: every school year holds part of a summer holiday`);
  if (holidays.length > maxHolidaysPerYear) throw badInput(field, `At most ${maxHolidaysPerYear} holiday periods a school year`);
  holidays.forEach((holiday, i) => {
    if (holiday.endDate < holiday.startDate)
      throw badInput(`${field}.${i}.endDate`, `The holiday ends on ${holiday.endDate}, before it starts on ${holiday.startDate}`);
    if (holiday.startDate < start || holiday.endDate > end)
      throw badInput(`${field}.${i}`, `${holiday.startDate} to ${holiday.endDate} is not within school year ${schoolYear}, ${start} to ${end}`);
  });
  const sorted = holidays.map((holiday, i) => ({ ...holiday, i })).sort((a, b) => (a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : 0));
  for (let k = 1; k < sorted.length; k++) {
    const [before, after] = [sorted[k - 1]!, sorted[k]!];
    if (after.startDate <= before.endDate)
      throw badInput(`${field}.${Math.max(before.i, after.i)}`, `${after.startDate} to ${after.endDate} overlaps ${before.startDate} to ${before.endDate}`);
  }
}
