import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../kernel/viewer.ts';
import { eventually, postGraphQL, startTestSystem, type TestSystem } from './harness.ts';
import { Connection, fundingSubscription, operator } from './websocketClient.ts';

/*
 * GraphQL over WebSocket at the gateway: who may connect. A connection without a valid token is
 * closed before it is acknowledged, and one whose token expires is closed then.
 */

describe('GraphQL over WebSocket: who may connect', () => {
  let system: TestSystem;
  const connections: Connection[] = [];
  const open = async (bearer: string | null) => {
    const connection = await Connection.open(system.url, bearer);
    connections.push(connection);
    return connection;
  };

  // No data is needed: every refusal comes before a subgraph is asked.
  beforeAll(async () => {
    system = await startTestSystem({ SEED: 'false' });
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await system?.close();
  });

  it('closes a connection without a token with 4403, before acknowledging it', async () => {
    const connection = await open(null);
    expect(connection.acknowledged).toBe(false);
    expect(connection.closed?.code).toBe(4403);
    expect(connection.closed?.reason).toMatch(/^Forbidden: .*bearer token/);
  });

  it('closes a connection with a token that does not verify with 4403, before acknowledging it', async () => {
    const forged = await issueToken(operator, 'a secret that is not the register one at all');
    for (const bearer of ['not-a-token', forged]) {
      const connection = await open(bearer);
      expect(connection.acknowledged).toBe(false);
      expect(connection.closed).toEqual({ code: 4403, reason: 'Forbidden: The bearer token is not valid' });
    }
  });

  it('refuses a token that never expires (no exp) or lives longer than TOKEN_MAX_LIFETIME: 4403 before acknowledging, 401 over HTTP', async () => {
    const key = new TextEncoder().encode(system.config.tokenSecret);
    const claims = new SignJWT({ role: 'OPERATOR' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('register-graph')
      .setAudience('register-graph/api')
      .setIssuedAt();
    const forever = await claims.sign(key);
    const tooLong = await issueToken(operator, system.config.tokenSecret, '2d');
    for (const [bearer, why] of [
      [forever, 'must carry its issue and expiry times'],
      [tooLong, 'lives longer than the register allows'],
    ] as const) {
      const connection = await open(bearer);
      expect(connection.acknowledged).toBe(false);
      expect(connection.closed).toEqual({ code: 4403, reason: expect.stringContaining(why) });
      const overHttp = await postGraphQL(system.url, '{ countDates { countDate } }', undefined, bearer);
      expect([overHttp.status, overHttp.errors?.[0]?.extensions?.code, overHttp.errors?.[0]?.message]).toEqual([
        401,
        'UNAUTHENTICATED',
        expect.stringContaining(why),
      ]);
    }
  });

  it('closes an open connection with 4403 when its token expires, ending its subscriptions', async () => {
    const shortLived = await issueToken(operator, system.config.tokenSecret, '2s');
    const connection = await open(shortLived);
    expect(connection.acknowledged).toBe(true);
    connection.subscribe(fundingSubscription);
    await eventually('the subscription live', () => system.system.stats().gateway?.subscribers === 1 && system.system.stats().feeds.funding?.live === 1, {
      deadline: 10_000,
    });
    await connection.until('the close at expiry', () => connection.closed !== undefined, { deadline: 5_000 });
    expect(connection.closed).toEqual({ code: 4403, reason: expect.stringMatching(/token has expired; connect again with a new one/) });
    await eventually(
      'the subscription ended',
      () => system.system.stats().gateway?.subscribers === 0 && system.system.stats().feeds.funding?.subscriptions === 0,
      { deadline: 5_000 },
    );
  });
});
