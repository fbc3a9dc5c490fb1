import { RegisterError } from '../../kernel/errors.ts';
import { covers } from '../../kernel/ids/index.ts';
import { reachIn, type Reach } from '../../kernel/reach.ts';
import type { Viewer } from '../../kernel/viewer.ts';

/**
 * Who sees which absence data (docs/domain.md §6, §10; issue: a school its own reports, a municipality
 * those of its residents, the operator all). Boards have no part in absence.
 */
export type AbsenceReach = Extract<Reach, { kind: 'school' | 'municipality' | 'all' }>;

export function readReach(viewer: Viewer): AbsenceReach {
  return reachIn(viewer, ['school', 'municipality', 'all'], () => 'A board may not read absence reports or exemptions');
}

/** A report is the reporting school's and the municipality it was routed to. */
export function canSeeReport(reach: AbsenceReach, report: { brin6: string; municipalityCode: string }): boolean {
  if (reach.kind === 'all') return true;
  return reach.kind === 'school' ? covers(reach.school, report.brin6) : report.municipalityCode === reach.code;
}

/** Who acts, as the workflow and the documents record it. */
export interface Actor {
  role: Viewer['role'];
  /** The school's vendor and BRIN6 (or BRIN4, acting for a whole school), or the municipality's code: also the sender of its documents. */
  actor: string;
}

export function actorOf(viewer: Viewer): Actor {
  if (viewer.role === 'VENDOR') return { role: 'VENDOR', actor: `${viewer.vendorOin}/${viewer.school}` };
  if (viewer.role === 'MUNICIPALITY') return { role: 'MUNICIPALITY', actor: `municipality/${viewer.municipality}` };
  throw new RegisterError('FORBIDDEN', `A ${viewer.role.toLowerCase()} does not change absence reports or exemptions`);
}
