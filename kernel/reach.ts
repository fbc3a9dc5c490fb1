import { RegisterError } from './errors.ts';
import type { Viewer } from './viewer.ts';

/**
 * What a viewer reaches (docs/architecture.md, "Identity and access"): a vendor acting for a school
 * that school's data, a municipality its residents', a board its schools', the operator everything.
 * Each subgraph says which of these it serves (`reachIn`) and decides per object with its own
 * `canSee`; one name for the concept in every subgraph.
 */
export type Reach = { kind: 'school'; brin6: string } | { kind: 'municipality'; code: string } | { kind: 'board'; boardCode: string } | { kind: 'all' };

export function reachOf(viewer: Viewer): Reach {
  switch (viewer.role) {
    case 'VENDOR':
      return { kind: 'school', brin6: viewer.school };
    case 'MUNICIPALITY':
      return { kind: 'municipality', code: viewer.municipality };
    case 'BOARD':
      return { kind: 'board', boardCode: viewer.board };
    case 'OPERATOR':
      return { kind: 'all' };
  }
}

/** The viewer's reach where it is one of `kinds`; else FORBIDDEN, with `refusal` as the reason. */
export function reachIn<Kind extends Reach['kind']>(
  viewer: Viewer,
  kinds: readonly Kind[],
  refusal: (viewer: Viewer) => string,
): Extract<Reach, { kind: Kind }> {
  const reach = reachOf(viewer);
  if (!(kinds as readonly string[]).includes(reach.kind)) throw new RegisterError('FORBIDDEN', refusal(viewer));
  return reach as Extract<Reach, { kind: Kind }>;
}

/**
 * What a viewer asks about that is not within its reach does not exist for it: the same answer as
 * for what does not exist at all, so that no answer tells another school's data apart.
 */
export function notFound(what: string): RegisterError {
  return new RegisterError('NOT_FOUND', `No ${what} known to the asking viewer`);
}
