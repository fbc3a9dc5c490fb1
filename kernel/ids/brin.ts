import { badInput } from '../errors.ts';

/**
 * BRIN4 (instellingserkenning of an OCW school) and BRIN6 (vestigingserkenning: BRIN4 + 2-digit volgnummer),
 * docs/domain.md §2.1 and §3 [S:1, S:9, S:10]. Letters are matched case-insensitively before upper-casing, so that
 * `toUpperCase` cannot smuggle in letters it expands (`ß` → `SS`).
 */
function normalise(value: string, pattern: RegExp): string | null {
  const code = value.trim();
  return pattern.test(code) ? code.toUpperCase() : null;
}

const brin4Pattern = /^[0-9]{2}[A-Za-z]{2}$/;
const brin6Pattern = /^[0-9]{2}[A-Za-z]{2}[0-9]{2}$/;

export const isBrin4 = (value: string): boolean => normalise(value, brin4Pattern) !== null;
export const isBrin6 = (value: string): boolean => normalise(value, brin6Pattern) !== null;

export function parseBrin4(value: string, field = 'brin4'): string {
  const brin4 = normalise(value, brin4Pattern);
  if (brin4 === null) throw badInput(field, `BRIN4 ${JSON.stringify(value)} must be 2 digits and 2 letters, e.g. 25BE`);
  return brin4;
}

export function parseBrin6(value: string, field = 'brin6'): string {
  const brin6 = normalise(value, brin6Pattern);
  if (brin6 === null) throw badInput(field, `BRIN6 ${JSON.stringify(value)} must be 2 digits, 2 letters and 2 digits, e.g. 16AH00`);
  return brin6;
}

/** The institution a branch belongs to: a BRIN6 is its BRIN4 followed by the branch's volgnummer. */
export const brin4Of = (brin6: string, field = 'brin6'): string => parseBrin6(brin6, field).slice(0, 4);

/**
 * The school a vendor acts for, or a mandate covers: one vestiging (a BRIN6), or a whole school (a
 * BRIN4), which is its main vestiging with all its other vestigingen, present and future (Besluit
 * bekostiging WPO 2022 art 8.5, 11.2; docs/domain.md §4). Upper-cased, as the parsers above.
 */
export function parseSchool(value: string, field = 'school'): string {
  if (isBrin6(value)) return parseBrin6(value, field);
  if (isBrin4(value)) return parseBrin4(value, field);
  throw badInput(field, `School ${JSON.stringify(value)} must be a BRIN6 for one vestiging (e.g. 16AH00) or a BRIN4 for the whole school (e.g. 16AH)`);
}

/** Whether `school` (see `parseSchool`) covers the vestiging `brin6`: it is that vestiging, or the school it belongs to. */
export function covers(school: string, brin6: string): boolean {
  return school.length === 4 ? brin6.length === 6 && brin6.slice(0, 4) === school : brin6 === school;
}

/** The schools that cover `school` (see `covers`): itself and, for a vestiging, its whole school; in that order, without repeats. */
export const schoolsCovering = (school: string): string[] => (school.length === 6 ? [school, school.slice(0, 4)] : [school]);
