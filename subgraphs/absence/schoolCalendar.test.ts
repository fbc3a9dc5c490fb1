import { describe, expect, it } from 'vitest';
import { addDays, mondayOf } from '../../kernel/calendar.ts';
import { refusal } from '../../test/refusal.ts';
import {
  checkHolidays,
  holidayWeeks,
  isHolidayWeek,
  maxHolidaysPerYear,
  parseSchoolYear,
  schoolCalendar,
  withoutHolidays,
  type Holiday,
  type RegionalHolidays,
} from './schoolCalendar.ts';

const free = (startDate: string, endDate = startDate, name: string | null = null): Holiday => ({ name, startDate, endDate });

/** Region noord, published for 2024-2025 only: its summer holiday runs into 2025-2026. */
const noord: RegionalHolidays = {
  region: 'noord',
  published: new Set(['2024-2025']),
  holidays: [
    free('2024-10-26', '2024-11-03', 'Herfstvakantie'),
    free('2024-12-21', '2025-01-05', 'Kerstvakantie'),
    free('2025-02-15', '2025-02-23', 'Voorjaarsvakantie'),
    free('2025-04-26', '2025-05-04', 'Meivakantie'),
    free('2025-07-12', '2025-08-24', 'Zomervakantie'),
  ],
};

describe('mondayOf', () => {
  it.each([
    ['2025-02-10', '2025-02-10'],
    ['2025-02-16', '2025-02-10'],
    ['2025-01-01', '2024-12-30'],
    ['2028-03-01', '2028-02-28'],
  ])('puts %s in the week of Monday %s', (day, monday) => {
    expect(mondayOf(day)).toBe(monday);
  });
});

describe('schoolCalendar', () => {
  it("gives a school year the region's recommended holidays, cut at 1 August and 31 July", () => {
    const year = schoolCalendar(new Map(), noord).year('2024-2025');
    expect(year).toMatchObject({ schoolYear: '2024-2025', source: 'REGION', region: 'noord' });
    expect(year.holidays.map((holiday) => [holiday.startDate, holiday.endDate])).toEqual([
      ['2024-10-26', '2024-11-03'],
      ['2024-12-21', '2025-01-05'],
      ['2025-02-15', '2025-02-23'],
      ['2025-04-26', '2025-05-04'],
      ['2025-07-12', '2025-07-31'],
    ]);
  });

  it('calls a year without recommended holidays UNKNOWN, keeping the end of the summer holiday before it', () => {
    const year = schoolCalendar(new Map(), noord).year('2025-2026');
    expect(year).toEqual({
      schoolYear: '2025-2026',
      source: 'UNKNOWN',
      region: 'noord',
      holidays: [{ name: 'Zomervakantie', startDate: '2025-08-01', endDate: '2025-08-24' }],
    });
    expect(withoutHolidays.year('2024-2025')).toEqual({ schoolYear: '2024-2025', source: 'UNKNOWN', region: null, holidays: [] });
  });

  it("replaces the region's holidays by the school's own, for that school year only", () => {
    const calendar = schoolCalendar(new Map([['2024-2025', [free('2025-03-03', '2025-03-07')]]]), noord);
    expect(calendar.year('2024-2025')).toMatchObject({ source: 'SCHOOL', region: 'noord', holidays: [free('2025-03-03', '2025-03-07')] });
    expect(calendar.year('2025-2026').holidays).toEqual([{ name: 'Zomervakantie', startDate: '2025-08-01', endDate: '2025-08-24' }]);
  });
});

