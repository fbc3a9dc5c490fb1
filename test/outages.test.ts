import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { silentLogger } from '../kernel/logging.ts';
import { issueToken } from '../kernel/viewer.ts';
import { FaultProxy } from '../faults/proxy.ts';
import { enrollmentInput, eventually, freshDatabaseUrl, postGraphQL, schoolAt } from './harness.ts';

/*
 * Outages answered as outages (README, "Timeouts and outages"): PostgreSQL or a subgraph behind a
 * fault proxy (faults/proxy.ts) that stalls, refuses or drops. PostgreSQL only: the embedded PGlite
 * database lives in the process and cannot be out of reach.
 */
const onPostgres = Boolean(readConfig().databaseUrl);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A PostgreSQL database of its own, and a proxy in front of its server. */
async function databaseBehindProxy(): Promise<{ url: string; proxy: FaultProxy; drop(): Promise<void> }> {
  const fresh = await freshDatabaseUrl();
  const direct = new URL(fresh.url!);
  const proxy = await FaultProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  return {
    url: proxy.through(fresh.url!),
    proxy,
    drop: async () => {
      proxy.close();
      await fresh.drop();
    },
  };
}

async function probe(graphqlUrl: string, path: string) {
  const response = await fetch(new URL(path, graphqlUrl));
  return { status: response.status, body: (await response.json()) as { status: string; failing?: string[]; checks: Record<string, string> } };
}

/** POSTs a query as the operator; the answer with its status and Retry-After. */
async function ask(url: string, query: string, token: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ...body };
}

const codes = (answer: { errors?: { extensions?: { code?: string } }[] }) => answer.errors?.map((error) => error.extensions?.code);

describe.runIf(onPostgres)('requests while PostgreSQL is out of reach', () => {
  let database: Awaited<ReturnType<typeof databaseBehindProxy>>;
  let system: RunningSystem;
  let operator: string;
  // Any query that reads the database; the school list is not needed for it.
  const query = '{ branches(first: 1) { totalCount } }';

  beforeAll(async () => {
    database = await databaseBehindProxy();
    const config = readConfig({ ...process.env, DATABASE_URL: database.url, DATA_DIR: 'memory://', PORT: '0', SEED: 'false', REQUEST_TIMEOUT: '2' });
    system = await startSystem(config, { logger: silentLogger });
    operator = await issueToken({ role: 'OPERATOR' }, config.tokenSecret);
  });
  afterAll(async () => {
    await database?.proxy.pass();
    await system?.close();
    await database?.drop();
  });

  it('answers 503 UNAVAILABLE with Retry-After once the request timeout has passed while the database stalls, not when the stall ends', async () => {
    expect((await ask(system.url, query, operator)).status).toBe(200);
    await database.proxy.stall();
    // The stall lasts until this answer has come: an answer that waited for the database would never come.
    const answer = await ask(system.url, query, operator);
    expect(database.proxy.mode).toBe('stall');
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('1');
    expect(codes(answer)).toEqual(['UNAVAILABLE']);
    await database.proxy.pass();
    await eventually('an answer once the database passes again', async () => (await ask(system.url, query, operator)).status === 200, { deadline: 20_000 });
  }, 60_000);

  it('answers 503 UNAVAILABLE with Retry-After, not INTERNAL_SERVER_ERROR, while the database refuses connections', async () => {
    database.proxy.refuse();
    database.proxy.drop();
    try {
      const answer = await ask(system.url, query, operator);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('1');
      expect(codes(answer)).toEqual(['UNAVAILABLE']);
      expect(answer.errors![0]!.message).not.toMatch(/ECONNREFUSED|5432|postgres/i);
    } finally {
      await database.proxy.pass();
    }
    await eventually('an answer once the database is back', async () => (await ask(system.url, query, operator)).status === 200, { deadline: 20_000 });
  }, 60_000);
});

