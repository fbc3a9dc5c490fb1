/*
 * The funding rules for po (docs/domain.md §5), each a pure function of the facts it reads: an enrollment
 * as the register holds it and as it held it by the registration deadline, the learner's birth date and
 * the RIO periods of what it refers to.
 */
import { schoolYearOf } from '../../kernel/calendar.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { parseDay } from '../../kernel/scalars.ts';
import { fourWeeksAfter } from '../../kernel/terms.ts';

/**
 * The count date (teldatum) of a year: the Minister funds a calendar year by the number of pupils on
 * 1 February of the year before (WPO art 118.1, since 2023 [S:8]). The API calls the day `countDate`
 * and the year it funds `fundingYear`.
 */
export function countDateOf(year: number): string {
  return `${String(year).padStart(4, '0')}-02-01`;
}

export const isCountDate = (day: string) => day.slice(4) === '-02-01';

/** A count date as a client sends it: a day, and 1 February. */
export function parseCountDate(value: unknown, field = 'countDate'): string {
  const day = parseDay(value, field);
  if (!isCountDate(day)) throw new RegisterError('BAD_USER_INPUT', `${day} is not a count date: the count date is 1 February (WPO art 118.1)`, field);
  return day;
}

/** The calendar year funded by the pupils counted on `countDate` (WPO art 118.1). */
export const fundingYearOf = (countDate: string) => Number(countDate.slice(0, 4)) + 1;

/**
 * The last day on which an enrollment can reach the register and still count: "binnen vier weken na
 * die datum" (Besluit bekostiging WPO 2022 art 7.2 [S:34]): day 28 after 1 February, run on to the next
 * working day when that is a Saturday or Sunday (Algemene termijnenwet art 1 and 5; kernel/terms.ts,
 * fourWeeksAfter). 2025: Saturday 1 March, so Monday 3 March; 2026: Sunday 1 March, so Monday 2 March;
 * 2027: Monday 1 March. No holiday of Atw art 3 can fall on day 28 (1 March, or 29 February in a leap
 * year) or on the Monday after it: Good Friday is 20 March at the earliest (rules.test.ts checks every
 * year from 1900 to 2400). A school the minister gave more time under art 7.3 has its own deadline
 * (`deadlineFor`).
 */
export const registrationDeadline = (countDate: string) => fourWeeksAfter(countDate);

/**
 * The count date a school is working towards on `day`: the earliest one whose registration window
 * has not closed. From the day after the deadline the next year's count date takes over (2 March
 * 2027, 4 March 2025, 1 March 2028).
 */
export function currentCountDate(day: string): string {
  const year = Number(day.slice(0, 4));
  return day <= registrationDeadline(countDateOf(year)) ? countDateOf(year) : countDateOf(year + 1);
}

/** What an enrollment says at one time: the facts a school registers that the rules read. */
export interface EnrollmentState {
  /** The birth date the school delivered with this enrollment. */
  birthDate: string;
  startDate: string;
  /** Last day attended; null while enrolled. */
  endDate: string | null;
  /** The RIO periods of the location and the offered programme; null when RIO does not know them. */
  location: Period | null;
  offeredProgramme: Period | null;
}

/** A state the register held before the current one, with the day (in the Netherlands) it stored it. */
export interface EnrollmentVersion extends EnrollmentState {
  updatedOn: string;
}

/** The facts of one enrollment that the rules read: its current state, and the states it replaced. */
export interface EnrollmentFacts extends EnrollmentState {
  id: string;
  /** The branch it is at: its school (BRIN4) may have a deadline of its own (art 7.3, `deadlineFor`). */
  brin6: string;
  /** The day (in the Netherlands) the register first stored the enrollment. */
  registeredOn: string;
  /** Tie-breaker between enrollments registered on the same day: a UTC moment in one fixed-width format, so that text order is time order. */
  registeredAt: string;
  /** The day the register stored the current state; absent: `registeredOn`, it never changed. */
  updatedOn?: string;
  /** The states the current one replaced, oldest first: the first was stored on `registeredOn`. */
  earlier?: readonly EnrollmentVersion[];
}

/**
 * The enrollment as the register held it at the end of `deadline` (Besluit bekostiging WPO 2022 art
 * 7.2: the data must be in the register within the four weeks): the last state stored on or before
 * that day; null when it reached the register after it.
 */
