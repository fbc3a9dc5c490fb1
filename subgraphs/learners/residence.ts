import type { Db } from '../../kernel/db.ts';
import { postcodeAreas, type PostcodeAreas } from './rules.ts';
import { loadSchoolPostcodes } from './rio.ts';

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