describe.runIf(onPostgres)('a process started while PostgreSQL refuses connections', () => {
  let database: Awaited<ReturnType<typeof databaseBehindProxy>>;
  let started: RunningSystem | undefined;
  beforeAll(async () => {
    database = await databaseBehindProxy();
  });
  afterAll(async () => {
    await database?.proxy.pass();
    await started?.close();
    await database?.drop();
  });

  it('stays up, answers /healthz, reports /readyz 503 naming the database, and becomes ready when the database comes', async () => {
    database.proxy.refuse();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    let failed: unknown;
    const starting = startSystem(readConfig({ ...process.env, DATABASE_URL: database.url, SERVE: 'institutions', PORT: String(port), SEED: 'false' }), {
      logger: silentLogger,
    });
    starting.then(
      (system) => (started = system),
      (error: unknown) => (failed = error),
    );
    await eventually(
      'the database named unreachable',
      async () => (await probe(url, '/readyz').catch(() => undefined))?.body.checks.database?.startsWith('unreachable') === true,
      { deadline: 20_000, state: () => `start failed: ${failed}` },
    );

    const { status, body } = await probe(url, '/readyz');
    expect(status).toBe(503);
    expect(body.failing).toContain('database');
    expect(body.checks.database).toMatch(/^unreachable: .*ECONNREFUSED/);
    expect((await probe(url, '/healthz')).status).toBe(200);
    const early = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(failed).toBeUndefined();

    await database.proxy.pass();
    await starting;
    expect(await probe(url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', started: 'ok' } } });
  }, 60_000);
});

describe.runIf(onPostgres)('a subgraph out of reach of the gateway', () => {
  const running: RunningSystem[] = [];
  let funding: FaultProxy;
  let gateway: RunningSystem;
  let drop: () => Promise<void>;
  let enrollmentId: string;
  let token: string;
  const enrollment = () => `{ enrollment(id: "${enrollmentId}") { id group fundingStatus { outcome } } }`;

  beforeAll(async () => {
    const fresh = await freshDatabaseUrl();
    drop = fresh.drop;
    const base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0' };
    const urls = new Map<string, string>();
    // In the order their streams need: institutions seeds the school list the others read.
    for (const name of ['institutions', 'learners', 'funding', 'absence']) {
      const system = await startSystem(readConfig({ ...base, SERVE: name }), { logger: silentLogger });
      running.push(system);
      urls.set(name, system.url);
    }
    const fundingUrl = new URL(urls.get('funding')!);
    funding = await FaultProxy.start({ host: fundingUrl.hostname, port: Number(fundingUrl.port) });
    urls.set('funding', funding.through(urls.get('funding')!));
    const subgraphUrls = [...urls].map(([name, url]) => `${name}=${url}`).join(',');
    // The entity cache off: an enrollment's status it holds would be answered without the stalled subgraph.
    const config = readConfig({ ...base, SERVE: 'gateway', SUBGRAPH_URLS: subgraphUrls, SUBGRAPH_TIMEOUT: '1', GATEWAY_CACHE_ENTRIES: '0' });
    gateway = await startSystem(config, { logger: silentLogger });
    running.push(gateway);
    const operator = await issueToken({ role: 'OPERATOR' }, config.tokenSecret);
    const school = await schoolAt(
      { query: (text, options = {}) => postGraphQL(gateway.url, text, options.variables, operator), token: (viewer) => issueToken(viewer, config.tokenSecret) },
      '16AH00',
    );
    token = school.token;
    const enrolled = await postGraphQL<{ enrollLearner: { enrollment: { id: string } } }>(
      gateway.url,
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      { input: enrollmentInput(school, 1601) },
      token,
    );
    expect(enrolled.errors).toBeUndefined();
    enrollmentId = enrolled.data!.enrollLearner.enrollment.id;
  });
  afterAll(async () => {
    await funding?.pass();
    for (const system of running.reverse()) await system.close();
    funding?.close();
    await drop?.();
  });

  it('answers a whole answer with 200 while every subgraph answers', async () => {
    const answer = await ask(gateway.url, enrollment(), token);
    expect(answer).toMatchObject({ status: 200, data: { enrollment: { id: enrollmentId, group: 2, fundingStatus: { outcome: 'FUNDABLE' } } } });
    expect(answer.errors).toBeUndefined();
  });

  it('keeps the data of a partial answer and names the missing part UNAVAILABLE by its path, with 503 and Retry-After, while the subgraph refuses', async () => {
    funding.refuse();
    funding.drop();
    try {
      const answer = await ask(gateway.url, enrollment(), token);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('1');
      expect(answer.data).toEqual({ enrollment: { id: enrollmentId, group: 2, fundingStatus: null } });
      expect(answer.errors).toEqual([
        { message: expect.not.stringMatching(/funding|127\.0\.0\.1/), path: ['enrollment', 'fundingStatus'], extensions: { code: 'UNAVAILABLE' } },
      ]);
    } finally {
      await funding.pass();
    }
  });

  it('answers a field of the stalled subgraph UNAVAILABLE once the subgraph timeout has passed, keeping the rest', async () => {
    await funding.stall();
    try {
      const answer = await ask(gateway.url, enrollment(), token);
      expect(funding.mode).toBe('stall');
      expect(answer.status).toBe(503);
      expect(answer.data).toEqual({ enrollment: { id: enrollmentId, group: 2, fundingStatus: null } });
      expect(codes(answer)).toEqual(['UNAVAILABLE']);
    } finally {
      await funding.pass();
    }
  });

  it('answers 503 UNAVAILABLE at the root field when the subgraph that owns it refuses', async () => {
    funding.refuse();
    funding.drop();
    try {
      const answer = await ask(gateway.url, '{ countDates { countDate } }', token);
      expect(answer.status).toBe(503);
      expect(answer.data).toBeNull();
      expect(answer.errors).toEqual([expect.objectContaining({ path: ['countDates'], extensions: { code: 'UNAVAILABLE' } })]);
    } finally {
      await funding.pass();
    }
  });

  it("names the subgraph it cannot reach in the gateway's /readyz, and is ready again once it answers", async () => {
    funding.refuse();
    funding.drop();
    try {
      const { status, body } = await probe(gateway.url, '/readyz');
      expect(status).toBe(503);
      expect(body.failing).toEqual(['funding']);
      expect(body.checks.funding).toMatch(/^unreachable: .*ECONNREFUSED/);
      expect(body.checks.learners).toBe('ok');
    } finally {
      await funding.pass();
    }
    expect(await probe(gateway.url, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { supergraph: 'ok', started: 'ok', institutions: 'ok', learners: 'ok', funding: 'ok', absence: 'ok' } },
    });
  });
});