export function asRegisteredBy(enrollment: EnrollmentFacts, deadline: string): EnrollmentState | null {
  if (enrollment.registeredOn > deadline) return null;
  if ((enrollment.updatedOn ?? enrollment.registeredOn) <= deadline) return enrollment;
  return enrollment.earlier?.findLast((version) => version.updatedOn <= deadline) ?? null;
}

export interface Period {
  startDate: string | null;
  endDate: string | null;
}

export const activeOn = (period: Period | null, day: string) =>
  period !== null && (period.startDate === null || period.startDate <= day) && (period.endDate === null || period.endDate >= day);

/** Enrolled on the day: started on or before it and not ended before it (Besluit bekostiging art 7, 9, 10). */
export const enrolledOn = (enrollment: Pick<EnrollmentFacts, 'startDate' | 'endDate'>, day: string) =>
  enrollment.startDate <= day && (enrollment.endDate === null || enrollment.endDate >= day);

/**
 * The latest birth date of a child who is 4 on `day`: the same day 4 years earlier. A child born on
 * 29 February turns 4 on 1 March in a year without one (kernel/calendar.ts), and the text order of
 * days gives exactly that, also for a 29 February that the earlier year lacks.
 */
export const latestBirthDateOfPupil = (day: string) => `${String(Number(day.slice(0, 4)) - 4).padStart(4, '0')}${day.slice(4)}`;

/**
 * The birth date the rules read for an enrollment: the registered one, from the person source that
 * stands in for the BRP (Besluit ROD art 4), where the register has it; else the one the school
 * delivered with that enrollment, which then stands (Wro art 9.4). Never another school's delivery:
 * what one school delivers does not move another school's funding (docs/domain.md §2.2, "Personal
 * data").
 */
export function birthDateFor(registered: string | null, enrollment: Pick<EnrollmentFacts, 'birthDate'>): string {
  return registered ?? enrollment.birthDate;
}

/** Where the birth date the rules read comes from: said in the explanation. */
export type BirthDateSource = 'REGISTERED' | 'DELIVERED';

/** A child is a pupil (leerling) from the fourth birthday (WPO art 39.1 [S:8]); one who turns 4 on the count date counts. */
export const pupilOn = (birthDate: string, day: string) => birthDate <= latestBirthDateOfPupil(day);

/**
 * Whether an enrollment is assessed for a count date at all: its period overlaps the school year the
 * count date falls in (1 August to 31 July, Besluit bekostiging art 1). A school gets a status for
 * this year's enrollments, not a "not enrolled" for every enrollment it ever had.
 */
export function assessedFor(enrollment: Pick<EnrollmentFacts, 'startDate' | 'endDate'>, countDate: string | CountDateFacts): boolean {
  const { schoolYear } = factsOf(countDate);
  return enrollment.startDate <= schoolYear.end && (enrollment.endDate === null || enrollment.endDate >= schoolYear.start);
}

/** What the rules need of a count date, worked out once for all the enrollments assessed for it. */
export interface CountDateFacts {
  countDate: string;
  /** The registration deadline by art 7.2 and the Atw (`registrationDeadline`). */
  deadline: string;
  /** The deadlines the minister extended under art 7.3, by school (BRIN4): the last day of each. */
  extensions: ReadonlyMap<string, string>;
  schoolYear: { start: string; end: string };
  latestBirthDate: string;
}

export function countDateFacts(countDate: string, extensions: ReadonlyMap<string, string> = new Map()): CountDateFacts {
  return {
    countDate,
    deadline: registrationDeadline(countDate),
    extensions,
    schoolYear: schoolYearOf(countDate),
    latestBirthDate: latestBirthDateOfPupil(countDate),
  };
}

const factsOf = (countDate: string | CountDateFacts) => (typeof countDate === 'string' ? countDateFacts(countDate) : countDate);

/**
 * The last day on which an enrollment at `brin6` can reach the register and count: the school's
 * own deadline where the minister extended it (Besluit bekostiging WPO 2022 art 7.3; a school is its
 * BRIN4 with all its vestigingen, art 8.5), else the deadline of art 7.2.
 */
export const deadlineFor = (given: string | CountDateFacts, brin6: string): string => deadlineOf(factsOf(given), brin6).day;

/** `deadlineFor` with whether it is the school's own (art 7.3), as an explanation names it. */
export function deadlineOf(facts: CountDateFacts, brin6: string): Deadline {
  const extended = facts.extensions.get(brin6.slice(0, 4));
  return extended === undefined ? { day: facts.deadline, extended: false } : { day: extended, extended: true };
}

