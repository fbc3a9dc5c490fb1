import { createServer, type AddressInfo } from 'node:net';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defaultLimits } from '../gateway/limits.ts';
import { createLogger } from '../kernel/logging.ts';
import { startTestSystem, type GraphQLResponse, type TestSystem } from './harness.ts';

const refusedFor = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions;

/** A query `levels` fields deep, through RIO's links: branch, provider, board, providers, branches, provider… */
function nested(levels: number): string {
  const hops = ['provider', 'board', 'providers', 'branches'];
  const path = Array.from({ length: levels - 2 }, (_, i) => hops[i % hops.length]!);
  const leaf = path.at(-1) === 'branches' ? 'brin6' : 'code';
  return `{ branch(brin6: "16AH00") { ${path.reduceRight((inner, hop) => `${hop} { ${inner} }`, leaf)} } }`;
}

describe('operation limits at the gateway', () => {
  let system: TestSystem;
  // No data is needed: every refusal comes before a subgraph is asked.
  beforeAll(async () => (system = await startTestSystem({ SEED: 'false' })));
  afterAll(() => system?.close());

  it('refuses depth beyond the limit, and not at the limit', async () => {
    expect(refusedFor(await system.query(nested(defaultLimits.depth + 1)))).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
    // At the limit the same chain is refused for its cost (its lists multiply), not its depth.
    expect(refusedFor(await system.query(nested(defaultLimits.depth)))).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    expect(refusedFor(await system.query(nested(6)))).toBeUndefined();
  });

  it('refuses more aliases than the limit', async () => {
    const aliased = Array.from({ length: defaultLimits.aliases + 1 }, (_, i) => `d${i}: countDates { countDate }`).join(' ');
    const response = await system.query(`{ ${aliased} }`);
    expect(refusedFor(response)).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
    expect(response.status).toBe(400);
  });

  it('refuses more root fields than the limit', async () => {
    const fields = Array.from({ length: defaultLimits.rootFields + 1 }, () => 'countDates { countDate }').join(' ');
    expect(refusedFor(await system.query(`{ ${fields} }`))).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'rootFields' });
  });

  it('refuses an operation whose lists could hold more than the cost limit, counting `first` from the variables', async () => {
    const query = 'query($first: Int) { branches(first: $first) { edges { node { provider { branches { offeredProgrammes { id } } } } } } }';
    expect(refusedFor(await system.query(query, { variables: { first: 200 } }))).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    expect(refusedFor(await system.query(query, { variables: { first: 2 } }))).toBeUndefined();
  });

  it('refuses a document of more tokens than the limit before parsing it', async () => {
    const fields = Array.from({ length: defaultLimits.tokens }, () => 'countDate').join(' ');
    const response = await system.query(`{ countDates { ${fields} } }`);
    expect(refusedFor(response)).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(response.errors![0]!.message).toContain(`${defaultLimits.tokens} tokens`);
  });

  it('refuses a request body over 1 MB', async () => {
    const response = await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ countDates { countDate } }', variables: { padding: 'x'.repeat(1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
  });

  it('shows clients no subgraph names in errors', async () => {
    const response = await system.query('{ enrollment(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
  });
});

