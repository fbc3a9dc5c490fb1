import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { freshDatabaseUrl } from '../test/harness.ts';
import { readConfig } from './config.ts';
import { openDatabase, rowsOf } from './db.ts';

describe.runIf(Boolean(readConfig().databaseUrl))('the PostgreSQL pool when connections die (a database restart)', () => {
  it('releases the connection of a transaction whose BEGIN fails, so the pool keeps serving and closes', async () => {
    const fresh = await freshDatabaseUrl();
    const database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', log: () => undefined });
    const admin = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', log: () => undefined });
    try {
      // Each round fills the pool with idle connections, ends them on the server and starts
      // transactions at once: some take a dead connection from the pool and fail at BEGIN. The pool
      // holds 10: a client lost per failed BEGIN would leave every later transaction waiting.
      for (let round = 0; round < 12; round++) {
        await Promise.all(Array.from({ length: 5 }, () => database.db.execute(sql`SELECT 1`).catch(() => undefined)));
        const ending = admin.db.execute(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
        const transactions = Array.from({ length: 5 }, () => database.db.transaction((tx) => tx.execute(sql`SELECT 1`)).then(() => 'done', () => 'failed'));
        // The admin's own pool loses its other connections too; they are not what is tested.
        await ending.catch(() => undefined);
        const settled = await Promise.race([Promise.all(transactions), sleep(5000, 'still waiting for a connection')]);
        expect(settled, `round ${round}`).not.toBe('still waiting for a connection');
      }
      // Dead connections still idle in the pool fail a query or two more before the pool drops them.
      const row = await vi.waitFor(async () => rowsOf<{ one: number }>(await database.db.transaction((tx) => tx.execute(sql`SELECT 1 AS one`)))[0], { timeout: 5000 });
      expect(row).toEqual({ one: 1 });
      const closed = await Promise.race([database.close().then(() => 'closed'), sleep(5000, 'close still waiting')]);
      expect(closed).toBe('closed');
    } finally {
      await admin.close();
      await fresh.drop();
    }
  }, 120_000);
});
