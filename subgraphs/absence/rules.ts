/*
 * The absence rules (docs/domain.md §6; Leerplichtwet, Besluit ROD art 13-14), pure: no database, no
 * GraphQL. Days are YYYY-MM-DD strings, already parsed, so they compare as strings.
 */
import { addDays, daysBetween, mondayOf } from '../../kernel/calendar.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { parseOptionalText, parseText, textKinds } from '../../kernel/text.ts';
import type { Role } from '../../kernel/viewer.ts';
import { isHolidayWeek, type SchoolCalendar } from './schoolCalendar.ts';

/** The kinds a po school reports (DUO's po page [S:21]); RMC is for 18 to 23-year-olds, not po. */
export const absenceKinds = ['SIXTEEN_HOURS', 'LONG_TERM', 'LUXURY', 'OTHER'] as const;
export type AbsenceKind = (typeof absenceKinds)[number];

export type DayPart = 'MORNING' | 'AFTERNOON';

/** Unauthorised absence in one day part (absence is kept per dagdeel, docs/domain.md §4). */
export interface Absence {
  date: string;
  dayPart: DayPart;
  hours: number;
}

/** 16 clock hours (po counts clock hours [S:38]) within 4 consecutive teaching weeks (LPW art 21a [S:7]). */
export const reportableHours = 16;

/**
 * 4 weeks, as 28 days. For the 16 hours they are teaching weeks (LPW art 21a "vier opeenvolgende
 * lesweken"; docs/domain.md §6): 28 days counted over the school's teaching weeks only
 * (`teachingDays`). Long-term absence lasts more than 4 weeks of the calendar.
 */
export const windowDays = 28;

/**
 * At most this much absence in one day part, counted in quarter hours: docs/domain.md gives neither
 * bound (absence is kept per dagdeel, §4; po counts clock hours, §6); these are ours, so that a typing
 * slip (60 for 6.0) is refused instead of filing a report.
 */
export const maxHoursPerDayPart = 6;

/** Checks one day part's absence: a real part of a day, in quarter hours (see `maxHoursPerDayPart`). */
export function checkAbsence(absence: Absence, field: string): void {
  if (!(absence.hours > 0 && absence.hours <= maxHoursPerDayPart) || !Number.isInteger(absence.hours * 4)) {
    throw badInput(field, `${absence.hours} hours on ${absence.date}: give more than 0 and at most ${maxHoursPerDayPart} hours per day part, in quarter hours`);
  }
}

/** Refuses a day part given twice: each day part is absent once. */
export function checkDistinct(absences: readonly Absence[], field: string): void {
  const seen = new Set<string>();
  for (const absence of absences) {
    const key = `${absence.date} ${absence.dayPart}`;
    if (seen.has(key)) throw badInput(field, `The ${absence.dayPart.toLowerCase()} of ${absence.date} is given twice`);
    seen.add(key);
  }
}

/**
 * What one call may carry: a school year of days, each with its two day parts. The bounds are the
 * register's own: a school sends absence as it happens, and the register keeps it for the school year
 * and the next (Wro art 30.5 [S:5]), so a year is the most a school needs to send at once.
 */
export const maxDaysPerCall = 366;
export const maxDayPartsPerCall = 2 * maxDaysPerCall;

/**
 * The day parts one call sends: absence that has happened, so none after today (a verzuimmelding
 * reports absence that took place, LPW art 21a [S:7]), at most `maxDayPartsPerCall` of them, spanning
 * at most `maxDaysPerCall` days.
 */
export function checkAbsenceDays(absences: readonly Absence[], today: string, field = 'absences'): void {
  if (absences.length > maxDayPartsPerCall)
    throw badInput(field, `At most ${maxDayPartsPerCall} day parts per call (a school year of two day parts a day); send the rest in another call`);
  if (absences.length === 0) return;
  const days = absences.map((absence) => absence.date).sort();
  const [first, last] = [days[0]!, days.at(-1)!];
  if (last > today) throw badInput(field, `Absence on ${last} is after today, ${today}: absence is sent once it has happened`);
  if (daysBetween(first, last) >= maxDaysPerCall)
    throw badInput(field, `The day parts run from ${first} to ${last}; one call covers at most ${maxDaysPerCall} days`);
}