/** Runs one query over the gateway's WebSocket (graphql-ws), as the same viewer: its result or its refusal. */
async function overWebSocket(system: TestSystem, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<unknown>> {
  const client = createClient({
    url: system.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${await system.token({ role: 'OPERATOR' })}` },
  });
  try {
    return await new Promise((resolve, reject) => {
      let answer: GraphQLResponse<unknown> | undefined;
      client.subscribe(
        { query, variables },
        {
          next: (result) => void (answer = { status: 200, ...(result as object) }),
          error: (error) => (Array.isArray(error) ? resolve({ status: 400, errors: error }) : reject(error)),
          complete: () => resolve(answer!),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/*
 * A page's size, however it is given, is counted as the page the operation will get: these lists
 * of branches each cost 1 + 824 × size (edges, node, provider and its branches at the assumed 20,
 * each with 20 programmes' id and kind), so at 50, the default page, 41,201: over the limit.
 */
const pageOf = (first: string) => `branches${first} { edges { node { provider { branches { offeredProgrammes { id kind } } } } } }`;
const atDefaultPage = 1 + 824 * 50;

describe.each([
  ['HTTP', (system: TestSystem, query: string, variables?: Record<string, unknown>) => system.query(query, { variables })],
  ['WebSocket', overWebSocket],
] as const)('the cost limit reads a page size as the operation will run, over %s', (_, send) => {
  let system: TestSystem;
  beforeAll(async () => (system = await startTestSystem({ SEED: 'false', RATE_LIMIT: '0' })));
  afterAll(() => system?.close());

  it.each([
    ['written out', `{ ${pageOf('(first: 50)')} }`, undefined],
    ['a variable with a value', `query($n: Int) { ${pageOf('(first: $n)')} }`, { n: 50 }],
    ["a variable's default", `query($n: Int = 50) { ${pageOf('(first: $n)')} }`, undefined],
    ["an absent variable, taking the argument's default (50)", `query($n: Int) { ${pageOf('(first: $n)')} }`, undefined],
    ['the argument left out, taking its default (50)', `{ ${pageOf('')} }`, undefined],
    ['null, which a page takes as its default (50)', `{ ${pageOf('(first: null)')} }`, undefined],
    ['a variable set to null over its default', `query($n: Int = 20) { ${pageOf('(first: $n)')} }`, { n: null }],
  ])('counts a size given as %s', async (__, query, variables) => {
    const response = await send(system, query, variables);
    expect(response.errors?.[0]).toEqual({
      message: expect.stringContaining(`: ${atDefaultPage}, at most ${defaultLimits.cost}`),
      extensions: expect.objectContaining({ code: 'LIMIT_EXCEEDED', limit: 'cost' }),
    });
    expect(response.data ?? undefined).toBeUndefined();
  });

  it("answers the same sizes at 20 (16,481), given by a variable's default or a value over a larger default", async () => {
    expect((await send(system, `query($n: Int = 20) { ${pageOf('(first: $n)')} }`)).errors).toBeUndefined();
    expect((await send(system, `query($n: Int = 500) { ${pageOf('(first: $n)')} }`, { n: 20 })).errors).toBeUndefined();
  });

  it('refuses what the tester sent: a default of 500 in a variable never given (cost 9,024,501)', async () => {
    const query =
      'query($n: Int = 500){ branches(first:$n){ edges{ node{ brin6 name provider{ code board{ code providers{ code branches{ brin6 name offeredProgrammes{id kind} location{code} }}}}}}}}';
    const response = await send(system, query);
    expect(response.errors?.[0]?.message).toContain(': 9024501, at most');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
  });

  it('refuses variables that do not coerce with BAD_USER_INPUT, as execution would', async () => {
    const response = await send(system, `query($n: Int) { ${pageOf('(first: $n)')} }`, { n: 'many' });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Variable "\$n" got invalid value "many"/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('leaves an input object to execution, which refuses one that does not coerce with BAD_USER_INPUT', async () => {
    const response = await send(system, 'query($filter: BranchFilter) { branches(first: 2, filter: $filter) { totalCount } }', { filter: 'many' });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Variable "\$filter" got invalid value "many"/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('the rate limit per viewer', () => {
  let system: TestSystem;
  beforeAll(async () => (system = await startTestSystem({ SEED: 'false', RATE_LIMIT: '2' })));
  afterAll(() => system?.close());

  it('answers 429 with Retry-After to a vendor over its rate, and serves another vendor', async () => {
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
    const ask = (bearer: string) =>
      fetch(system.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query: '{ countDates { countDate } }' }),
      });
    // Bursts of twice the rate pass; the rest of 8 at once do not.
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask(token)));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(refused[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(((await refused[0]!.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
    // The same vendor acting for another school shares the bucket; another vendor has its own.
    expect((await ask(await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '03WU00' }))).status).toBe(429);
    expect((await ask(await system.token({ role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' }))).status).toBe(200);
  });
});

describe('the rate limit while Redis (REDIS_URL) cannot be reached', () => {
  let system: TestSystem;
  const lines: { level: number; msg: string }[] = [];
  beforeAll(async () => {
    // A port nothing listens on: taken, then let go.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const logger = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) });
    system = await startTestSystem({ SEED: 'false', RATE_LIMIT: '2', REDIS_URL: `redis://127.0.0.1:${port}` }, { logger });
  });
  afterAll(() => system?.close());

  it("fails open to the gateway's own bucket: it serves, still refuses a viewer over its rate, and logs the outage once", async () => {
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(system.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ countDates { countDate } }' }),
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(4);
    const outage = lines.filter((line) => /^Redis cannot be reached/.test(line.msg));
    expect(outage).toHaveLength(1);
    expect(outage[0]!.msg).toMatch(/each gateway replica limits the rate on its own until it answers again/);
  });
});

describe('production mode', () => {
  let system: TestSystem;
  beforeAll(
    async () =>
      (system = await startTestSystem({
        SEED: 'false',
        NODE_ENV: 'production',
        TOKEN_SECRET: 'a production token secret that is long enough',
        VIEWER_SECRET: 'a production viewer secret that is long enough',
      })),
  );
  afterAll(() => system?.close());

  it('turns introspection off and leaves field suggestions out', async () => {
    expect(refusedFor(await system.query('{ __schema { types { name } } }'))).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const typo = await system.query('{ countDatez { countDate } }');
    expect(typo.errors![0]!.message).toBe('Cannot query field "countDatez" on type "Query".');
  });
});
