import { RegisterError, badInput } from '../../kernel/errors.ts';
import { brin4Of, isMunicipalityCode, parseMunicipalityCode, parsePostcode } from '../../kernel/ids/index.ts';
import { addDays, birthdayAt, schoolYearOf } from '../../kernel/calendar.ts';
import { fourWeeksAfter } from '../../kernel/terms.ts';

// Pure rules of the learners register (ROD po): no database, no GraphQL. Days are YYYY-MM-DD strings,
// already parsed by the Date scalar, so they compare as strings. Fields are named as the GraphQL input names them.

/**
 * The last day a child may be a learner in primary education: 31 July ending the school year in which they
 * turn 14, since learners leave the school at the latest at the end of that school year (WPO art 39.4 [S:8],
 * docs/domain.md §4; school year per Besluit bekostiging WPO 2022 art 1 [S:34]).
 */
export function lastSchoolDayFor(birthDate: string): string {
  return schoolYearOf(birthdayAt(birthDate, 14)).end;
}

/**
 * How old a learner the register believes: a child is admitted from 4 (WPO art 39.1 [S:8]) and leaves
 * at the latest at the end of the school year in which they turn 14 (39.4), so nobody in primary school
 * is older than 15; enrollments of past years are still delivered and corrected. 25 years is a margin
 * for plausibility, the register's own and no rule of the law: it keeps typing slips (1900, 2099) out.
 */
export const maxLearnerAge = 25;

/** A birth date not after today and at most `maxLearnerAge` years before it (see there). */
export function checkBirthDate(birthDate: string, today: string, field = 'birthDate'): string {
  if (birthDate > today) throw badInput(field, `The birth date ${birthDate} is after today, ${today}`);
  if (birthdayAt(birthDate, maxLearnerAge) < today) {
    throw badInput(
      field,
      `The birth date ${birthDate} is more than ${maxLearnerAge} years ago: no learner in primary education is that old (WPO art 39: from 4 to the end of the school year in which they turn 14)`,
    );
  }
  return birthDate;
}

/**
 * Admission age (WPO art 39 [S:8], docs/domain.md §4): a child is admitted as a learner from the day they turn 4
 * (39.1). From 3 years 10 months a school may let a child visit for at most 5 days, but such a child is not a
 * learner (39.3), so the register refuses such an enrollment. No enrollment may start after the last day a
 * learner may attend primary school (39.4, see `lastSchoolDayFor`).
 */
export function checkAdmissionAge(birthDate: string, startDate: string, field = 'startDate'): void {
  const turnsFour = birthdayAt(birthDate, 4);
  if (startDate < turnsFour) {
    throw badInput(
      field,
      `The child turns 4 on ${turnsFour} and may be enrolled from that day (WPO art 39.1); before it a child from 3 years and 10 months may visit for at most 5 days but is not a learner (WPO art 39.3)`,
    );
  }
  const lastDay = lastSchoolDayFor(birthDate);
  if (startDate > lastDay) {
    throw badInput(
      field,
      `A learner leaves primary school at the latest at the end of the school year in which they turn 14, for this child ${lastDay} (WPO art 39.4); the start date ${startDate} is after it`,
    );
  }
}

/**
 * End date (uitschrijfdatum) = the last day the learner attends (Besluit bekostiging WPO 2022 art 10.1 [S:34]),
 * so it is not before the start date; equal to it is a one-day enrollment. It is not after the last day a
 * learner may attend primary school (WPO art 39.4 [S:8]).
 */
export function checkEndDate(startDate: string, endDate: string, birthDate: string, field = 'endDate'): void {
  if (endDate < startDate) {
    throw badInput(field, `The end date ${endDate} is before the start date ${startDate}; the end date is the last day the learner attends`);
  }
  const lastDay = lastSchoolDayFor(birthDate);
  if (endDate > lastDay) {
    throw badInput(
      field,
      `A learner leaves primary school at the latest at the end of the school year in which they turn 14, for this child ${lastDay} (WPO art 39.4); the end date ${endDate} is after it`,
    );
  }
}

/**
 * A learner who leaves after the last day of a school year is deregistered on that day, 31 July, not
 * on the last day of lessons before the summer (Besluit bekostiging WPO 2022 art 10.1 [S:34]). Leaving
 * primary education after group 8 is such a leave, so its end date is 31 July.
 */
