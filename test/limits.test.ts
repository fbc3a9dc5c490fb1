import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSchemaOf, readOperations } from '../gateway/composition.ts';
import { defaultLimits, measureOperation } from '../gateway/limits.ts';
import { RateLimiter } from '../gateway/rateLimit.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
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

describe('the rate limit per viewer', () => {
  let system: TestSystem;
  beforeAll(async () => (system = await startTestSystem({ SEED: 'false', RATE_LIMIT: '2' })));
  afterAll(() => system?.close());

  it('answers 429 with Retry-After to a vendor over its rate, and serves another vendor', async () => {
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
    const ask = (bearer: string) => fetch(system.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query: '{ countDates { countDate } }' }) });
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

  it('refills the bucket at the rate (RateLimiter on a clock of its own)', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 4, () => now);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('v'))).toEqual([0, 0, 0, 0, 1]);
    now = 500;
    expect(limiter.take('v')).toBe(0);
    expect(limiter.take('v')).toBe(1);
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

describe('every registered operation within the limits', async () => {
  const schema = apiSchemaOf(await readFile(path.join(schemaFolder, 'supergraph.graphql'), 'utf8'));
  it.each(readOperations(path.join(schemaFolder, 'operations')).map((operation) => [operation.name, operation.source] as const))('%s, with pages of 200', (_, source) => {
    const document = parse(source);
    const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition')!;
    const measured = measureOperation(schema, document, operation, { first: 200 });
    for (const limit of ['depth', 'aliases', 'rootFields', 'cost'] as const) expect(measured[limit]).toBeLessThanOrEqual(defaultLimits[limit]);
  });
});
