import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../gateway/limits.ts';
import { maxBodyBytes } from '../kernel/http.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { startTestSystem, type TestSystem } from './harness.ts';
import { codeOf, Connection, operator, vendor } from './websocketClient.ts';

/*
 * GraphQL over WebSocket at the gateway refuses what HTTP refuses (test/limits.test.ts): operations
 * over the limits on depth, aliases, root fields, tokens, size and cost, and a viewer over its rate.
 */

/** A query `levels` fields deep, through RIO's links (as in test/limits.test.ts). */
function nested(levels: number): string {
  const hops = ['provider', 'board', 'providers', 'branches'];
  const path = Array.from({ length: levels - 2 }, (_, i) => hops[i % hops.length]!);
  const leaf = path.at(-1) === 'branches' ? 'brin6' : 'code';
  return `{ branch(brin6: "16AH00") { ${path.reduceRight((inner, hop) => `${hop} { ${inner} }`, leaf)} } }`;
}

describe('GraphQL over WebSocket: the operation limits', () => {
  let system: TestSystem;
  let token: string;
  const connections: Connection[] = [];
  const open = async (bearer: string | null) => {
    const connection = await Connection.open(system.url, bearer);
    connections.push(connection);
    return connection;
  };

  // No data is needed: every refusal comes before a subgraph is asked.
  beforeAll(async () => {
    system = await startTestSystem({ SEED: 'false' });
    token = await system.token(operator);
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await system?.close();
  });

  it('refuses depth beyond the limit, and not at the limit, over the socket', async () => {
    const connection = await open(token);
    expect((await connection.operation(nested(defaultLimits.depth + 1))).errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
    // At the limit the same chain is refused for its cost (its lists multiply), not its depth.
    expect((await connection.operation(nested(defaultLimits.depth))).errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    expect(await connection.operation(nested(6))).toEqual({ data: { branch: null } });
    // 13 fields deep: fundingStatusChanged, enrollment, branch, then RIO's links down to a provider's code.
    const deep =
      'subscription { fundingStatusChanged { enrollment { branch { provider { board { providers { branches { provider { board { providers { branches { provider { code } } } } } } } } } } } } }';
    expect((await connection.operation(deep)).errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
  });

  it('refuses more aliases than the limit in a query and in a subscription', async () => {
    const connection = await open(token);
    const aliased = Array.from({ length: defaultLimits.aliases + 1 }, (_, i) => `d${i}: countDates { countDate }`).join(' ');
    expect((await connection.operation(`{ ${aliased} }`)).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
    const cursors = Array.from({ length: defaultLimits.aliases + 1 }, (_, i) => `c${i}: cursor`).join(' ');
    expect((await connection.operation(`subscription { fundingStatusChanged { ${cursors} } }`)).errors?.[0]?.extensions).toEqual({
      code: 'LIMIT_EXCEEDED',
      limit: 'aliases',
    });
  });

  it('refuses a query of more root fields than the limit', async () => {
    const connection = await open(token);
    const fields = Array.from({ length: defaultLimits.rootFields + 1 }, () => 'countDates { countDate }').join(' ');
    expect((await connection.operation(`{ ${fields} }`)).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'rootFields' });
  });

  it('refuses a document of more tokens than the limit before parsing it', async () => {
    const connection = await open(token);
    const fields = Array.from({ length: defaultLimits.tokens }, () => 'countDate').join(' ');
    for (const document of [`{ countDates { ${fields} } }`, `subscription { fundingStatusChanged { ${fields.replaceAll('countDate', 'cursor')} } }`]) {
      const answer = await connection.operation(document);
      expect(codeOf(answer)).toBe('GRAPHQL_PARSE_FAILED');
      expect(answer.errors![0]!.message).toContain(`${defaultLimits.tokens} tokens`);
    }
  });

  it('closes the connection with 1009 on a message over 1 MB, and serves one of exactly 1 MB', async () => {
    const message = (padding: number) =>
      JSON.stringify({
        id: 'padded',
        type: 'subscribe',
        payload: { query: '{ branches(first: 1) { totalCount } }', variables: { padding: 'x'.repeat(padding) } },
      });
    const fits = message(maxBodyBytes - message(0).length);
    expect(Buffer.byteLength(fits)).toBe(maxBodyBytes);
    const served = await open(token);
    served.send(fits);
    await served.until('the answer to a message of 1 MB', () => served.of('padded').some((answer) => answer.type === 'complete'));
    expect(served.of('padded')[0]).toEqual({ id: 'padded', type: 'next', payload: { data: { branches: { totalCount: 0 } } } });

    const refused = await open(token);
    refused.send(message(maxBodyBytes - message(0).length + 1));
    await refused.until('the close of the connection', () => refused.closed !== undefined);
    expect(refused.closed?.code).toBe(1009);
    expect(refused.of('padded')).toEqual([]);
  });

  it('refuses an operation whose lists could hold more than the cost limit, counting `first` from the variables', async () => {
    const connection = await open(token);
    const query = 'query($first: Int) { branches(first: $first) { edges { node { provider { branches { offeredProgrammes { id } } } } } } }';
    expect((await connection.operation(query, { first: 200 })).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    expect((await connection.operation(query, { first: 2 })).errors).toBeUndefined();
    // 20 providers × 20 branches × 20 branches at their location × 20 programmes, each list at its assumed size.
    const costly =
      'subscription { fundingStatusChanged { enrollment { branch { provider { board { providers { branches { location { branches { offeredProgrammes { id } } } } } } } } } } }';
    expect((await connection.operation(costly)).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
  });

  it('suggests field names outside production (what production mode leaves out)', async () => {
    const connection = await open(token);
    expect((await connection.operation('{ countDatez { countDate } }')).errors?.[0]?.message).toMatch(/ Did you mean "countDates".*\?$/);
  });
});

describe('the rate limit per viewer over WebSocket', () => {
  let system: TestSystem;
  const connections: Connection[] = [];
  beforeAll(async () => (system = await startTestSystem({ SEED: 'false', RATE_LIMIT: '2' })));
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await system?.close();
  });

  it('refuses a vendor over its rate with RATE_LIMITED, shares the bucket over its connections, and serves another vendor', async () => {
    const open = async (viewer: Viewer) => {
      const connection = await Connection.open(system.url, await system.token(viewer));
      connections.push(connection);
      return connection;
    };
    const atOneSchool = await open(vendor);
    const atAnother = await open({ ...vendor, school: '03WU00' });
    const otherVendor = await open({ ...vendor, vendorOin: '00000003273255280000' });
    const query = '{ branches(first: 1) { totalCount } }';
    // Connecting costs nothing; each operation costs one. A burst of twice the rate (4) passes: of 9
    // at once, 8 on one connection and 1 on another as the same vendor, at least 5 are refused.
    const answers = await Promise.all([...Array.from({ length: 8 }, () => atOneSchool.operation(query)), atAnother.operation(query)]);
    const refused = answers.filter((answer) => codeOf(answer) === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]!.errors![0]).toEqual({
      message: expect.stringMatching(/^Too many requests: at most 2 a second; try again in [1-9]\d* s$/),
      extensions: { code: 'RATE_LIMITED' },
    });
    expect(answers.filter((answer) => !refused.includes(answer)).every((answer) => answer.errors === undefined && answer.data !== undefined)).toBe(true);
    expect(await otherVendor.operation(query)).toEqual({ data: { branches: { totalCount: 0 } } });
  });
});