export function checkEndOfSchoolYear(reason: string, endDate: string, field = 'endDate'): void {
  if (reason === 'END_OF_PRIMARY_EDUCATION' && endDate !== schoolYearOf(endDate).end) {
    throw badInput(
      field,
      `A learner who leaves primary education at the end of the school year is deregistered on 31 July (Besluit bekostiging WPO 2022 art 10); ${endDate} is not`,
    );
  }
}

/** An enrollment's place and period; `endDate` null while it is open. */
export interface EnrollmentSpan {
  id?: string;
  brin6: string;
  startDate: string;
  endDate: string | null;
}

const overlaps = (a: EnrollmentSpan, b: EnrollmentSpan) => (a.endDate === null || b.startDate <= a.endDate) && (b.endDate === null || a.startDate <= b.endDate);

/**
 * An inschrijving is one period at one school (Besluit ROD art 5.1: registratienummer, datum inschrijving,
 * datum uitschrijving [S:6]): on any day a learner is enrolled at a school once or not at all, so two periods
 * of one learner at one BRIN6 may not overlap. Both ends are days attended, so a period may start the day after
 * another ends. The existing enrollment with the candidate's id is the one being changed and is skipped.
 */
export function checkNoOverlap(candidate: EnrollmentSpan, existing: readonly EnrollmentSpan[], field = 'startDate'): void {
  for (const other of existing) {
    if (candidate.id !== undefined && other.id === candidate.id) continue;
    if (other.brin6 !== candidate.brin6 || !overlaps(candidate, other)) continue;
    throw new RegisterError(
      'CONFLICT',
      `The learner is already enrolled at ${other.brin6} from ${other.startDate} to ${other.endDate ?? 'no end date'} (enrollment ${other.id ?? 'without id'}); enrollments at one school may not overlap`,
      field,
    );
  }
}

/** Groep 1 to 8 of primary school (Besluit ROD art 6.1, opleidingsgegevens po: "groep" [S:6]). */
export function checkGroup(group: number, field = 'group'): number {
  if (!Number.isInteger(group) || group < 1 || group > 8) throw badInput(field, `Group ${group} must be a whole number from 1 to 8`);
  return group;
}

/**
 * Inschrijvingvolgnummer: the school's own number for an enrollment, 1 to 20 characters of type
 * IdentificatiecodeType, "combinatie van letters en cijfers zonder betekenis" (DUO VO XSD [S:14], docs/domain.md §3).
 * No po schema was found, so the VO rule is assumed for po; we read "letters en cijfers" as ASCII A-Z, a-z, 0-9.
 */
export function checkSchoolEnrollmentNumber(value: string, field = 'schoolEnrollmentNumber'): string {
  const number = value.trim();
  if (!/^[A-Za-z0-9]{1,20}$/.test(number)) {
    throw badInput(field, `School enrollment number ${JSON.stringify(value)} must be 1 to 20 letters or digits`);
  }
  return number;
}

/** A school year written `2025-2026`: the year it starts on 1 August and the next (Besluit bekostiging WPO 2022 art 1 [S:34]). */
export function checkSchoolYear(label: string, field = 'schoolYear'): string {
  const match = /^(\d{4})-(\d{4})$/.exec(label);
  if (!match || Number(match[2]) !== Number(match[1]) + 1) {
    throw badInput(field, `School year ${JSON.stringify(label)} must be written as two consecutive years, e.g. 2025-2026`);
  }
  return label;
}

/**
 * A result concerns a school year in which the learner was enrolled (Besluit ROD art 7.1 [S:6]: the
 * result of the learner's education at the school): the school year (1 August to 31 July, Besluit
 * bekostiging WPO 2022 art 1 [S:34]) shares a day with the enrollment, which ends at the latest on the
 * learner's last day in primary school (WPO art 39.4 [S:8]), and it has begun: no result comes before.
 */
export function checkResultSchoolYear(
  label: string,
  enrollment: { startDate: string; endDate: string | null },
  birthDate: string,
  today: string,
  field = 'schoolYear',
): void {
  const year = schoolYearOf(`${label.slice(0, 4)}-08-01`);
  if (year.start > today) throw badInput(field, `The school year ${label} has not begun; a result is recorded in or after its school year`);
  const last = enrollment.endDate ?? lastSchoolDayFor(birthDate);
  if (year.end < enrollment.startDate || year.start > last) {
    throw badInput(
      field,
      `The enrollment runs from ${enrollment.startDate} to ${enrollment.endDate ?? `no end date (at the latest ${last})`}; the school year ${label} is not within it`,
    );
  }
}

/**
 * Resultaat po: the outcome of the eindtoets (now the doorstroomtoets) or the reason none was taken
 * (Besluit ROD art 7.1 [S:6]; WPO 2025 art 41.2 [S:8], docs/domain.md §2.2): exactly one of the two.
 */