describe('holiday weeks', () => {
  const calendar = schoolCalendar(new Map(), noord);

  it('lists the weeks of 2024-2025 whose school days are all holiday, by their Monday', () => {
    expect(holidayWeeks(calendar, '2024-2025')).toEqual([
      '2024-10-28',
      '2024-12-23',
      '2024-12-30',
      '2025-02-17',
      '2025-04-28',
      '2025-07-14',
      '2025-07-21',
      '2025-07-28',
    ]);
    expect(holidayWeeks(calendar, '2025-2026')).toEqual(['2025-08-04', '2025-08-11', '2025-08-18']);
  });

  it.each<[string, string, Holiday[], boolean]>([
    ['Monday to Friday free', '2025-02-17', [free('2025-02-17', '2025-02-21')], true],
    ['Saturday to the next Sunday free', '2025-02-17', [free('2025-02-15', '2025-02-23')], true],
    ['the week in two holidays', '2025-02-17', [free('2025-02-17', '2025-02-18'), free('2025-02-19', '2025-02-21')], true],
    ['Monday to Thursday free', '2025-02-17', [free('2025-02-17', '2025-02-20')], false],
    ['one free day, Good Friday', '2025-04-14', [free('2025-04-18')], false],
    ['nothing free', '2025-02-17', [], false],
  ])('calls a week with %s (Monday %s) a holiday week: %s', (_, monday, holidays, holiday) => {
    expect(isHolidayWeek(schoolCalendar(new Map([['2024-2025', holidays]]), noord), monday)).toBe(holiday);
  });

  it('takes a week over 1 August from both school years', () => {
    // Monday 28 July to Friday 1 August 2025: 28 to 31 July in 2024-2025, 1 August in 2025-2026.
    const summerEndsEarly = schoolCalendar(new Map([['2025-2026', [free('2025-08-02', '2025-08-10')]]]), noord);
    expect(isHolidayWeek(summerEndsEarly, '2025-07-28')).toBe(false);
    const summerRunsOn = schoolCalendar(new Map([['2025-2026', [free('2025-08-01', '2025-08-10')]]]), noord);
    expect(isHolidayWeek(summerRunsOn, '2025-07-28')).toBe(true);
  });
});

describe('parseSchoolYear', () => {
  it.each(['2024-2025', '2000-2001', '2098-2099'])('takes %s', (value) => {
    expect(parseSchoolYear(value)).toBe(value);
  });

  it.each(['2024-2026', '2024/2025', '24-25', '1999-2000', '2099-2100', ' 2024-2025'])('refuses %s', (value) => {
    refusal(() => parseSchoolYear(value), 'BAD_USER_INPUT', 'schoolYear', 'is not a school year: write it as 2025-2026');
  });
});

describe('checkHolidays', () => {
  it('takes the holidays of a school year, in any order, from 1 August to 31 July', () => {
    expect(() => checkHolidays([free('2025-07-12', '2025-07-31'), free('2024-08-01', '2024-08-18'), free('2025-02-17')], '2024-2025')).not.toThrow();
  });

  it.each<[string, Holiday[], string, string]>([
    ['no holidays', [], 'holidays', 'every school year holds part of a summer holiday'],
    ['more than the bound', Array.from({ length: maxHolidaysPerYear + 1 }, (_, i) => free(addDays('2024-09-02', 2 * i))), 'holidays', 'At most 40'],
    ['one ending before it starts', [free('2024-10-20'), free('2024-12-27', '2024-12-20')], 'holidays.1.endDate', 'ends on 2024-12-20, before it starts'],
    ['one starting before 1 August', [free('2024-07-31', '2024-08-18')], 'holidays.0', 'not within school year 2024-2025, 2024-08-01 to 2025-07-31'],
    ['one ending after 31 July', [free('2025-07-12', '2025-08-24')], 'holidays.0', 'not within school year'],
    [
      'two sharing a day',
      [free('2024-10-26', '2024-11-03'), free('2024-12-21'), free('2024-11-03', '2024-11-04')],
      'holidays.2',
      'overlaps 2024-10-26 to 2024-11-03',
    ],
    ['one given twice', [free('2025-02-17'), free('2025-02-17')], 'holidays.1', 'overlaps'],
  ])('refuses %s', (_, holidays, field, says) => {
    refusal(() => checkHolidays(holidays, '2024-2025'), 'BAD_USER_INPUT', field, says);
  });
});
