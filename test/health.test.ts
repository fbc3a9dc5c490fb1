import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { rowsOf } from '../kernel/db.ts';
import { silentLogger } from '../kernel/logging.ts';
import { appendEvents } from '../kernel/events.ts';
import { eventually, freshDatabaseUrl, startTestSystem, type TestSystem } from './harness.ts';

/** A port nobody listens on now: for a process whose probes are asked before it says where it listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
    expect(await probe(system.url, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', supergraph: 'ok', started: 'ok' }, leases: expect.any(Object) },
    });
  });

  it('names in /readyz every consumer and task, each run by this process alone: it has no other replica', async () => {
    await eventually('every lease to be held', async () => {
      const { leases } = (await probe(system.url, '/readyz')).body as unknown as { leases: Record<string, string> };
      expect(leases).toMatchObject({ 'funding/funding.enrollments/learners': 'active', 'learners/learners.rio/institutions': 'active' });
      expect(new Set(Object.values(leases))).toEqual(new Set(['active']));
    });
  });

  it('answers /readyz with 503 naming the migrations when one is not applied', async () => {
    const { db } = system.system.database!;
    const [removed] = rowsOf<{ subgraph: string; file: string; sha256: string; applied_at: string }>(
      await db.execute(
        sql`DELETE FROM public.schema_migration WHERE (subgraph, file) = (SELECT subgraph, max(file) FROM public.schema_migration WHERE subgraph = 'learners' GROUP BY subgraph) RETURNING *`,
      ),
    );
    try {
      const { status, body } = await probe(system.url, '/readyz');
      expect(status).toBe(503);
      expect(body.failing).toEqual(['migrations']);
      expect(body.checks.migrations).toBe(`not applied: learners/${removed!.file}`);
      expect(body.checks.database).toBe('ok');
    } finally {
      await db.execute(
        sql`INSERT INTO public.schema_migration (subgraph, file, sha256, applied_at) VALUES (${removed!.subgraph}, ${removed!.file}, ${removed!.sha256}, ${removed!.applied_at})`,
      );
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
  let base: Record<string, string | undefined>;
  beforeAll(async () => {
    const fresh = await freshDatabaseUrl();
    drop = fresh.drop;
    base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0', SEED: 'false' };
    running.push(await startSystem(readConfig({ ...base, SERVE: 'institutions' }), { logger: silentLogger }));
    running.push(
      await startSystem(
        readConfig({
          ...base,
          SERVE: 'gateway',
          SUBGRAPH_URLS: ['institutions', 'learners', 'funding', 'absence'].map((name) => `${name}=${running[0]!.url}`).join(','),
        }),
        { logger: silentLogger },
      ),
    );
  });
  afterAll(async () => {
    for (const server of running.reverse()) await server.close();
    await drop?.();
  });

  it('answers /healthz and /readyz while it starts, and /graphql with 503 UNAVAILABLE until its consumers have caught up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    // Events held back by an older open transaction keep a starting consumer waiting (kernel/events.ts).
    const blocker = new pg.Client({ connectionString: base.DATABASE_URL });
    blocker.on('error', () => undefined);
    await blocker.connect();
    let starting: Promise<RunningSystem> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      // A mandate as OSR grants one (here one that ended long ago): an event the learners process takes in.
      const mandate = {
        id: randomUUID(),
        brin6: '16AH00',
        service: 'ROD_PO',
        vendorOin: '00000001800866472000',
        startDate: '2024-08-01',
        endDate: '2024-08-01',
      };
      await running[0]!.database!.db.transaction((tx) =>
        appendEvents(tx, 'institutions', [{ type: 'MandateGranted', keys: { brin6: mandate.brin6 }, payload: mandate }]),
      );
      starting = startSystem(readConfig({ ...base, SERVE: 'learners', PORT: String(port) }), { logger: silentLogger });
      const catchingUp = 'still starting: catching up with the streams it reads';
      await eventually(
        'the learners process catching up',
        async () => (await probe(url, '/readyz').catch(() => undefined))?.body.checks.started === catchingUp,
        { deadline: 60_000 },
      );

      expect(await probe(url, '/readyz')).toEqual({
        status: 503,
        body: { status: 'not ready', failing: ['started'], checks: { database: 'ok', migrations: 'ok', started: catchingUp } },
      });
      expect((await probe(url, '/healthz')).status).toBe(200);
      const early = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(early.status).toBe(503);
      expect(early.headers.get('retry-after')).toBe('1');
      expect(((await early.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAVAILABLE');
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      if (starting) running.push(await starting);
    }
    expect((await probe(url, '/readyz')).status).toBe(200);
  }, 120_000);

  it('checks the database and migrations of a subgraph process, and the supergraph and each subgraph of a gateway process', async () => {
    const [subgraph, gateway] = running;
    expect(await probe(subgraph!.url, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', started: 'ok' } },
    });
    // Every subgraph URL of this gateway is the institutions process's: each answers for its name.
    const checks = { supergraph: 'ok', started: 'ok', institutions: 'ok', learners: 'ok', funding: 'ok', absence: 'ok' };
    expect(await probe(gateway!.url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks } });
  });
});