export function checkResult(result: { testLevel?: unknown; noTestReason?: unknown }): void {
  const hasLevel = result.testLevel !== undefined && result.testLevel !== null;
  const hasReason = result.noTestReason !== undefined && result.noTestReason !== null;
  if (!hasLevel && !hasReason) {
    throw badInput('testLevel', 'Give the doorstroomtoets outcome (testLevel) or the reason no test was taken (noTestReason)');
  }
  if (hasLevel && hasReason) {
    throw badInput('noTestReason', 'Give the doorstroomtoets outcome (testLevel) or the reason no test was taken (noTestReason), not both');
  }
}

/** What the register tells an old school when its learner enrolls at another school. */
export interface Transfer {
  enrollmentId: string;
  /** The day before the new start (Besluit bekostiging WPO 2022 art 10.2). */
  proposedEndDate: string;
  /** Whether art 10.2 obliges the old school to end its enrollment on `proposedEndDate`. */
  endRequired: boolean;
  /** Why it does or does not, in words, with the days that decide it. */
  endRequiredReason: string;
}

/**
 * po-informatiediensten (docs/domain.md §7(c)): when a learner enrolls at a new school, the register
 * sends a notice to the old school. Art 10.2 of the Besluit bekostiging WPO 2022 [S:34]: when the old
 * school receives, "binnen vier weken na de dag waarop de leerling de school voor het laatst heeft
 * bezocht", the notice that the learner is enrolled at "een andere school", it changes its end date to
 * the day before the new enrollment. The duty runs from receipt (docs/domain.md §14):
 *
 * - The notice is received on `receivedOn`, the day the register sends it: the day the new enrollment is
 *   registered (Europe/Amsterdam), or the day a merge of two learners brings the two enrollments together.
 * - The old school must end its enrollment the day before the new start when the notice arrives within
 *   four weeks after the last day the learner attended it, its end date (`fourWeeksAfter`: the 28th day
 *   after it, run on to a working day by the Algemene termijnenwet art 1). An open enrollment has no last
 *   day yet: the duty holds. This can also move an end date later, up to the day before the new start.
 * - A school is its main vestiging with its other vestigingen (art 8.5, 11.2): a move between vestigingen
 *   of one school (same BRIN4) is a change of vestiging, not a move to another school, and gets no notice.
 *
 * Which old enrollments get a notice (the register's choice, README "Transfers"): those at another school
 * that started before the new start (one that did not cannot end the day before it) and either carry the
 * duty, or overlap the new enrollment (their end date is on or after the new start). An overlapping one
 * without the duty gets a notice that says so: the learner is registered at two schools at once, which
 * the old school may want to correct, though art 10.2 no longer requires it. An enrollment that ended
 * before the new start and whose notice comes too late gets none: there is nothing to change, and telling
 * a former school where its learner went afterwards is data it has no need of (AVG art 5.1.c).
 */
export function transfersFor(
  newEnrollment: { brin6: string; startDate: string },
  others: readonly { id: string; brin6: string; startDate: string; endDate: string | null }[],
  receivedOn: string,
): Transfer[] {
  const proposedEndDate = addDays(newEnrollment.startDate, -1);
  const school = brin4Of(newEnrollment.brin6);
  return others
    .filter((other) => brin4Of(other.brin6) !== school && other.startDate < newEnrollment.startDate)
    .flatMap((other) => {
      const endRequired = other.endDate === null || receivedOn <= fourWeeksAfter(other.endDate);
      if (!endRequired && other.endDate! < newEnrollment.startDate) return [];
      return [
        { enrollmentId: other.id, proposedEndDate, endRequired, endRequiredReason: endRequiredReason(other.endDate, receivedOn, proposedEndDate, endRequired) },
      ];
    });
}

/** The reason a notice gives for `endRequired` (see `transfersFor`). */
export function endRequiredReason(endDate: string | null, receivedOn: string, proposedEndDate: string, endRequired: boolean): string {
  const article = 'Besluit bekostiging WPO 2022 art 10.2';
  if (endDate === null) return `The enrollment is open: the school ends it on ${proposedEndDate}, the day before the new start (${article}).`;
  const term = `the four weeks after the learner's last day there, ${endDate}, run to ${fourWeeksAfter(endDate)}`;
  if (endRequired)
    return `The notice was received on ${receivedOn} and ${term}: the school changes the end date to ${proposedEndDate}, the day before the new start (${article}).`;
  return `The notice was received on ${receivedOn}, after ${term}: the end date need not change (${article}), but the enrollment overlaps the new one from ${addDays(proposedEndDate, 1)}, so the learner is registered at two schools at once.`;
}

