/*
 * Compulsory school age (leerplicht) by the Leerplichtwet 1969 (LPW), one function that every rule
 * about exemptions, absence and residents without a school reads (docs/domain.md §6).
 */
import { addDays, birthdayAt, schoolYearOf } from './calendar.ts';

export interface CompulsorySchoolAge {
  /**
   * The first day of the month after the one in which the child turns five (LPW art 3.1: "met ingang
   * van de eerste schooldag van de maand volgende op die waarin het de leeftijd van vijf jaren heeft
   * bereikt"). The first school day of that month falls on or after it; which day that is depends on
   * the school's calendar, so the register counts from the first of the month.
   */
  from: string;
  /**
   * The last day of full compulsory education at the latest: the end (31 July) of the school year in
   * which the child turns sixteen (LPW art 4.1 under b). It ends earlier after twelve full school years
   * (art 4.1 under a), which the register does not know.
   */
  fullUntil: string;
  /** The day before the eighteenth birthday: the qualification duty (kwalificatieplicht, LPW art 4a) ends at eighteen at the latest. */
  qualificationUntil: string;
}

export function compulsorySchoolAge(birthDate: string): CompulsorySchoolAge {
  const fifth = birthdayAt(birthDate, 5);
  const [year, month] = [Number(fifth.slice(0, 4)), Number(fifth.slice(5, 7))];
  const from = month === 12 ? `${String(year + 1).padStart(4, '0')}-01-01` : `${fifth.slice(0, 5)}${String(month + 1).padStart(2, '0')}-01`;
  return {
    from,
    fullUntil: schoolYearOf(birthdayAt(birthDate, 16)).end,
    qualificationUntil: addDays(birthdayAt(birthDate, 18), -1),
  };
}

/** Whether a child born on `birthDate` is of full compulsory school age on `day` (LPW art 3.1 and 4.1). */
export function ofCompulsorySchoolAge(birthDate: string, day: string): boolean {
  const age = compulsorySchoolAge(birthDate);
  return age.from <= day && day <= age.fullUntil;
}
