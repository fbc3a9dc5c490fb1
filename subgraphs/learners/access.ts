import { RegisterError } from '../../kernel/errors.ts';
import type { Viewer } from '../../kernel/viewer.ts';

/**
 * Who may see and change learner data (docs/architecture.md, "Identity and access"; docs/domain.md §10): a
 * vendor acting for a school sees that school's enrollments and their learners; a municipality sees
 * the learners who live in it and their enrollments, one learner at a time (DUO shares enrollments
 * with municipalities for compulsory education, docs/domain.md §4; it reaches them through absence reports
 * and exemptions); the operator sees everything. Boards read funding overviews, not learners.
 */
export type Scope = { kind: 'school'; brin6: string } | { kind: 'municipality'; code: string } | { kind: 'all' };

export function readScope(viewer: Viewer): Scope {
  if (viewer.role === 'VENDOR') return { kind: 'school', brin6: viewer.school };
  if (viewer.role === 'MUNICIPALITY') return { kind: 'municipality', code: viewer.municipality };
  if (viewer.role === 'OPERATOR') return { kind: 'all' };
  throw new RegisterError('FORBIDDEN', `A ${viewer.role.toLowerCase()} may not read the learners register`);
}

/** Lists of enrollments and notices are a school's or the operator's: a municipality asks per learner. */
export function listScope(viewer: Viewer): Exclude<Scope, { kind: 'municipality' }> {
  const scope = readScope(viewer);
  if (scope.kind === 'municipality') throw new RegisterError('FORBIDDEN', 'A municipality reads the learners who live in it one at a time, not lists of enrollments or notices');
  return scope;
}

/** Changes come from a school's administration system only: a vendor acting for that school. */
export function schoolOf(viewer: Viewer): { brin6: string; sender: string } {
  if (viewer.role !== 'VENDOR') throw new RegisterError('FORBIDDEN', 'Only a vendor acting for a school may change the learners register');
  // The sender of a business document: documentIds are unique per sender (docs/domain.md §9).
  return { brin6: viewer.school, sender: `${viewer.vendorOin}/${viewer.school}` };
}

/** Whether the scope sees what is at a school; a municipality sees by residence, never by school. */
export function canSee(scope: Scope, brin6: string): boolean {
  return scope.kind === 'all' || (scope.kind === 'school' && scope.brin6 === brin6);
}

/** What a school asks about that is not its own does not exist for it: never another school's data. */
export function notFound(what: string): RegisterError {
  return new RegisterError('NOT_FOUND', `No ${what} known to the asking school`);
}
