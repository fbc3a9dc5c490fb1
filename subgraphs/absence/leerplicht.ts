/*
 * The leerplicht rules of the absence register (docs/domain.md §6), pure: no database, no GraphQL.
 * Exemptions by their articles (Leerplichtwet 1969: LPW art 5, 5a, 6, 15, 15a; art 3a and 3b), and
 * absolute absence: a resident of compulsory school age (LPW art 3 and 4, kernel/leerplicht.ts) whom
 * no school enrolls and no exemption frees. Days are YYYY-MM-DD strings, already parsed.
 */
import { addDays, schoolYearOf } from '../../kernel/calendar.ts';
import { badInput } from '../../kernel/errors.ts';
import { compulsorySchoolAge } from '../../kernel/leerplicht.ts';
import { isWorkingDay } from '../../kernel/terms.ts';
import { checkExemptionPeriod, overlaps, type ExemptionKind } from './rules.ts';

/** What the register does with an exemption of a kind: its article, whether it can be registered, and its conditions and effect. */
export interface ExemptionRule {
  article: string;
  /** Why a kind cannot be registered for a child of primary-school age; undefined when it can. */
  refused?: string;
  /** A claim that holds for one school year and is renewed by a notice before 1 July (LPW art 6). */
  yearly: boolean;
  /** A school that enrolls the child in the exemption's period is told (LPW art 15a: exemptions under art 5, 5a and 15). */
  noticed: boolean;
}

export const exemptionRules: Record<ExemptionKind, ExemptionRule> = {
  UNFIT: { article: 'LPW art 5 under a', yearly: false, noticed: true },
  DENOMINATION: { article: 'LPW art 5 under b', yearly: true, noticed: true },
  SCHOOL_ABROAD: { article: 'LPW art 5 under c', yearly: true, noticed: true },
  TRAVELLING: { article: 'LPW art 5a', yearly: false, noticed: true },
  OTHER_EDUCATION: {
    article: 'LPW art 15',
    refused: 'LPW art 15 exempts a young person of 16 or 17 from the qualification duty (art 4a); no child of primary-school age has that duty',
    yearly: false,
    noticed: true,
  },
  SUBSTITUTE: {
    article: 'LPW art 3a and 3b',
    refused: 'LPW art 3a and 3b are vervangende leerplicht (substitute compulsory education), no exemption, and not for a child of primary-school age',
    yearly: false,
    noticed: false,
  },
};

/** The kinds of which an enrolling school gets a notice (LPW art 15a). */
export const noticedKinds = (Object.keys(exemptionRules) as ExemptionKind[]).filter((kind) => exemptionRules[kind].noticed);

/** Refuses a kind that cannot apply at po ages (OTHER_EDUCATION, SUBSTITUTE): kept in the schema, deprecated, never registered. */
export function checkExemptionKind(kind: ExemptionKind): void {
  const rule = exemptionRules[kind];
  if (rule.refused) throw badInput('kind', `${kind} (${rule.article}) cannot be registered: ${rule.refused}`);
}

/**
 * An exemption's period as registered. A claim under LPW art 5 under b or c holds for one school year
 * (art 6: the notice is given "telkens" before 1 July for the school year to come), so it ends on
 * 31 July of the school year it starts in at the latest; without an end date it ends then. The next
 * year's claim is registered as an exemption of its own, starting in that school year.
 */
export function exemptionPeriod(kind: ExemptionKind, startDate: string, endDate: string | null): { startDate: string; endDate: string | null } {
  checkExemptionPeriod(startDate, endDate);
  if (!exemptionRules[kind].yearly) return { startDate, endDate };
  const last = schoolYearOf(startDate).end;
  if (endDate !== null && endDate > last) {
    throw badInput(
      'endDate',
      `A claim under ${exemptionRules[kind].article} holds for one school year (LPW art 6): starting on ${startDate}, it ends on ${last} at the latest, not ${endDate}; register the next school year's claim as an exemption of its own`,
    );
  }
  return { startDate, endDate: endDate ?? last };
}

/**
 * Whether the notice of a yearly claim came late: LPW art 6 asks it before 1 July preceding the
 * school year it is for. Flagged, not refused: whether a late claim takes effect is the
 * municipality's judgement (a child that comes to live in the municipality, or becomes of compulsory
 * school age, during the year cannot give notice before 1 July), and the register records its decision.
 */