/** Serials run 0 to 999999: the six digits after `10` (docs/domain.md §3 [S:30, S:31]). */
export const lastOnderwijsnummerSerial = 999_999;

/**
 * The onderwijsnummer for a serial: `10`, the serial as six digits, and the check digit p9 from DUO's rule
 * "MOD((9p1+…+2p8)/11) = p9 + 5" (DUO VO XSD [S:14], docs/domain.md §3), as kernel/ids/onderwijsnummer.ts reads it:
 * p9 = S8 mod 11 − 5. When S8 mod 11 is below 5 no digit satisfies it and the serial yields no number (null).
 */
export function onderwijsnummerFor(serial: number): string | null {
  if (!Number.isInteger(serial) || serial < 0 || serial > lastOnderwijsnummerSerial) {
    throw new RangeError(`Serial ${serial} is not a whole number from 0 to ${lastOnderwijsnummerSerial}`);
  }
  const prefix = `10${String(serial).padStart(6, '0')}`;
  let weighted = 0;
  for (let i = 0; i < 8; i++) weighted += (9 - i) * Number(prefix.charAt(i));
  const checkDigit = (weighted % 11) - 5;
  return checkDigit >= 0 ? `${prefix}${checkDigit}` : null;
}

/** PC4 areas with schools, ascending, each with its municipality: built by `postcodeAreas`, read by `municipalityForPostcode`. */
export interface PostcodeAreas {
  readonly pc4s: readonly number[];
  readonly municipalityCodes: readonly string[];
}

/**
 * The lookup table for `municipalityForPostcode`, from DUO's school file, which pairs each school's postcode with
 * its municipality. A PC4 takes the municipality most of its schools report (a tie: the lowest code). Rows
 * without a valid postcode or municipality code are left out.
 */
export function postcodeAreas(rows: readonly { postcode: string; municipalityCode: string }[]): PostcodeAreas {
  const counts = new Map<number, Map<string, number>>();
  for (const row of rows) {
    const pc4 = /^\s*([1-9]\d{3})/.exec(row.postcode)?.[1];
    if (pc4 === undefined || !isMunicipalityCode(row.municipalityCode)) continue;
    const code = parseMunicipalityCode(row.municipalityCode);
    const perCode = counts.get(Number(pc4)) ?? new Map<string, number>();
    perCode.set(code, (perCode.get(code) ?? 0) + 1);
    counts.set(Number(pc4), perCode);
  }
  const pc4s = [...counts.keys()].sort((a, b) => a - b);
  const municipalityCodes = pc4s.map((pc4) => {
    const ranked = [...counts.get(pc4)!].sort(([codeA, a], [codeB, b]) => b - a || (codeA < codeB ? -1 : 1));
    return ranked[0]![0];
  });
  return { pc4s, municipalityCodes };
}

/**
 * Municipality of residence derived from the learner's postcode, which is all a school delivers of the address
 * (Besluit ROD art 18.1.a → 4.1.e [S:6]). The PC4 (its four digits) is looked up among the PC4 areas that have a
 * school; a PC4 without one takes the municipality of the numerically nearest PC4 that has (a tie: the lower),
 * because Dutch postcodes are numbered by region, so neighbouring numbers mostly lie in the same area.
 * Binary search: O(log n). Null when the table is empty.
 *
 * Limits: a PC4 area can straddle a municipal border, the nearest number can lie across one, and a school's
 * municipality is not its pupils'. The answer is a default; `municipalityOverride` exists to correct it.
 */
export function municipalityForPostcode(postcode: string, areas: PostcodeAreas, field = 'postcode'): string | null {
  const pc4 = Number(parsePostcode(postcode, field).slice(0, 4));
  const { pc4s, municipalityCodes } = areas;
  if (pc4s.length === 0) return null;
  let low = 0;
  let high = pc4s.length; // first index whose PC4 is >= pc4
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (pc4s[middle]! < pc4) low = middle + 1;
    else high = middle;
  }
  if (low < pc4s.length && pc4s[low] === pc4) return municipalityCodes[low]!;
  if (low === 0) return municipalityCodes[0]!;
  if (low === pc4s.length) return municipalityCodes[low - 1]!;
  return pc4 - pc4s[low - 1]! <= pc4s[low]! - pc4 ? municipalityCodes[low - 1]! : municipalityCodes[low]!;
}
