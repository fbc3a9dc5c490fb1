import { RegisterError } from '../../kernel/errors.ts';
import { covers } from '../../kernel/ids/index.ts';
import { reachIn, type Reach } from '../../kernel/reach.ts';
import type { Viewer } from '../../kernel/viewer.ts';

/**
 * Whose funding data a viewer may read (docs/architecture.md, "Identity and access" and "Who uses it"):
 * a vendor acting for a school its own branch's (or, for a whole school, its branches'), a board its schools', the operator everyone's.
 * Municipalities have no part in funding.
 */
export type FundingReach = Extract<Reach, { kind: 'school' | 'board' | 'all' }>;

export function readReach(viewer: Viewer): FundingReach {
  return reachIn(viewer, ['school', 'board', 'all'], (who) => `A ${who.role.toLowerCase()} may not read funding data`);
}

/** Where an enrollment is, as far as access goes. */
export interface Whereabouts {
  /** Whose enrollment it is: a status depends on every enrollment of the learner. */
  learnerId: string;
  brin6: string;
  boardCode: string | null;
}

export function canSee(reach: FundingReach, place: Whereabouts): boolean {
  if (reach.kind === 'all') return true;
  return reach.kind === 'school' ? covers(reach.school, place.brin6) : place.boardCode === reach.boardCode;
}

/**
 * The count-date run fixes the funding of every school, and an extension of a school's registration
 * term is the minister's decision that the operator records: the register operator's (DUO's) tasks.
 */
export function mustOperate(viewer: Viewer, what = 'runs a count date'): void {
  if (viewer.role !== 'OPERATOR') throw new RegisterError('FORBIDDEN', `Only the register operator ${what}`);
}
