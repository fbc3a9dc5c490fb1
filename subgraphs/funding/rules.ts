/*
 * The funding rules for po (docs/domain.md §5), each a pure function of the facts it reads: an enrollment
 * as the register holds it, the learner's birth date and the RIO periods of what it refers to.
 */
import { schoolYearOf } from '../../kernel/calendar.ts';
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

/** The calendar year funded by the pupils counted on `countDate` (WPO art 118.1). */
export const fundingYearOf = (countDate: string) => Number(countDate.slice(0, 4)) + 1;

/**
 * The last day on which an enrollment can reach the register and still count: "binnen vier weken na
 * die datum" (Besluit bekostiging WPO 2022 art 7 [S:34]): registered on day 28 after 1 February it
 * counts, on day 29 it does not (kernel/calendar.ts, fourWeeksAfter).
 */
export const registrationDeadline = (countDate: string) => fourWeeksAfter(countDate);

/**
 * The count date a school is working towards on `day`: the earliest one whose registration window
 * has not closed. From 2 March (1 March in a leap year) the next year's count date takes over.
 */
export function currentCountDate(day: string): string {
  const year = Number(day.slice(0, 4));
  return day <= registrationDeadline(countDateOf(year)) ? countDateOf(year) : countDateOf(year + 1);
}

/** The facts of one enrollment that the rules read. */
export interface EnrollmentFacts {
  id: string;
  /** The birth date the school delivered with this enrollment. */
  birthDate: string;
  startDate: string;
  /** Last day attended; null while enrolled. */
  endDate: string | null;
  /** The day (in the Netherlands) the register stored the enrollment. */
  registeredOn: string;
  /** Tie-breaker between enrollments registered on the same day: a UTC moment in one fixed-width format, so that text order is time order. */
  registeredAt: string;
  /** The RIO periods of the location and the offered programme; null when RIO does not know them. */
  location: Period | null;
  offeredProgramme: Period | null;
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
  deadline: string;
  schoolYear: { start: string; end: string };
  latestBirthDate: string;
}

export function countDateFacts(countDate: string): CountDateFacts {
  return { countDate, deadline: registrationDeadline(countDate), schoolYear: schoolYearOf(countDate), latestBirthDate: latestBirthDateOfPupil(countDate) };
}

const factsOf = (countDate: string | CountDateFacts) => (typeof countDate === 'string' ? countDateFacts(countDate) : countDate);

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

/**
 * The reasons an enrollment does not count on `countDate`, by itself (Besluit bekostiging WPO 2022
 * art 7 [S:34]; docs/domain.md §5 lists the reasons with their sources). Double enrollment needs the
 * learner's other enrollments: see `assessLearner`.
 */
export function reasonsAgainst(enrollment: EnrollmentFacts, birthDate: string, given: string | CountDateFacts): NotFundableReason[] {
  const { countDate, deadline, latestBirthDate } = factsOf(given);
  const reasons: NotFundableReason[] = [];
  if (!enrolledOn(enrollment, countDate)) reasons.push('NOT_ENROLLED_ON_COUNT_DATE');
  if (birthDate > latestBirthDate) reasons.push('UNDER_FOUR');
  if (enrollment.registeredOn > deadline) reasons.push('LATE_REGISTRATION');
  // Enrollments must reference RIO (docs/domain.md §7(d)); what RIO has closed on the count date is not counted.
  if (!activeOn(enrollment.location, countDate)) reasons.push('LOCATION_NOT_ACTIVE');
  if (!activeOn(enrollment.offeredProgramme, countDate)) reasons.push('OFFERED_PROGRAMME_NOT_ACTIVE');
  return reasons;
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
 * Every assessed enrollment of one learner on `countDate`: each enrollment's own reasons, then
 * DOUBLE_ENROLLMENT for every enrollment that would count but for the one that does. `registered`
 * is the learner's registered birth date, null when the register has none (`birthDateFor`).
 */
export function assessLearner(registered: string | null, enrollments: readonly EnrollmentFacts[], countDate: string | CountDateFacts): Assessment[] {
  const facts = factsOf(countDate);
  const assessed = enrollments.filter((enrollment) => assessedFor(enrollment, facts));
  const assessments = assessed.map((enrollment) => ({
    enrollmentId: enrollment.id,
    reasons: reasonsAgainst(enrollment, birthDateFor(registered, enrollment), facts),
  }));
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

const because: Record<NotFundableReason, (countDate: string, source: BirthDateSource) => string> = {
  NOT_ENROLLED_ON_COUNT_DATE: (day) => `the enrollment does not run on ${day}: it starts after it or ended before it`,
  UNDER_FOUR: (day, source) => `the learner is not yet 4 on ${day} ${byBirthDate[source]}, and a child is a pupil from the fourth birthday (WPO art 39.1)`,
  LATE_REGISTRATION: (day) => `the enrollment reached the register after ${registrationDeadline(day)}, more than 4 weeks after the count date`,
  LOCATION_NOT_ACTIVE: (day) => `the location in RIO is not active on ${day}`,
  OFFERED_PROGRAMME_NOT_ACTIVE: (day) => `the offered programme in RIO is not active on ${day}`,
  DOUBLE_ENROLLMENT: () => 'the learner counts through another enrollment, the one that started last (a pupil counts at one school only)',
};

/**
 * A sentence a school administrator can read, for an outcome on a count date, naming where the
 * birth date the age rule read came from (`birthDateFor`).
 */
export function explain(reasons: readonly NotFundableReason[], countDate: string, source: BirthDateSource): string {
  const funded = `funding year ${fundingYearOf(countDate)}`;
  if (reasons.length === 0)
    return `Counts for ${funded}: enrolled on the count date ${countDate}, 4 or older ${byBirthDate[source]}, and registered in time (Besluit bekostiging WPO 2022 art 7).`;
  return `Does not count for ${funded} (Besluit bekostiging WPO 2022 art 7): ${reasons.map((reason) => because[reason](countDate, source)).join('; ')}.`;
}