/** A report's period has happened: it starts and ends no later than today (see `checkAbsenceDays`). */
export function checkReportedPeriod(startDate: string, endDate: string | null, today: string): void {
  if (startDate > today) throw badInput('startDate', `The report starts on ${startDate}, after today, ${today}: absence is reported once it has happened`);
  if (endDate !== null && endDate > today)
    throw badInput('endDate', `The report ends on ${endDate}, after today, ${today}: absence is reported once it has happened`);
}

/**
 * A report's free text (Besluit ROD art 14 [S:6] names the suspected reason, the school's action and
 * the school's contact with name, function, telephone and e-mail, without lengths): each bounded and
 * free of control characters (kernel/text.ts). The contact has a name.
 */
export function parseReportText(input: {
  suspectedReason?: string | null;
  schoolAction?: string | null;
  contact: { name: string; role?: string | null; phone?: string | null; email?: string | null };
}) {
  const name = parseText(input.contact.name, 'contact.name', textKinds.contactName);
  if (!name) throw badInput('contact.name', "The school's contact needs a name");
  return {
    suspectedReason: parseOptionalText(input.suspectedReason, 'suspectedReason', textKinds.remark),
    schoolAction: parseOptionalText(input.schoolAction, 'schoolAction', textKinds.remark),
    contact: {
      name,
      role: parseOptionalText(input.contact.role, 'contact.role', textKinds.label),
      phone: parseOptionalText(input.contact.phone, 'contact.phone', textKinds.phone),
      email: parseOptionalText(input.contact.email, 'contact.email', textKinds.email),
    },
  };
}

/** Where 16 hours are first reached: the first absence day of the 4-week window and the day they were reached. */
export interface Reached {
  startDate: string;
  reachedOn: string;
  hours: number;
}

/**
 * Each day of absence, as the day it is in the school's teaching time: days from the first day of
 * absence, less 7 for every holiday week between them. A holiday week is a calendar week whose school
 * days are all holiday (`isHolidayWeek`); it is no teaching week, so 4 teaching weeks skip it whole.
 * A week in which the school records absence had lessons to be absent from, so it is a teaching
 * week whatever the calendar says (the school knows its calendar; the register's may be the
 * region's). `days` are sorted.
 */
export function teachingDays(days: readonly string[], calendar: SchoolCalendar): Map<string, number> {
  const position = new Map<string, number>();
  if (days.length === 0) return position;
  const absentWeeks = new Set(days.map(mondayOf));
  let skipped = 0;
  let i = 0;
  for (let monday = mondayOf(days[0]!); i < days.length; monday = addDays(monday, 7)) {
    const next = addDays(monday, 7);
    if (!absentWeeks.has(monday)) {
      if (isHolidayWeek(calendar, monday)) skipped += 1;
      continue;
    }
    for (; i < days.length && days[i]! < next; i++) position.set(days[i]!, daysBetween(days[0]!, days[i]!) - 7 * skipped);
  }
  return position;
}

/**
 * The first day on which the absence of the 4 teaching weeks ending that day adds up to 16 hours, if
 * any (LPW art 21a [S:7]: "gedurende een periode van vier opeenvolgende lesweken"). A period of 4
 * teaching weeks runs 28 days counted in teaching time (`teachingDays`), from any day, as the 28-day
 * window did: absence on day 1 and day 28 of it counts together, on day 1 and day 29 it does not; a
 * holiday week between them adds 7 days of the calendar. Without holidays it is 28 calendar days.
 */
export function firstSixteenHours(absences: readonly Absence[], calendar: SchoolCalendar): Reached | null {
  const perDay = new Map<string, number>();
  for (const absence of absences) perDay.set(absence.date, (perDay.get(absence.date) ?? 0) + absence.hours);
  const days = [...perDay.keys()].sort();
  const at = teachingDays(days, calendar);
  let first = 0;
  let total = 0;
  for (const day of days) {
    total += perDay.get(day)!;
    while (at.get(day)! - at.get(days[first]!)! >= windowDays) total -= perDay.get(days[first++]!)!;
    if (total >= reportableHours) return { startDate: days[first]!, reachedOn: day, hours: total };
  }
  return null;
}

/** What a school says in a report (Besluit ROD art 13-14 [S:6]). */
export interface ReportFacts {
  kind: AbsenceKind;
  startDate: string;
  endDate: string | null;
  absences: readonly Absence[];
}

/** The enrollment a report is about, as the register knows it. */
export interface EnrollmentFacts {
  brin6: string;
  startDate: string;
  endDate: string | null;
}

/** Something a school is told about what it sent, which is registered all the same. */
export interface Warning {
  code: 'NOT_WITHIN_FOUR_TEACHING_WEEKS';
  message: string;
}