export function lateNotice(kind: ExemptionKind, startDate: string, noticedOn: string): boolean {
  if (!exemptionRules[kind].yearly) return false;
  const year = schoolYearOf(startDate).start.slice(0, 4);
  return noticedOn >= `${year}-07-01`;
}

/**
 * Refuses an exemption whose whole period lies outside the child's compulsory school age (LPW art 3
 * and 4.1): it would exempt from nothing. A period partly outside is kept as registered (a
 * municipality may decide before the child turns five, art 6); it has effect only within that age.
 */
export function checkWithinCompulsorySchoolAge(birthDate: string, startDate: string, endDate: string | null): void {
  const age = compulsorySchoolAge(birthDate);
  if (overlaps({ startDate, endDate }, { startDate: age.from, endDate: age.fullUntil })) return;
  throw badInput(
    'startDate',
    `The child, born on ${birthDate}, is of compulsory school age from ${age.from} to ${age.fullUntil} (LPW art 3 and 4); the period ${startDate} to ${endDate ?? 'no end date'} lies wholly outside it, so it exempts from nothing`,
  );
}

/**
 * A school day, as the register counts them for the absolute-absence signal: a weekday that is no
 * generally recognised holiday (Algemene termijnenwet art 3, kernel/terms.ts). School holidays are
 * not left out: the register does not know each school's calendar here, and a child without a school
 * has none; counting them makes the signal come sooner, never later.
 */
export const isSchoolDay = isWorkingDay;

/** The day the child has been without school for more than `schoolDays` school days counted from `since`: the (schoolDays + 1)th school day on or after it. */
export function signalDue(since: string, schoolDays: number): string {
  let day = since;
  let counted = 0;
  for (;;) {
    if (isSchoolDay(day) && ++counted > schoolDays) return day;
    day = addDays(day, 1);
  }
}

/** A resident as the person source registers it. */
export interface ResidentFacts {
  birthDate: string;
  municipalityCode: string | null;
  deceasedOn: string | null;
  emigratedOn: string | null;
}

/** An enrollment of the resident, with how it ended (contracts/learners.ts, EnrollmentState). */
export interface EnrollmentFacts {
  id: string;
  startDate: string;
  endDate: string | null;
  endReason: string | null;
  destination: string | null;
}

export interface ExemptionFacts {
  startDate: string;
  endDate: string | null;
}

/** Why a resident has no absolute-absence signal on a day: also why an open one is resolved. */
export type DutyMet = 'ENROLLED' | 'EXEMPTED' | 'NOT_OF_COMPULSORY_SCHOOL_AGE' | 'DECEASED' | 'EMIGRATED' | 'NO_RESIDENCE' | 'LEFT_FOR_A_SCHOOL';

/** A resident without school or exemption: since when, and what came before. */
export interface DutyUnmet {
  since: string;
  reason: 'NEVER_ENROLLED' | 'DEREGISTERED' | 'EXEMPTION_ENDED';
  /** The enrollment whose end began it, for DEREGISTERED. */
  lastEnrollmentId: string | null;
}

/**
 * Ends that say where the child went: to a school the register may not hold (another school, special
 * education: (v)so under the WEC; secondary school after primary), abroad (the duty is one in the
 * Netherlands), or none (deceased). A deregistration without a destination (UNKNOWN, none given,
 * EXPELLED or OTHER without one) names no school.
 */
const schoolDestinations = new Set(['OTHER_SCHOOL', 'SPECIAL_EDUCATION']);
const leftFor = (ended: EnrollmentFacts): DutyMet | null => {
  if (ended.endReason === 'DECEASED') return 'DECEASED';
  if (ended.destination === 'ABROAD' || ended.endReason === 'MOVED_ABROAD') return 'EMIGRATED';
  if (schoolDestinations.has(ended.destination ?? '')) return 'LEFT_FOR_A_SCHOOL';
  if (!ended.destination && (ended.endReason === 'TRANSFER' || ended.endReason === 'END_OF_PRIMARY_EDUCATION')) return 'LEFT_FOR_A_SCHOOL';
  return null;
};