export const notFundableReasons = [
  'NOT_ENROLLED_ON_COUNT_DATE',
  'UNDER_FOUR',
  'LATE_REGISTRATION',
  'LOCATION_NOT_ACTIVE',
  'OFFERED_PROGRAMME_NOT_ACTIVE',
  'DOUBLE_ENROLLMENT',
] as const;

export type NotFundableReason = (typeof notFundableReasons)[number];

/** The outcome for one enrollment and count date: fundable when no reason stands against it. */
export interface Assessment {
  enrollmentId: string;
  reasons: NotFundableReason[];
}

/** The reasons one state of an enrollment does not count on the count date, its registration aside. */
function reasonsOfState(state: EnrollmentState, birthDate: string, { countDate, latestBirthDate }: CountDateFacts): NotFundableReason[] {
  const reasons: NotFundableReason[] = [];
  if (!enrolledOn(state, countDate)) reasons.push('NOT_ENROLLED_ON_COUNT_DATE');
  if (birthDate > latestBirthDate) reasons.push('UNDER_FOUR');
  // Enrollments must reference RIO (docs/domain.md §7(d)); what RIO has closed on the count date is not counted.
  if (!activeOn(state.location, countDate)) reasons.push('LOCATION_NOT_ACTIVE');
  if (!activeOn(state.offeredProgramme, countDate)) reasons.push('OFFERED_PROGRAMME_NOT_ACTIVE');
  return reasons;
}

/**
 * The reasons an enrollment does not count on `countDate`, by itself (Besluit bekostiging WPO 2022
 * art 7 [S:34]; docs/domain.md §5 lists the reasons with their sources), in the order of
 * `notFundableReasons`. `registered` is the learner's registered birth date (`birthDateFor`). Double
 * enrollment needs the learner's other enrollments: see `assessLearner`.
 *
 * Which facts (docs/domain.md §5, "Timing"): a pupil counts who is enrolled on the count date (art
 * 7.1) and whose data are in the register within the four weeks after it (art 7.2). So the
 * enrollment is assessed as the register held it at the end of its deadline (`asRegisteredBy`): what
 * is registered after that day does not make it count, and none registered by then is
 * LATE_REGISTRATION. It is also assessed as the register holds it now: a change registered after the
 * deadline that shows it does not meet art 7.1 (it ended before the count date, started after it, the
 * learner is under 4) stops it counting. That second half is the register's reading, not the
 * article's words: the deadline bounds what a school may add, and the register does not count a pupil
 * it has been told was not enrolled. The reasons are those of both. Once the count-date run has made
 * the count date FINAL, nothing changes it (run.ts).
 */
export function reasonsAgainst(enrollment: EnrollmentFacts, registered: string | null, given: string | CountDateFacts): NotFundableReason[] {
  const facts = factsOf(given);
  const then = asRegisteredBy(enrollment, deadlineFor(facts, enrollment.brin6));
  const found = new Set(reasonsOfState(enrollment, birthDateFor(registered, enrollment), facts));
  if (then === null) found.add('LATE_REGISTRATION');
  else if (then !== enrollment) for (const reason of reasonsOfState(then, birthDateFor(registered, then), facts)) found.add(reason);
  return notFundableReasons.filter((reason) => found.has(reason));
}

/**
 * Which of several enrollments that would each count is the one that does: a pupil counts at one
 * school only (Besluit bekostiging art 7, docs/domain.md §5). The latest start wins: when a learner enrolls elsewhere,
 * the old school must end its enrollment the day before the new start (art 10), so two active
 * enrollments mean the old school has not done so yet and the learner attends the new one. Same start:
 * the one registered first, then the lower id, so the choice never depends on the order of reading.
 */
export function countingEnrollment<E extends Pick<EnrollmentFacts, 'id' | 'startDate' | 'registeredAt'>>(candidates: readonly E[]): E | undefined {
  let best: E | undefined;
  for (const candidate of candidates) {
    if (
      !best ||
      candidate.startDate > best.startDate ||
      (candidate.startDate === best.startDate &&
        (candidate.registeredAt < best.registeredAt || (candidate.registeredAt === best.registeredAt && candidate.id < best.id)))
    ) {
      best = candidate;
    }
  }
  return best;
}

