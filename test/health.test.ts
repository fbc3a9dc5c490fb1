import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../gateway/system.ts';
import { readConfig } from '../kernel/config.ts';
import { rowsOf } from '../kernel/db.ts';
import { silentLogger } from '../kernel/logging.ts';
import { freshDatabaseUrl, startTestSystem, type TestSystem } from './harness.ts';

async function probe(graphqlUrl: string, path: string) {
  const response = await fetch(new URL(path, graphqlUrl));
  return { status: response.status, body: (await response.json()) as { status: string; failing?: string[]; checks: Record<string, string> } };
}

describe('/healthz and /readyz of the embedded system', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ SEED: 'false' });
  });
  afterAll(() => system?.close());

  it('answers /healthz with 200 while the process is up', async () => {
    expect(await probe(system.url, '/healthz')).toEqual({ status: 200, body: { status: 'up' } });
  });

  it('answers /readyz with 200 once the database answers, the migrations are applied, the supergraph is loaded and it serves', async () => {
    expect(await probe(system.url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', supergraph: 'ok', started: 'ok' } } });
  });

  it('answers /readyz with 503 naming the migrations when one is not applied', async () => {
    const { db } = system.system.database!;
    const [removed] = rowsOf<{ subgraph: string; file: string; sha256: string; applied_at: string }>(
      await db.execute(sql`DELETE FROM public.schema_migration WHERE (subgraph, file) = (SELECT subgraph, max(file) FROM public.schema_migration WHERE subgraph = 'learners' GROUP BY subgraph) RETURNING *`),
    );
    try {
      const { status, body } = await probe(system.url, '/readyz');
      expect(status).toBe(503);
      expect(body.failing).toEqual(['migrations']);
      expect(body.checks.migrations).toBe(`not applied: learners/${removed!.file}`);
      expect(body.checks.database).toBe('ok');
    } finally {
      await db.execute(sql`INSERT INTO public.schema_migration (subgraph, file, sha256, applied_at) VALUES (${removed!.subgraph}, ${removed!.file}, ${removed!.sha256}, ${removed!.applied_at})`);
    }
    expect((await probe(system.url, '/readyz')).status).toBe(200);
  });
});

describe('/readyz when the database is gone', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ SEED: 'false' });
  });
  afterAll(() => system?.close().catch(() => undefined));

  it('answers /readyz with 503 naming the database when it is unreachable, and /healthz still with 200', async () => {
    const database = system.system.database!;
    if (database.kind === 'pglite') await database.close();
    else {
      // PostgreSQL itself stays up; the register's database on it goes, and no connection reaches it again.
      const name = new URL(system.config.databaseUrl!).pathname.slice(1);
      const admin = new pg.Client({ connectionString: readConfig().databaseUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
    const { status, body } = await probe(system.url, '/readyz');
    expect(status).toBe(503);
    expect(body.failing).toContain('database');
    expect(body.checks.database).toMatch(/^unreachable: /);
    expect(body.checks.supergraph).toBe('ok');
    expect((await probe(system.url, '/healthz')).status).toBe(200);
  });
});

describe.runIf(Boolean(process.env.DATABASE_URL))('/readyz of processes of their own', () => {
  const running: RunningSystem[] = [];
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await freshDatabaseUrl();
    drop = fresh.drop;
    const base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0', SEED: 'false' };
    running.push(await startSystem(readConfig({ ...base, SERVE: 'institutions' }), { logger: silentLogger }));
    running.push(await startSystem(readConfig({ ...base, SERVE: 'gateway', SUBGRAPH_URLS: ['institutions', 'learners', 'funding', 'absence'].map((name) => `${name}=${running[0]!.url}`).join(',') }), { logger: silentLogger }));
  });
  afterAll(async () => {
    for (const server of running.reverse()) await server.close();
    await drop?.();
  });

  it('checks the database and migrations of a subgraph process, and the supergraph of a gateway process', async () => {
    const [subgraph, gateway] = running;
    expect(await probe(subgraph!.url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', started: 'ok' } } });
    expect(await probe(gateway!.url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { supergraph: 'ok', started: 'ok' } } });
  });
});
