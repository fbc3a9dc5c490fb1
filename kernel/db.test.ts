import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eventually, freshDatabaseUrl } from '../test/harness.ts';
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
        const ending = admin.db.execute(
          sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        const transactions = Array.from({ length: 5 }, () =>
          database.db
            .transaction((tx) => tx.execute(sql`SELECT 1`))
            .then(
              () => 'done',
              () => 'failed',
            ),
        );
        // The admin's own pool loses its other connections too; they are not what is tested.
        await ending.catch(() => undefined);
        let settled = false;
        void Promise.all(transactions).then(() => (settled = true));
        await eventually(`round ${round}'s transactions to get a connection`, () => settled, { deadline: 5000 });
      }
      // Dead connections still idle in the pool fail a query or two more before the pool drops them.
      let row: unknown;
      await eventually(
        'a transaction that passes',
        async () => (row = rowsOf<{ one: number }>(await database.db.transaction((tx) => tx.execute(sql`SELECT 1 AS one`)))[0]),
        { deadline: 5000 },
      );
      expect(row).toEqual({ one: 1 });
      let closed = false;
      void database.close().then(() => (closed = true));
      await eventually('the pool to close', () => closed, { deadline: 5000 });
    } finally {
      await admin.close();
      await fresh.drop();
    }
  }, 120_000);
});