/**
 * The rules a report must meet before it is registered (docs/domain.md §2.2 "Verzuimmelding", §6):
 * the learner is enrolled at the reporting school for the whole period; the end date is there for
 * the kinds that need one [S:21]; the day parts lie in the period; a 16-hour report holds 16 hours
 * and ends on its last day of absence [S:21]; long-term absence lasts more than 4 weeks. Whether the
 * 16 hours lie within 4 teaching weeks is the school's to judge, by its calendar: where the
 * register's calendar finds them further apart, the report is registered with a warning.
 */
export function checkReport(report: ReportFacts, enrollment: EnrollmentFacts, school: string, calendar: SchoolCalendar): Warning[] {
  const { kind, startDate, endDate, absences } = report;
  if (enrollment.brin6 !== school) throw new RegisterError('NOT_FOUND', 'No enrollment of this learner is known to the asking school', 'enrollmentId');
  if ((kind === 'SIXTEEN_HOURS' || kind === 'LONG_TERM') && endDate === null) throw badInput('endDate', `A ${kindNames[kind]} report needs an end date`);
  if (endDate !== null && endDate < startDate) throw badInput('endDate', `The end date ${endDate} is before the start date ${startDate}`);
  const last = endDate ?? startDate;
  if (startDate < enrollment.startDate || (enrollment.endDate !== null && last > enrollment.endDate)) {
    throw badInput(
      'startDate',
      `The learner is enrolled at ${school} from ${enrollment.startDate} to ${enrollment.endDate ?? 'no end date'}; the report's period ${startDate} to ${last} is not within it`,
    );
  }
  checkDayParts(absences, startDate, last, `the report's period ${startDate} to ${last}`);
  if (kind === 'LONG_TERM' && daysBetween(startDate, endDate!) + 1 <= windowDays) {
    throw badInput('endDate', `Long-term absence lasts more than 4 weeks; ${startDate} to ${endDate} is ${daysBetween(startDate, endDate!) + 1} days`);
  }
  return kind === 'SIXTEEN_HOURS' ? checkSixteenHours(absences, endDate!, calendar) : [];
}

/** Absence sent for the threshold signal: valid day parts, each on a day the learner is enrolled at the school. */
export function checkRecordedAbsence(absences: readonly Absence[], enrollment: EnrollmentFacts): void {
  checkDayParts(absences, enrollment.startDate, enrollment.endDate, `the enrollment, ${enrollment.startDate} to ${enrollment.endDate ?? 'no end date'}`);
}

/** The day parts of a call (`absences`): each a valid part of a day, none given twice, none outside `first` to `last` (`period` names it). */
function checkDayParts(absences: readonly Absence[], first: string, last: string | null, period: string): void {
  absences.forEach((absence, i) => checkAbsence(absence, `absences.${i}.hours`));
  checkDistinct(absences, 'absences');
  const outside = absences.find((absence) => absence.date < first || (last !== null && absence.date > last));
  if (outside) throw badInput('absences', `Absence on ${outside.date} lies outside ${period}`);
}

/**
 * A 16-hour report holds at least 16 hours, and its end date is its last day of absence: the last
 * day of absence or the day the 16 hours were reached [S:21], and every day part lies in the period,
 * so a school that stops at the day 16 hours were reached lists no later absence. That the 16 hours
 * lie within 4 teaching weeks is never a refusal: the school knows its calendar (a warning says where
 * the register's does not find them so).
 */
function checkSixteenHours(absences: readonly Absence[], endDate: string, calendar: SchoolCalendar): Warning[] {
  const total = absences.reduce((sum, absence) => sum + absence.hours, 0);
  if (total < reportableHours)
    throw badInput('absences', `A 16-hour report needs at least ${reportableHours} hours of unauthorised absence; these day parts add up to ${total}`);
  const lastAbsence = absences.reduce((latest, absence) => (absence.date > latest ? absence.date : latest), absences[0]!.date);
  const reached = firstSixteenHours(absences, calendar);
  if (endDate !== lastAbsence) {
    const when = reached ? `; the 16 hours were reached on ${reached.reachedOn}` : '';
    throw badInput('endDate', `The end date of a 16-hour report is its last day of absence (${lastAbsence}${when}), not ${endDate}`);
  }
  if (reached) return [];
  return [
    {
      code: 'NOT_WITHIN_FOUR_TEACHING_WEEKS',
      message: `By the register's calendar of this school (schoolCalendar), these day parts do not add up to ${reportableHours} hours within 4 consecutive teaching weeks (LPW art 21a); the report is registered as the school made it`,
    },
  ];
}

