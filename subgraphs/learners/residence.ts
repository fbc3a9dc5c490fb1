import type { Db } from '../../kernel/db.ts';
import { municipalityForPostcode, postcodeAreas, type PostcodeAreas } from './rules.ts';
import { loadSchoolPostcodes } from './rio.ts';
import type { LearnerRow } from './tables.ts';

// Built from the RIO copy once per database handle and kept a minute: schools move rarely, and a
// monthly import reaches every replica within that minute.
const cacheLifetimeMs = 60_000;
const cache = new WeakMap<object, { areas: PostcodeAreas; loadedAt: number }>();

export async function schoolPostcodeAreas(db: Db, now = Date.now()): Promise<PostcodeAreas> {
  const cached = cache.get(db);
  if (cached && now - cached.loadedAt < cacheLifetimeMs) return cached.areas;
  const areas = postcodeAreas(await loadSchoolPostcodes(db));
  cache.set(db, { areas, loadedAt: now });
  return areas;
}

/**
 * The municipality of residence: an explicit override wins and stays until another is given;
 * otherwise it follows the postcode (rules.ts, municipalityForPostcode).
 */
export function municipalityFor(
  postcode: string,
  override: string | null,
  previous: Pick<LearnerRow, 'municipalityCode' | 'municipalitySource'> | undefined,
  areas: PostcodeAreas,
): Pick<LearnerRow, 'municipalityCode' | 'municipalitySource'> {
  if (override) return { municipalityCode: override, municipalitySource: 'OVERRIDE' };
  if (previous?.municipalitySource === 'OVERRIDE') return previous;
  return { municipalityCode: municipalityForPostcode(postcode, areas), municipalitySource: 'POSTCODE' };
}
