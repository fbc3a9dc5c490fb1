import { and, eq } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { covers } from '../../kernel/ids/index.ts';
import { coveredBy, notFound, reachIn, type Reach } from '../../kernel/reach.ts';
import type { Viewer } from '../../kernel/viewer.ts';

/**
 * Who may see and change learner data (docs/architecture.md, "Identity and access"; docs/domain.md §10): a
 * vendor acting for a school sees that school's enrollments and their learners; a municipality sees
 * the learners who live in it and their enrollments (DUO shares enrollments with municipalities for
 * compulsory education, docs/domain.md §4), one learner at a time and as lists of its residents'
 * enrollments and decided expulsions (residents.ts), but not the notices and signals that are a
 * school's; the operator sees everything. Boards read funding overviews, not learners.
 */
export type LearnersReach = Extract<Reach, { kind: 'school' | 'municipality' | 'all' }>;

export function readReach(viewer: Viewer): LearnersReach {
  return reachIn(viewer, ['school', 'municipality', 'all'], (who) => `A ${who.role.toLowerCase()} may not read the learners register`);
}

/** Lists of notices and signals are a school's or the operator's; a municipality lists its residents' enrollments (residents.ts) only. */
export function listReach(viewer: Viewer): Extract<Reach, { kind: 'school' | 'all' }> {
  const reach = readReach(viewer);
  if (reach.kind === 'municipality')
    throw new RegisterError('FORBIDDEN', "A municipality lists its residents' enrollments and expulsions, not a school's notices or signals");
  return reach;
}

/**
 * The school a change comes from, and the sender of its documents: changes come from a school's
 * administration system only, a vendor acting for one vestiging (BRIN6) or a whole school (BRIN4).
 */
export interface School {
  school: string;
  sender: string;
}

/** Changes come from a school's administration system only: a vendor acting for that school. */
export function schoolOf(viewer: Viewer): School {
  if (viewer.role !== 'VENDOR') throw new RegisterError('FORBIDDEN', 'Only a vendor acting for a school may change the learners register');
  // The sender of a business document: documentIds are unique per sender (docs/domain.md §9).
  return { school: viewer.school, sender: `${viewer.vendorOin}/${viewer.school}` };
}

/** Whether the reach sees what is at a vestiging: its school's; a municipality sees by residence, never by school. */
export function canSee(reach: Reach, brin6: string): boolean {
  return reach.kind === 'all' || (reach.kind === 'school' && covers(reach.school, brin6));
}

/**
 * The school's own row of a table kept per vestiging (a notice, a signal, an expulsion), locked for
 * the change; any other id does not exist for the school (`what` names it in the NOT_FOUND).
 */
export async function lockOwn<T extends PgTable & { id: AnyPgColumn; brin6: AnyPgColumn }>(
  tx: Db,
  table: T,
  school: School,
  id: string,
  what: string,
): Promise<T['$inferSelect']> {
  const [row] = await tx
    .select()
    .from(table as PgTable)
    .where(and(eq(table.id, id), coveredBy(table.brin6, school.school)))
    .for('update');
  if (!row) throw notFound(`${what} ${id}`);
  return row as T['$inferSelect'];
}
