import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Destination } from '../../contracts/learners.ts';
import { badInput } from '../../kernel/errors.ts';
import type { EnrollmentRow } from './tables.ts';

/*
 * What the register gives the municipality for its leerplicht work (README, "Leerplicht for
 * municipalities"; docs/domain.md §6): the enrollments of its residents, where each learner goes
 * when an enrollment ends, and the decisions to expel.
 */

export type EndReason = NonNullable<EnrollmentRow['endReason']>;

/**
 * The destinations a reason allows, the first its default. Within compulsory school age a pupil is
 * deregistered only for an enrollment at another school or an exemption (LPW art 10); the register
 * records where the pupil goes, and which destination contradicts the reason:
 * - TRANSFER: enrolled at another school (art 10 under a): a school in the Netherlands, or special
 *   education (a school under the WEC);
 * - END_OF_PRIMARY_EDUCATION: on to vo by default (WPO art 39.4), or vso, a school abroad, or not known;
 * - MOVED_ABROAD: a school abroad (LPW art 5 under c), or not known; never a school in the Netherlands,
 *   whose enrollment the register would hold;
 * - OTHER: not known by default, or what the school says.
 * DECEASED has none, and EXPELLED is set by executeExpulsion only (expulsions.ts).
 */
const allowed: Record<Exclude<EndReason, 'DECEASED' | 'EXPELLED'>, readonly Destination[]> = {
  TRANSFER: ['OTHER_SCHOOL', 'SPECIAL_EDUCATION'],
  END_OF_PRIMARY_EDUCATION: ['OTHER_SCHOOL', 'SPECIAL_EDUCATION', 'ABROAD', 'UNKNOWN'],
  MOVED_ABROAD: ['ABROAD', 'UNKNOWN'],
  OTHER: ['UNKNOWN', 'OTHER_SCHOOL', 'SPECIAL_EDUCATION', 'ABROAD'],
};

/** The destination of a deregistration for its reason: the one given where the reason allows it, else the reason's default. */
export function destinationFor(reason: EndReason, given: Destination | null | undefined, field = 'destination'): Destination | null {
  if (reason === 'EXPELLED') {
    throw badInput('reason', 'An expulsion ends an enrollment through executeExpulsion, after its steps (WPO art 40.11), not through deregisterLearner');
  }
  if (reason === 'DECEASED') {
    if (given != null) throw badInput(field, 'A learner who died has no destination: leave destination out');
    return null;
  }
  const destinations = allowed[reason];
  if (given == null) return destinations[0]!;
  if (!destinations.includes(given)) throw badInput(field, `A deregistration for ${reason} goes to ${destinations.join(' or ')}, not ${given}`);
  return given;
}

/**
 * The enrollments of the municipality's residents, as a condition on `column` (an enrollment id):
 * where the person source places the learner (a BSN it knows, with a municipality), by that; else by
 * the enrollment's own delivery (views.ts, residenceOf: the residence that routes its absence reports).
 * Two index scans, one per source, rather than one over every enrollment.
 */
export function residentEnrollment(column: AnyPgColumn, code: string): SQL {
  return sql`${column} IN (
    SELECT e.id FROM learners.person p
      JOIN learners.learner l ON l.pgn = p.bsn AND l.pgn_kind = 'BSN'
      JOIN learners.enrollment e ON e.learner_id = l.id
    WHERE p.municipality_code = ${code}
    UNION ALL
    SELECT d.enrollment_id FROM learners.delivery d
      JOIN learners.learner l ON l.id = d.learner_id
      LEFT JOIN learners.person p ON l.pgn_kind = 'BSN' AND p.bsn = l.pgn
    WHERE d.municipality_code = ${code} AND d.enrollment_id IS NOT NULL AND p.municipality_code IS NULL)`;
}
