import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untrusted } from '../gateway/trusted.ts';
import { startTestSystem, type TestSystem, registeredOperation } from './harness.ts';
import { codeOf, Connection, fundingSubscription, operator } from './websocketClient.ts';

/*
 * GraphQL over WebSocket at the gateway as production may run it: only registered operations
 * (trusted documents), and no introspection or suggestions (production mode).
 */

describe('trusted documents over WebSocket', () => {
  let system: TestSystem;
  let connection: Connection;
  const branch = registeredOperation('Branch.graphql');
  beforeAll(async () => {
    system = await startTestSystem({ TRUSTED_DOCUMENTS: 'strict', SEED: 'false' });
    connection = await Connection.open(system.url, await system.token(operator));
  });
  afterAll(async () => {
    await connection?.close();
    await system?.close();
  });

  it('runs a registered operation sent whole', async () => {
    expect(await connection.operation(branch, { brin6: '16AH00' })).toEqual({ data: { branch: null } });
  });

  it('refuses any other query or subscription with UNTRUSTED_OPERATION', async () => {
    expect(codeOf(await connection.operation('{ branches(first: 1) { totalCount } }'))).toBe('UNTRUSTED_OPERATION');
    expect(codeOf(await connection.operation(fundingSubscription))).toBe('UNTRUSTED_OPERATION');
    // One character off a registered text is another document.
    expect(codeOf(await connection.operation(`${branch} `, { brin6: '16AH00' }))).toBe('UNTRUSTED_OPERATION');
  });

  it.each([
    ['a misspelt field', '{ branchez(first: 1) { totalCount } }'],
    ['a wrong argument', 'subscription { fundingStatusChanged(aftr: "x") { cursor } }'],
    ['text that does not parse', '{ branches(first: 1) { totalCount '],
  ])('checks trust first: %s, unregistered, learns nothing about the schema', async (_, query) => {
    expect(await connection.operation(query)).toEqual({ errors: [{ message: untrusted().message, extensions: { code: 'UNTRUSTED_OPERATION' } }] });
  });
});

describe('production mode over WebSocket', () => {
  let system: TestSystem;
  let connection: Connection;
  beforeAll(async () => {
    system = await startTestSystem({
      SEED: 'false',
      NODE_ENV: 'production',
      TOKEN_SECRET: 'a production token secret that is long enough',
      VIEWER_SECRET: 'a production viewer secret that is long enough',
    });
    connection = await Connection.open(system.url, await system.token(operator));
  });
  afterAll(async () => {
    await connection?.close();
    await system?.close();
  });

  it('refuses introspection over the socket', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Query") { name } }']) {
      const answer = await connection.operation(query);
      expect(answer.data ?? undefined).toBeUndefined();
      expect(codeOf(answer)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(answer.errors![0]!.message).toMatch(/introspection/i);
    }
  });

  it('leaves field and argument suggestions out of errors over the socket', async () => {
    expect((await connection.operation('{ countDatez { countDate } }')).errors?.[0]?.message).toBe('Cannot query field "countDatez" on type "Query".');
    expect((await connection.operation('subscription { fundingStatusChange { cursor } }')).errors?.[0]?.message).toBe(
      'Cannot query field "fundingStatusChange" on type "Subscription".',
    );
    expect((await connection.operation('subscription { fundingStatusChanged(aftr: "x") { cursor } }')).errors?.[0]?.message).toBe(
      'Unknown argument "aftr" on field "Subscription.fundingStatusChanged".',
    );
  });
});
