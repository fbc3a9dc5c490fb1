import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eventually, freshDatabaseUrl } from '../test/harness.ts';
import { readConfig } from './config.ts';
import { openDatabase } from './db.ts';

describe('leases on the embedded database (one process)', () => {
  it('holds every lease it is asked for', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      const leases = database.leases();
      expect(leases.take('learners/copy/institutions').held).toBe(true);
      expect(leases.list()).toEqual([{ name: 'learners/copy/institutions', held: true }]);
    } finally {
      await database.close();
    }
  });
});

describe.runIf(Boolean(readConfig().databaseUrl))('leases on PostgreSQL (advisory locks of a session of their own)', () => {
  it('gives a lease to one process at a time, and to the other once the holder closes', async () => {
    const fresh = await freshDatabaseUrl();
    const [first, second] = await Promise.all([0, 1].map(() => openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', log: () => undefined })));
    try {
      const leasesOfFirst = first!.leases();
      const heard: boolean[] = [];
      const held = leasesOfFirst.take('funding/copy/learners', (now) => heard.push(now));
      await eventually('the first process to hold the lease', () => held.held);
      const leasesOfSecond = second!.leases();
      const waiting = leasesOfSecond.take('funding/copy/learners');
      const other = leasesOfSecond.take('absence/copy/learners');
      await eventually('the second process to hold the lease nobody held', () => other.held);
      expect(waiting.held).toBe(false);
      await leasesOfFirst.close();
      await eventually('the second process to take the lease over', () => waiting.held, { deadline: 10_000 });
      expect(heard).toEqual([true, false]);
      await leasesOfSecond.close();
    } finally {
      await Promise.all([first!.close(), second!.close()]);
      await fresh.drop();
    }
  });

  it('loses its leases with its session (terminated on the server), and takes them again once free', async () => {
    const fresh = await freshDatabaseUrl();
    const database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', log: () => undefined });
    const admin = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', log: () => undefined });
    try {
      const leases = database.leases();
      const heard: boolean[] = [];
      const lease = leases.take('learners/task/sweep', (now) => heard.push(now));
      await eventually('the lease to be held', () => lease.held);
      await admin.db.execute(
        sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'register-graph leases %'`,
      );
      await eventually('the lease to be lost and taken again', () => heard.length >= 3, { deadline: 10_000 });
      expect(heard.slice(0, 3)).toEqual([true, false, true]);
      expect(lease.held).toBe(true);
      await leases.close();
    } finally {
      await Promise.all([database.close(), admin.close()]);
      await fresh.drop();
    }
  });
});
