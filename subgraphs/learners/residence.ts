import { LRUCache } from 'lru-cache';
import type { Db } from '../../kernel/db.ts';
import { postcodeAreas, type PostcodeAreas } from './rules.ts';
import { loadSchoolPostcodes } from './copy.ts';

// Built from the RIO copy once per database handle and kept a minute: schools move rarely, and a
// monthly import reaches every replica within that minute.
// Concurrent first requests share one load (fetchMethod); a process holds a handle or two.
const cache = new LRUCache<Db, PostcodeAreas>({ max: 8, ttl: 60_000, fetchMethod: async (db) => postcodeAreas(await loadSchoolPostcodes(db)) });

export async function schoolPostcodeAreas(db: Db): Promise<PostcodeAreas> {
  return (await cache.fetch(db))!;
}
