import { RegisterError } from '../../kernel/errors.ts';
import type { Viewer } from '../../kernel/viewer.ts';

/**
 * Who may see and change learner data (architecture.md, "Identity and access"; domain.md §10): a
 * vendor acting for a school sees that school's enrollments and their learners, the operator sees
 * everything, and nobody else reads the register through this subgraph yet.
 */
export type Scope = { kind: 'school'; brin6: string } | { kind: 'all' };

export function readScope(viewer: Viewer): Scope {
  if (viewer.role === 'VENDOR') return { kind: 'school', brin6: viewer.school };
  if (viewer.role === 'OPERATOR') return { kind: 'all' };
  throw new RegisterError('FORBIDDEN', `A ${viewer.role.toLowerCase()} may not read the learners register`);
}

/** Changes come from a school's administration system only: a vendor acting for that school. */
export function schoolOf(viewer: Viewer): { brin6: string; sender: string } {
  if (viewer.role !== 'VENDOR') throw new RegisterError('FORBIDDEN', 'Only a vendor acting for a school may change the learners register');
  // The sender of a business document: documentIds are unique per sender (domain.md §9).
  return { brin6: viewer.school, sender: `${viewer.vendorOin}/${viewer.school}` };
}

export function canSee(scope: Scope, brin6: string): boolean {
  return scope.kind === 'all' || scope.brin6 === brin6;
}

/** What a school asks about that is not its own does not exist for it: never another school's data. */
export function notFound(what: string): RegisterError {
  return new RegisterError('NOT_FOUND', `No ${what} known to the asking school`);
}