const latest = <Row extends { endDate: string | null }>(rows: readonly Row[], before: string): Row | undefined =>
  rows.filter((row) => row.endDate !== null && row.endDate < before).sort((a, b) => (a.endDate! < b.endDate! ? 1 : -1))[0];

/**
 * Whether the duty to be enrolled (LPW art 2) stands unmet for a resident on `day`, and since when
 * (absoluut verzuim). It is met, or not the register's to signal, when the child is deceased,
 * emigrated or without a municipality; not of compulsory school age (LPW art 3 and 4.1); enrolled on
 * that day; exempt on that day; or last left a school for another school, for abroad or by death.
 * Otherwise it is unmet since the latest of: the start of compulsory school age, the day after the
 * last enrollment ended, the day after the last exemption ended.
 */
export function dutyOn(
  day: string,
  resident: ResidentFacts,
  enrollments: readonly EnrollmentFacts[],
  exemptions: readonly ExemptionFacts[],
): DutyUnmet | DutyMet {
  if (resident.deceasedOn !== null && resident.deceasedOn <= day) return 'DECEASED';
  if (resident.emigratedOn !== null && resident.emigratedOn <= day) return 'EMIGRATED';
  if (resident.municipalityCode === null) return 'NO_RESIDENCE';
  const age = compulsorySchoolAge(resident.birthDate);
  if (day < age.from || day > age.fullUntil) return 'NOT_OF_COMPULSORY_SCHOOL_AGE';
  const today = { startDate: day, endDate: day };
  if (enrollments.some((row) => overlaps(row, today))) return 'ENROLLED';
  if (exemptions.some((row) => overlaps(row, today))) return 'EXEMPTED';
  const ended = latest(enrollments, day);
  const exempted = latest(exemptions, day);
  if (ended && (!exempted || ended.endDate! >= exempted.endDate!)) {
    const met = leftFor(ended);
    if (met) return met;
    return { since: later(age.from, addDays(ended.endDate!, 1)), reason: 'DEREGISTERED', lastEnrollmentId: ended.id };
  }
  if (exempted) return { since: later(age.from, addDays(exempted.endDate!, 1)), reason: 'EXEMPTION_ENDED', lastEnrollmentId: null };
  return { since: age.from, reason: 'NEVER_ENROLLED', lastEnrollmentId: null };
}

const later = (a: string, b: string) => (a > b ? a : b);

export const absoluteAbsenceReasons = ['NEVER_ENROLLED', 'DEREGISTERED', 'EXEMPTION_ENDED'] as const;
/** OPEN when issued; ACKNOWLEDGED by the municipality; RESOLVED by the register once the child is no longer without school. */
export const absoluteAbsenceStatuses = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export const absoluteAbsenceResolutions = [
  'ENROLLED',
  'EXEMPTED',
  'NOT_OF_COMPULSORY_SCHOOL_AGE',
  'DECEASED',
  'EMIGRATED',
  'MOVED_AWAY',
  'LEFT_FOR_A_SCHOOL',
  'CORRECTED',
] as const;
export type AbsoluteAbsenceStatus = (typeof absoluteAbsenceStatuses)[number];
export type AbsoluteAbsenceResolution = (typeof absoluteAbsenceResolutions)[number];

/**
 * Why a signal issued to `signal.municipalityCode` for the episode since `signal.since` is resolved,
 * now that the duty stands as `now` for a resident living in `municipalityCode`; null while it stands.
 * A later episode means the child was enrolled or exempt in between; an earlier one, or one of a
 * child never enrolled that moved, that the facts behind the signal were corrected.
 */
export function resolutionOf(
  signal: { municipalityCode: string; since: string },
  now: DutyUnmet | DutyMet,
  municipalityCode: string | null,
): AbsoluteAbsenceResolution | null {
  if (typeof now === 'string') return now === 'NO_RESIDENCE' ? 'MOVED_AWAY' : now;
  if (municipalityCode !== signal.municipalityCode) return 'MOVED_AWAY';
  if (now.since === signal.since) return null;
  if (now.since > signal.since && now.reason !== 'NEVER_ENROLLED') return now.reason === 'DEREGISTERED' ? 'ENROLLED' : 'EXEMPTED';
  return 'CORRECTED';
}
