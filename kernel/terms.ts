/*
 * Legal terms by the Algemene termijnenwet (Atw): a term set in a law, or by or under an AMvB (art 5),
 * that ends on a Saturday, a Sunday or a generally recognised holiday runs on to the next day that is
 * none of these (art 1.1). The Besluit bekostiging WPO 2022 is an AMvB, so its four-week terms (art 7
 * registration, art 10.2 transfer notice) end on a working day (docs/domain.md §14).
 */
import { addDays, weekdayOf } from './calendar.ts';

/**
 * Easter Sunday of a Gregorian year, by the anonymous Gregorian computus (Meeus/Jones/Butcher): the
 * first Sunday after the ecclesiastical full moon on or after 21 March.
 */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The day the King's birthday is celebrated: 27 April, or 26 April when the 27th is a Sunday (Besluit
 * van 2013 on Koningsdag); from 1949 to 2013 the Queen's birthday on 30 April, 29 April when that was
 * a Sunday. Atw art 3.1 names "de dag waarop de verjaardag van de Koning wordt gevierd".
 */
function kingsDay(year: number): string {
  const [month, day] = year >= 2014 ? ['04', 27] : ['04', 30];
  const date = `${String(year).padStart(4, '0')}-${month}-${day}`;
  return isSunday(date) ? addDays(date, -1) : date;
}

const isSunday = (day: string) => weekdayOf(day) === 0;
const isWeekend = (day: string) => weekdayOf(day) % 6 === 0;

/**
 * The generally recognised holidays of a year with their names: Atw art 3.1 (New Year's Day, Easter
 * Monday, Ascension Day, Whit Monday, Christmas Day and Boxing Day, the King's birthday as celebrated,
 * 5 May) and Good Friday, which art 3.2 puts on a par with them. Days that a royal decree adds under
 * art 3.3 for a particular year are not included (README, "Terms").
 */
export function generalHolidays(year: number): ReadonlyMap<string, string> {
  const y = String(year).padStart(4, '0');
  const easter = easterSunday(year);
  return new Map([
    [`${y}-01-01`, 'Nieuwjaarsdag'],
    [addDays(easter, -2), 'Goede Vrijdag'],
    [addDays(easter, 1), 'tweede Paasdag'],
    [kingsDay(year), 'Koningsdag'],
    [`${y}-05-05`, 'vijfde mei'],
    [addDays(easter, 39), 'Hemelvaartsdag'],
    [addDays(easter, 50), 'tweede Pinksterdag'],
    [`${y}-12-25`, 'eerste Kerstdag'],
    [`${y}-12-26`, 'tweede Kerstdag'],
  ]);
}

const holidaysByYear = new Map<number, ReadonlyMap<string, string>>();

/** Whether `day` is a generally recognised holiday (Atw art 3.1-3.2). */
export function isGeneralHoliday(day: string): boolean {
  const year = Number(day.slice(0, 4));
  let holidays = holidaysByYear.get(year);
  if (!holidays) holidaysByYear.set(year, (holidays = generalHolidays(year)));
  return holidays.has(day);
}

/** A day that is no Saturday, Sunday or generally recognised holiday: where a term may end (Atw art 1.1). */
export const isWorkingDay = (day: string): boolean => !isWeekend(day) && !isGeneralHoliday(day);

/** The day a term that would end on `day` ends: `day` itself, or the next day that is no Saturday, Sunday or holiday (Atw art 1.1). */

export function termEnd(day: string): string {
  let end = day;
  while (!isWorkingDay(end)) end = addDays(end, 1);
  return end;
}

/**
 * The last day "binnen vier weken na" `day` (Besluit bekostiging WPO 2022 art 7 and 10.2): the four
 * weeks start the day after it, as a Dutch term counts from the day after the one it follows (Awb art
 * 6:8 states this for objection terms), so they end on the 28th day after it, still within, and run on
 * to the next working day by Atw art 1 and 5. One reading for both articles: registration after a
 * count date, notice after a pupil's last day.
 */
export const fourWeeksAfter = (day: string): string => termEnd(addDays(day, 28));