/**
 * Whether an enrollment is assessed for the count date: as it stands now, or as the register held it
 * by its deadline (so that a start moved out of the school year after the deadline still shows why
 * it stopped counting).
 */
function isAssessed(enrollment: EnrollmentFacts, facts: CountDateFacts): boolean {
  if (assessedFor(enrollment, facts)) return true;
  const then = asRegisteredBy(enrollment, deadlineFor(facts, enrollment.brin6));
  return then !== null && assessedFor(then, facts);
}

/**
 * Every assessed enrollment of one learner on `countDate`: each enrollment's own reasons, then
 * DOUBLE_ENROLLMENT for every enrollment that would count but for the one that does. `registered`
 * is the learner's registered birth date, null when the register has none (`birthDateFor`).
 */
export function assessLearner(registered: string | null, enrollments: readonly EnrollmentFacts[], countDate: string | CountDateFacts): Assessment[] {
  const facts = factsOf(countDate);
  const assessed = enrollments.filter((enrollment) => isAssessed(enrollment, facts));
  const assessments = assessed.map((enrollment) => ({ enrollmentId: enrollment.id, reasons: reasonsAgainst(enrollment, registered, facts) }));
  const eligible = assessed.filter((_, i) => assessments[i]!.reasons.length === 0);
  const counted = countingEnrollment(eligible);
  for (const [i, enrollment] of assessed.entries()) {
    if (assessments[i]!.reasons.length === 0 && enrollment !== counted) assessments[i]!.reasons.push('DOUBLE_ENROLLMENT');
  }
  return assessments;
}

const byBirthDate: Record<BirthDateSource, string> = {
  REGISTERED: 'by the birth date in the person register',
  DELIVERED: 'by the birth date the school delivered (the person register has none for this learner)',
};

/** The deadline a status was assessed against: art 7.2's, or the school's own under art 7.3. */
export interface Deadline {
  day: string;
  extended: boolean;
}

const ofDeadline = ({ day, extended }: Deadline) =>
  extended
    ? `${day}, the last day of the time the minister gave this school (Besluit bekostiging WPO 2022 art 7.3)`
    : `${day}, the end of the four weeks after the count date (art 7.2; a term that would end on a Saturday, Sunday or holiday runs on to the next working day, Algemene termijnenwet art 1)`;

const because: Record<NotFundableReason, (countDate: string, source: BirthDateSource, deadline: Deadline) => string> = {
  NOT_ENROLLED_ON_COUNT_DATE: (day) => `the enrollment does not run on ${day}: it starts after it or ended before it`,
  UNDER_FOUR: (day, source) => `the learner is not yet 4 on ${day} ${byBirthDate[source]}, and a child is a pupil from the fourth birthday (WPO art 39.1)`,
  LATE_REGISTRATION: (_, __, deadline) => `the enrollment reached the register after ${ofDeadline(deadline)}`,
  LOCATION_NOT_ACTIVE: (day) => `the location in RIO is not active on ${day}`,
  OFFERED_PROGRAMME_NOT_ACTIVE: (day) => `the offered programme in RIO is not active on ${day}`,
  DOUBLE_ENROLLMENT: () => 'the learner counts through another enrollment, the one that started last (a pupil counts at one school only)',
};

/**
 * A sentence a school administrator can read, for an outcome on a count date, naming where the
 * birth date the age rule read came from (`birthDateFor`). Once `today` is past the deadline it says
 * which facts were read (`reasonsAgainst`), so that a school that corrected an enrollment since knows
 * why the correction does not make it count.
 */
export function explain(
  reasons: readonly NotFundableReason[],
  countDate: string,
  source: BirthDateSource,
  deadline: Deadline = { day: registrationDeadline(countDate), extended: false },
  today?: string,
): string {
  const funded = `funding year ${fundingYearOf(countDate)}`;
  const facts =
    today !== undefined && today > deadline.day
      ? ` Assessed on the enrollment as the register held it at the end of ${deadline.day} and as it holds it now: a change registered after that day does not make it count (art 7.2).`
      : '';
  if (reasons.length === 0)
    return `Counts for ${funded}: enrolled on the count date ${countDate}, 4 or older ${byBirthDate[source]}, and registered in time (Besluit bekostiging WPO 2022 art 7).${facts}`;
  return `Does not count for ${funded} (Besluit bekostiging WPO 2022 art 7): ${reasons.map((reason) => because[reason](countDate, source, deadline)).join('; ')}.${facts}`;
}