const kindNames: Record<AbsenceKind, string> = {
  SIXTEEN_HOURS: '16 hours in 4 weeks',
  LONG_TERM: 'long-term relative absence',
  LUXURY: 'luxury absence',
  OTHER: 'other absence',
};

/**
 * The threshold signal: the absence a school sent, counted from the day after the end of its last
 * 16-hour report for the learner (each further 16 hours is a new report [S:21]), in the teaching weeks
 * of the school's calendar, and the report it proposes once 16 hours are reached. Nothing is filed:
 * the school decides.
 */
export function thresholdSignal(
  absences: readonly Absence[],
  countFrom: string | null,
  calendar: SchoolCalendar,
): { reached: Reached | null; proposal: ReportFacts | null } {
  const counted = absences
    .filter((absence) => countFrom === null || absence.date >= countFrom)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const reached = firstSixteenHours(counted, calendar);
  if (!reached) return { reached: null, proposal: null };
  const inWindow = counted.filter((absence) => absence.date >= reached.startDate && absence.date <= reached.reachedOn);
  return { reached, proposal: { kind: 'SIXTEEN_HOURS', startDate: reached.startDate, endDate: reached.reachedOn, absences: inWindow } };
}

/** The day after a 16-hour report's end: where counting for the next one starts. */
export const nextCountFrom = (endDate: string) => addDays(endDate, 1);

export const reportStatuses = ['REGISTERED', 'IN_TREATMENT', 'CLOSED', 'ACKNOWLEDGED', 'WITHDRAWN'] as const;
export type ReportStatus = (typeof reportStatuses)[number];

/**
 * The workflow (DUO's statuses since 12 August 2020 [S:22]): the school registers; the municipality
 * takes the report in treatment and then closes it or takes note of it (ter kennisgeving aangenomen);
 * the school may withdraw it only before treatment. Nothing leaves CLOSED, ACKNOWLEDGED or WITHDRAWN.
 */
const transitions: Record<ReportStatus, Partial<Record<ReportStatus, Role>>> = {
  REGISTERED: { IN_TREATMENT: 'MUNICIPALITY', WITHDRAWN: 'VENDOR' },
  IN_TREATMENT: { CLOSED: 'MUNICIPALITY', ACKNOWLEDGED: 'MUNICIPALITY' },
  CLOSED: {},
  ACKNOWLEDGED: {},
  WITHDRAWN: {},
};

/** Checks a status change by a viewer of `role`: CONFLICT when the workflow has no such step, FORBIDDEN when it is another's. */
export function checkTransition(from: ReportStatus, to: ReportStatus, role: Role): void {
  const allowed = transitions[from];
  const by = allowed[to];
  if (!by) {
    const next = Object.keys(allowed);
    throw new RegisterError(
      'CONFLICT',
      `A report that is ${from} cannot become ${to}; ${next.length ? `it can become ${next.join(' or ')}` : 'it is final'}`,
      'status',
    );
  }
  if (by !== role)
    throw new RegisterError('FORBIDDEN', `Only ${by === 'VENDOR' ? 'the reporting school' : 'the municipality'} makes a ${from} report ${to}`, 'status');
}

/**
 * Exemptions from compulsory education, registered by the municipality (Leerplichtwet; Besluit ROD
 * art 9-12, 20 [S:6, S:7]): art 5 a (physically or psychologically unfit), 5 b (objection to the
 * school's denomination), 5 c (enrolled at a school abroad), 5a (travelling family), 15 (other
 * education), 3a/3b (substitute compulsory education).
 */
export const exemptionKinds = ['UNFIT', 'DENOMINATION', 'SCHOOL_ABROAD', 'TRAVELLING', 'OTHER_EDUCATION', 'SUBSTITUTE'] as const;
export type ExemptionKind = (typeof exemptionKinds)[number];

export function checkExemptionPeriod(startDate: string, endDate: string | null): void {
  if (endDate !== null && endDate < startDate) throw badInput('endDate', `The end date ${endDate} is before the start date ${startDate}`);
}

/** Two periods share a day; an open end runs on. */
export const overlaps = (a: { startDate: string; endDate: string | null }, b: { startDate: string; endDate: string | null }) =>
  (a.endDate === null || b.startDate <= a.endDate) && (b.endDate === null || a.startDate <= b.endDate);
