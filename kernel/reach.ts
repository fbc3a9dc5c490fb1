import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { badInput, RegisterError } from './errors.ts';
import { covers, parseBrin6 } from './ids/index.ts';
import type { Viewer } from './viewer.ts';

/**
 * What a viewer reaches (docs/architecture.md, "Identity and access"): a vendor acting for a school
 * that school's data, a municipality its residents', a board its schools', the operator everything.
 * Each subgraph says which of these it serves (`reachIn`) and decides per object with its own
 * `canSee`; one name for the concept in every subgraph. A school is one vestiging (a BRIN6) or a
 * whole school with all its vestigingen (a BRIN4): compare a vestiging with it only by `covers`
 * (kernel/ids) or, in SQL, `coveredBy`.
 */
export type Reach = { kind: 'school'; school: string } | { kind: 'municipality'; code: string } | { kind: 'board'; boardCode: string } | { kind: 'all' };

export function reachOf(viewer: Viewer): Reach {
  switch (viewer.role) {
    case 'VENDOR':
      return { kind: 'school', school: viewer.school };
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

/**
 * The SQL condition that `column`, holding BRIN6s, is a vestiging `school` covers: that BRIN6, or for
 * a BRIN4 every BRIN6 of it (the range keeps an index on the column in use; `left` makes it exact).
 */
export function coveredBy(column: SQLWrapper, school: string): SQL {
  if (school.length !== 4) return sql`${column} = ${school}`;
  return sql`(${column} BETWEEN ${`${school}00`} AND ${`${school}99`} AND left(${column}, 4) = ${school})`;
}

/**
 * The vestiging a vendor's change is about where nothing else in it names one (an enrollment's RIO
 * codes do): the one its token is for, or, acting for a whole school, the one the input names
 * (`given`), which must be a vestiging of that school (FORBIDDEN otherwise, as any other school's).
 */
export function vestigingFor(school: string, given: string | null | undefined, field = 'brin6'): string {
  if (given == null) {
    if (school.length === 6) return school;
    throw badInput(field, `Acting for the whole school ${school}, name the vestiging (${field}) this is about`);
  }
  const brin6 = parseBrin6(given, field);
  if (!covers(school, brin6)) throw new RegisterError('FORBIDDEN', `${brin6} is not a vestiging of the school ${school} you act for`, field);
  return brin6;
}
