import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import { readOperations } from '../gateway/composition.ts';
import { defaultLimits } from '../gateway/limits.ts';
import { untrusted } from '../gateway/trusted.ts';
import { compareCursors } from '../kernel/events.ts';
import { maxBodyBytes } from '../kernel/http.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { issueToken, type Viewer } from '../kernel/viewer.ts';
import { enrollmentInput, eventually, Follower, postGraphQL, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/*
 * GraphQL over WebSocket at the gateway refuses what HTTP refuses (test/limits.test.ts), and more of
 * its own: connections without a valid token, subscriptions over the per-connection and per-viewer
 * limits, and a subscriber that stops reading.
 */

interface Refusal {
  message: string;
  extensions?: Record<string, unknown>;
}

interface Message {
  id?: string;
  type: string;
  payload?: unknown;
}

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Refusal[];
}

/**
 * A client at the level of the protocol (graphql-transport-ws), for what the graphql-ws client
 * hides: the close code and reason, a message of any size, a reader that stops reading.
 */
class Connection {
  readonly messages: Message[] = [];
  closed: { code: number; reason: string } | undefined;
  /** The server's keep-alive pings received (ws answers each at once). */
  pings = 0;
  private readonly socket: WebSocket;
  private ids = 0;

  private constructor(url: string) {
    this.socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    this.socket.on('message', (data: RawData) => {
      this.messages.push(JSON.parse(String(data)) as Message);
    });
    this.socket.on('ping', () => {
      this.pings++;
    });
    this.socket.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
    });
    // A write after the server closed fails; the close itself is what the tests look at.
    this.socket.on('error', () => undefined);
  }

  /** Connects and sends `connection_init` with the token, if any; resolves once acknowledged or closed. */
  static async open(url: string, token: string | null): Promise<Connection> {
    const connection = new Connection(url);
    await new Promise<void>((resolve, reject) => {
      connection.socket.once('open', () => resolve());
      connection.socket.once('close', () => reject(new Error('The socket closed before it opened')));
    });
    connection.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
    await connection.until('connection_ack or a close', () => connection.acknowledged || connection.closed !== undefined);
    return connection;
  }

  get acknowledged(): boolean {
    return this.messages.some((message) => message.type === 'connection_ack');
  }

  send(message: Message | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Starts an operation and returns its id, without waiting for anything. */
  subscribe(query: string, variables?: Record<string, unknown>): string {
    const id = String(++this.ids);
    this.send({ id, type: 'subscribe', payload: { query, variables } });
    return id;
  }

  complete(id: string): void {
    this.send({ id, type: 'complete' });
  }

  /** Runs an operation that ends (a query, or a subscription that is refused): its answer or refusal. */
  async operation(query: string, variables?: Record<string, unknown>): Promise<Answer> {
    const id = this.subscribe(query, variables);
    await this.until(`the end of operation ${id}`, () => this.of(id).some((message) => message.type === 'error' || message.type === 'complete') || this.closed !== undefined);
    if (this.closed) throw new Error(`The connection closed with ${this.closed.code} (${this.closed.reason}) before operation ${id} ended`);
    const error = this.of(id).find((message) => message.type === 'error');
    if (error) return { errors: error.payload as Refusal[] };
    return this.of(id).find((message) => message.type === 'next')!.payload as Answer;
  }

  /** The data of every `next` message of a subscription. */
  events(id: string): Record<string, unknown>[] {
    return this.of(id).filter((message) => message.type === 'next').map((message) => (message.payload as Answer).data!);
  }

  of(id: string): Message[] {
    return this.messages.filter((message) => message.id === id);
  }

  /** Stops reading from the socket: the server's writes pile up in the operating system's buffers. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Waits, as `eventually` does, until `done()` holds; a time out tells what this connection received. */
  until(what: string, done: () => boolean, options: { deadline?: number } = {}): Promise<void> {
    return eventually(what, done, { ...options, state: () => `received ${JSON.stringify(this.messages).slice(0, 500)}, closed ${JSON.stringify(this.closed)}` });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.close(1000);
    await this.until('the close', () => this.closed !== undefined, { deadline: 5_000 }).catch(() => this.socket.terminate());
  }
}

const codeOf = (answer: Answer) => answer.errors?.[0]?.extensions?.code;

const operator: Viewer = { role: 'OPERATOR' };
const vendor: Viewer = { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' };

/** A query `levels` fields deep, through RIO's links (as in test/limits.test.ts). */
function nested(levels: number): string {
  const hops = ['provider', 'board', 'providers', 'branches'];
  const path = Array.from({ length: levels - 2 }, (_, i) => hops[i % hops.length]!);
  const leaf = path.at(-1) === 'branches' ? 'brin6' : 'code';
  return `{ branch(brin6: "16AH00") { ${path.reduceRight((inner, hop) => `${hop} { ${inner} }`, leaf)} } }`;
}

const fundingSubscription = 'subscription Funding($after: String) { fundingStatusChanged(after: $after) { cursor enrollment { id } } }';

describe('GraphQL over WebSocket: who may connect, and the operation limits', () => {
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
    const claims = new SignJWT({ role: 'OPERATOR' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('register-graph').setAudience('register-graph/api').setIssuedAt();
    const forever = await claims.sign(key);
    const tooLong = await issueToken(operator, system.config.tokenSecret, '2d');
    for (const [bearer, why] of [[forever, 'must carry its issue and expiry times'], [tooLong, 'lives longer than the register allows']] as const) {
      const connection = await open(bearer);
      expect(connection.acknowledged).toBe(false);
      expect(connection.closed).toEqual({ code: 4403, reason: expect.stringContaining(why) });
      const overHttp = await postGraphQL(system.url, '{ countDates { countDate } }', undefined, bearer);
      expect([overHttp.status, overHttp.errors?.[0]?.extensions?.code, overHttp.errors?.[0]?.message]).toEqual([401, 'UNAUTHENTICATED', expect.stringContaining(why)]);
    }
  });

  it('closes an open connection with 4403 when its token expires, ending its subscriptions', async () => {
    const shortLived = await issueToken(operator, system.config.tokenSecret, '2s');
    const connection = await open(shortLived);
    expect(connection.acknowledged).toBe(true);
    connection.subscribe(fundingSubscription);
    await eventually('the subscription live', () => system.system.stats().gateway?.subscribers === 1 && system.system.stats().feeds.funding?.live === 1, { deadline: 10_000 });
    await connection.until('the close at expiry', () => connection.closed !== undefined, { deadline: 5_000 });
    expect(connection.closed).toEqual({ code: 4403, reason: expect.stringMatching(/token has expired; connect again with a new one/) });
    await eventually('the subscription ended', () => system.system.stats().gateway?.subscribers === 0 && system.system.stats().feeds.funding?.subscriptions === 0, { deadline: 5_000 });
  });

  it('refuses depth beyond the limit, and not at the limit, over the socket', async () => {
    const connection = await open(token);
    expect((await connection.operation(nested(defaultLimits.depth + 1))).errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
    // At the limit the same chain is refused for its cost (its lists multiply), not its depth.
    expect((await connection.operation(nested(defaultLimits.depth))).errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    expect(await connection.operation(nested(6))).toEqual({ data: { branch: null } });
    // 13 fields deep: fundingStatusChanged, enrollment, branch, then RIO's links down to a provider's code.
    const deep = 'subscription { fundingStatusChanged { enrollment { branch { provider { board { providers { branches { provider { board { providers { branches { provider { code } } } } } } } } } } } } }';
    expect((await connection.operation(deep)).errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
  });

  it('refuses more aliases than the limit in a query and in a subscription', async () => {
    const connection = await open(token);
    const aliased = Array.from({ length: defaultLimits.aliases + 1 }, (_, i) => `d${i}: countDates { countDate }`).join(' ');
    expect((await connection.operation(`{ ${aliased} }`)).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
    const cursors = Array.from({ length: defaultLimits.aliases + 1 }, (_, i) => `c${i}: cursor`).join(' ');
    expect((await connection.operation(`subscription { fundingStatusChanged { ${cursors} } }`)).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
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
    const message = (padding: number) => JSON.stringify({ id: 'padded', type: 'subscribe', payload: { query: '{ branches(first: 1) { totalCount } }', variables: { padding: 'x'.repeat(padding) } } });
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

  it("refuses an operation whose lists could hold more than the cost limit, counting `first` from the variables", async () => {
    const connection = await open(token);
    const query = 'query($first: Int) { branches(first: $first) { edges { node { provider { branches { offeredProgrammes { id } } } } } } }';
    expect((await connection.operation(query, { first: 200 })).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    expect((await connection.operation(query, { first: 2 })).errors).toBeUndefined();
    // 20 providers × 20 branches × 20 branches at their location × 20 programmes, each list at its assumed size.
    const costly = 'subscription { fundingStatusChanged { enrollment { branch { provider { board { providers { branches { location { branches { offeredProgrammes { id } } } } } } } } } } }';
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
    expect(refused[0]!.errors![0]).toEqual({ message: expect.stringMatching(/^Too many requests: at most 2 a second; try again in [1-9]\d* s$/), extensions: { code: 'RATE_LIMITED' } });
    expect(answers.filter((answer) => !refused.includes(answer)).every((answer) => answer.errors === undefined && answer.data !== undefined)).toBe(true);
    expect(await otherVendor.operation(query)).toEqual({ data: { branches: { totalCount: 0 } } });
  });
});

describe('trusted documents over WebSocket', () => {
  let system: TestSystem;
  let connection: Connection;
  const branch = readOperations(path.join(schemaFolder, 'operations')).find((operation) => operation.name === 'Branch.graphql')!.source;
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
    expect((await connection.operation('subscription { fundingStatusChange { cursor } }')).errors?.[0]?.message).toBe('Cannot query field "fundingStatusChange" on type "Subscription".');
    expect((await connection.operation('subscription { fundingStatusChanged(aftr: "x") { cursor } }')).errors?.[0]?.message).toBe('Unknown argument "aftr" on field "Subscription.fundingStatusChanged".');
  });
});

describe('subscriptions refused, bounded and let go over WebSocket', () => {
  let system: TestSystem;
  let school: School;
  let learner = 80_000;
  const connections: Connection[] = [];
  const followers: Follower<{ cursor: string }>[] = [];
  const open = async (viewer: Viewer) => {
    const connection = await Connection.open(system.url, await system.token(viewer));
    expect(connection.acknowledged).toBe(true);
    connections.push(connection);
    return connection;
  };
  const stats = () => system.system.stats();
  const subscribers = () => stats().gateway?.subscribers;

  /** Enrolls `count` new learners at the school in one call: each is one fundingStatusChanged event there. */
  const enroll = async (count: number) => {
    const items = Array.from({ length: count }, () => enrollmentInput(school, ++learner));
    const response = await system.query<{ enrollLearners: { enrollments: { id: string }[]; failures: unknown[] } }>(
      'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { id } failures { code message } } }',
      { variables: { input: { items } }, token: school.token },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.enrollLearners.failures).toEqual([]);
    return response.data!.enrollLearners.enrollments.map((enrollment) => enrollment.id);
  };

  beforeAll(async () => {
    // The keep-alive lets a paused reader go too (below): here only the queue's bound may.
    system = await startTestSystem({ SUBSCRIPTIONS_PER_CONNECTION: '2', SUBSCRIPTIONS_PER_VIEWER: '3', SUBSCRIBER_QUEUE: '5', KEEPALIVE_SECONDS: '120' });
    school = await schoolAt(system, vendor.school);
  });
  // Each test starts with no subscription open: the limits count per viewer over every connection.
  afterEach(async () => {
    await Promise.all([...connections.splice(0).map((connection) => connection.close()), ...followers.splice(0).map((follower) => follower.stop())]);
    await eventually('every subscription ended', () => subscribers() === 0, { deadline: 10_000 });
  });
  afterAll(() => system?.close());

  it('refuses a vendor without a mandate with FORBIDDEN naming the vendor, the service and the school', async () => {
    const unmandated = await open({ role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' });
    for (const [query, service] of [
      [fundingSubscription, 'ROD_PO'],
      ['subscription { transferNoticeIssued { cursor } }', 'ROD_PO'],
      ['subscription { absenceReportUpdated { cursor } }', 'VERZUIM'],
    ] as const) {
      const answer = await unmandated.operation(query);
      expect(codeOf(answer)).toBe('FORBIDDEN');
      expect(answer.errors![0]!.message).toMatch(new RegExp(`^Vendor 00000003273255280000 has no ${service} mandate for school 16AH00 on \\d{4}-\\d{2}-\\d{2}`));
    }
    expect(subscribers()).toBe(0);
  });

  it("refuses a board following the funding of its schools' enrollments with FORBIDDEN", async () => {
    const board = await open({ role: 'BOARD', board: '042B830' });
    const answer = await board.operation(fundingSubscription);
    expect(answer.errors).toEqual([{ message: expect.stringContaining('Only a school (or the operator) follows these events'), extensions: { code: 'FORBIDDEN' } }]);
  });

  it('refuses a malformed `after` with BAD_USER_INPUT naming the argument', async () => {
    const connection = await open(vendor);
    // Not base64url, empty, and well-formed but with a transaction id beyond 64 bits.
    for (const after of ['not-a-cursor', '', Buffer.from('99999999999999999999-1').toString('base64url')]) {
      const answer = await connection.operation(fundingSubscription, { after });
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(answer.errors?.[0]?.message).toMatch(/cursor is malformed/);
    }
  });

  it('refuses a missing or mistyped variable with BAD_USER_INPUT, as over HTTP', async () => {
    const connection = await open(vendor);
    const required = 'subscription($after: String!) { fundingStatusChanged(after: $after) { cursor } }';
    for (const [query, variables] of [[required, {}], [fundingSubscription, { after: 12 }]] as const) {
      const answer = await connection.operation(query, variables);
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(/^Variable "\$after"/);
    }
    expect(subscribers()).toBe(0);
  });

  it('refuses a subscription field selected through a fragment with BAD_USER_INPUT, and counts nothing against the viewer', async () => {
    const connection = await open(vendor);
    for (let i = 0; i < 4; i++) {
      const answer = await connection.operation('subscription { ... on Subscription { fundingStatusChanged { cursor } } }');
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    }
    // Over SUBSCRIPTIONS_PER_VIEWER (3) refusals, yet the viewer still subscribes.
    const id = connection.subscribe(fundingSubscription);
    await eventually('the subscription to open', () => subscribers() === 1, { deadline: 10_000 });
    expect(connection.of(id).filter((message) => message.type === 'error')).toEqual([]);
    expect(connection.closed).toBeUndefined();
  });

  it('refuses subscriptions over SUBSCRIPTIONS_PER_CONNECTION on one connection and over SUBSCRIPTIONS_PER_VIEWER over connections with LIMIT_EXCEEDED, while the others keep receiving events', async () => {
    const [first, second] = [await open(vendor), await open(vendor)];
    const held = [first.subscribe(fundingSubscription), first.subscribe(fundingSubscription)];
    await eventually('two subscriptions on the first connection', () => subscribers() === 2, { deadline: 10_000 });
    const overConnection = await first.operation(fundingSubscription);
    expect(overConnection.errors).toEqual([{ message: 'Too many subscriptions on one connection: 2 open, at most 2; end one first', extensions: { code: 'LIMIT_EXCEEDED', limit: 'subscriptions' } }]);

    const third = second.subscribe(fundingSubscription);
    await eventually('the third subscription, on the second connection', () => subscribers() === 3, { deadline: 10_000 });
    const overViewer = await second.operation(fundingSubscription);
    expect(overViewer.errors).toEqual([{ message: 'Too many subscriptions of one viewer: 3 open, at most 3; end one first', extensions: { code: 'LIMIT_EXCEEDED', limit: 'subscriptions' } }]);
    // Another viewer has limits of its own.
    const operatorConnection = await open(operator);
    const operatorSubscription = operatorConnection.subscribe(fundingSubscription);
    await eventually("the operator's subscription and both upstreams live", () => subscribers() === 4 && stats().feeds.funding?.live === 2, { deadline: 10_000 });

    const [enrolled] = await enroll(1);
    const receivedBy = (connection: Connection, id: string) => connection.until(`the event on subscription ${id}`, () => connection.events(id).length > 0);
    await Promise.all([receivedBy(first, held[0]!), receivedBy(first, held[1]!), receivedBy(second, third), receivedBy(operatorConnection, operatorSubscription)]);
    for (const events of [first.events(held[0]!), first.events(held[1]!), second.events(third), operatorConnection.events(operatorSubscription)]) {
      expect(events).toEqual([{ fundingStatusChanged: { cursor: expect.any(String), enrollment: { id: enrolled } } }]);
    }
    expect([...first.messages, ...second.messages].filter((message) => message.type === 'error')).toHaveLength(2);

    // Ending one makes room for another.
    first.complete(held[0]!);
    await eventually('the ended subscription released', () => subscribers() === 3, { deadline: 10_000 });
    second.subscribe(fundingSubscription);
    await eventually('a new subscription in its place', () => subscribers() === 4, { deadline: 10_000 });
    expect(second.messages.filter((message) => message.type === 'error')).toHaveLength(1);
  });

  it('closes a subscriber that stops reading with 4008 once over SUBSCRIBER_QUEUE results wait, telling it to resume from its last cursor, while a reader on another connection gets every event', async () => {
    // Large events (about 37 kB each, within the cost limit): the operating system's socket buffers
    // (a few MB) fill after a hundred or so, and only then do results wait in the subscriber's queue.
    const board = 'code branches { brin6 name denomination phone website address { street houseNumber postcode city } }';
    const large = `subscription Large($after: String) { fundingStatusChanged(after: $after) { cursor enrollment { id branch { provider { board { ${Array.from({ length: 6 }, (_, i) => `p${i}: providers { ${board} }`).join(' ')} } } } } } }`;
    type Change = { cursor: string; enrollment: { id: string } };
    const reader = new Follower<Change>({ url: () => system.url, token: school.token, query: large, field: 'fundingStatusChanged' });
    followers.push(reader);
    const slow = await open(vendor);
    const id = slow.subscribe(large);
    // Both share one upstream subscription: each event is completed once, and handed to both.
    await eventually('both subscriptions live', () => subscribers() === 2 && stats().feeds.funding?.live === 1, { deadline: 10_000 });
    slow.pause();

    const enrolled: string[] = [];
    for (let batch = 0; batch < 10 && subscribers() === 2; batch++) {
      enrolled.push(...(await enroll(60)));
      await reader.until(`${enrolled.length} events at the reader`, () => enrolled.every((enrollment) => reader.items.some((item) => item.enrollment.id === enrollment)), { deadline: 30_000 });
    }
    expect(subscribers()).toBe(1);

    slow.resume();
    await slow.until('the close of the slow subscriber', () => slow.closed !== undefined);
    expect(slow.closed).toEqual({ code: 4008, reason: 'Fell behind: over 5 results unread; reconnect and resume with after: your last cursor' });
    const received = slow.events(id).map((data) => data.fundingStatusChanged as Change);
    expect(received.length).toBeLessThan(reader.items.length);
    // What it did receive is what the reader received first, in order.
    expect(received.map((change) => change.cursor)).toEqual(reader.items.slice(0, received.length).map((item) => item.cursor));

    // The reader received every event once, in order.
    const cursors = reader.items.map((item) => item.cursor);
    expect(cursors.slice(1).every((cursor, i) => compareCursors(cursor, cursors[i]!) > 0)).toBe(true);
    expect(new Set(reader.items.map((item) => item.enrollment.id))).toEqual(new Set(enrolled));
    expect(reader.errors).toEqual([]);
    expect(reader.closes).toEqual([]);
  }, 120_000);

  it('lets a subscriber that resumes from a cursor with more than SUBSCRIBER_QUEUE events after it receive them all, as the 4008 reason advises', async () => {
    const small = 'subscription($after: String) { fundingStatusChanged(after: $after) { cursor } }';
    const live = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: small, field: 'fundingStatusChanged' });
    followers.push(live);
    await eventually('the live subscription', () => subscribers() === 1 && stats().feeds.funding?.live === 1, { deadline: 10_000 });
    await enroll(1);
    await live.until('the first event', () => live.items.length === 1, { deadline: 10_000 });
    // One at a time: a live subscriber takes them as they come.
    for (let n = 0; n < 20; n++) await enroll(1);
    await live.until('the 20 events after it', () => live.items.length === 21, { deadline: 10_000 });
    expect(live.closes).toEqual([]);

    // A subscriber that reads as fast as it can, from the first event's cursor: 20 events wait for it.
    const resumed = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: small, field: 'fundingStatusChanged', after: live.items[0]!.cursor });
    followers.push(resumed);
    await resumed.until('the 20 events after the cursor', () => resumed.items.length >= 20 || resumed.closes.length > 0, { deadline: 10_000 });
    expect(resumed.closes).toEqual([]);
    expect(resumed.items.map((item) => item.cursor)).toEqual(live.items.slice(1).map((item) => item.cursor));
  });
});

describe('a subscriber that stops reading, and the cursor of every event', () => {
  let system: TestSystem;
  let school: School;
  let learner = 85_000;
  const connections: Connection[] = [];
  const followers: Follower<{ cursor: string }>[] = [];
  const open = async () => {
    const connection = await Connection.open(system.url, school.token);
    connections.push(connection);
    return connection;
  };
  const enroll = async (count: number) => {
    const items = Array.from({ length: count }, () => enrollmentInput(school, ++learner));
    const response = await system.query<{ enrollLearners: { failures: unknown[] } }>('mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { failures { message } } }', { variables: { input: { items } }, token: school.token });
    expect(response.data?.enrollLearners.failures).toEqual([]);
  };
  const subscribers = () => system.system.stats().gateway?.subscribers;

  beforeAll(async () => {
    system = await startTestSystem({ KEEPALIVE_SECONDS: '3' });
    school = await schoolAt(system, vendor.school);
  });
  afterEach(async () => {
    await Promise.all([...connections.splice(0).map((connection) => connection.close()), ...followers.splice(0).map((follower) => follower.stop())]);
    await eventually('every subscription ended', () => subscribers() === 0, { deadline: 40_000 });
  });
  afterAll(() => system?.close());

  it('closes a subscriber that leaves what it was sent unread past the keep-alive with 4008, after what was sent, and it resumes from its last cursor', async () => {
    const slow = await open();
    const witness = await open();
    const id = slow.subscribe(fundingSubscription);
    // A reader of its own sees when the events have been sent; it shares the upstream with the slow one.
    const reader = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: fundingSubscription, field: 'fundingStatusChanged' });
    followers.push(reader);
    await eventually('both subscriptions live', () => subscribers() === 2 && system.system.stats().feeds.funding?.live === 1, { deadline: 10_000 });
    slow.pause();
    await enroll(3);
    await reader.until('the three events at the reader', () => reader.items.length === 3, { deadline: 10_000 });
    // Two keep-alive rounds after they were sent (the witness, which answers, counts them): the slow one has not answered.
    const pings = witness.pings;
    await witness.until('three more pings', () => witness.pings >= pings + 3, { deadline: 60_000 });

    slow.resume();
    await slow.until('the close of the slow subscriber', () => slow.closed !== undefined);
    expect(slow.closed).toEqual({ code: 4008, reason: 'Fell behind: no answer within 3 s; reconnect and resume with after: your last cursor' });
    // It received what was sent before the close, in order.
    const received = slow.events(id).map((data) => (data.fundingStatusChanged as { cursor: string }).cursor);
    expect(received).toEqual(reader.items.map((item) => item.cursor));

    await enroll(2);
    const resumed = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: fundingSubscription, field: 'fundingStatusChanged', after: received.at(-1)! });
    followers.push(resumed);
    await reader.until('the two events after it at the reader', () => reader.items.length === 5, { deadline: 10_000 });
    await resumed.until('the two events after its cursor', () => resumed.items.length === 2, { deadline: 10_000 });
    expect(resumed.items.map((item) => item.cursor)).toEqual(reader.items.slice(3).map((item) => item.cursor));
    expect(witness.closed).toBeUndefined();
  }, 120_000);

  it('carries the cursor of every event in extensions, also when the subscription does not select it', async () => {
    const connection = await open();
    const id = connection.subscribe('subscription { fundingStatusChanged { countDate enrollment { id } } }');
    const reader = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: fundingSubscription, field: 'fundingStatusChanged' });
    followers.push(reader);
    await eventually('both subscriptions live', () => subscribers() === 2 && system.system.stats().feeds.funding?.live === 2, { deadline: 10_000 });
    await enroll(2);
    await reader.until('the two events at the reader', () => reader.items.length === 2, { deadline: 10_000 });
    await connection.until('the two events', () => connection.events(id).length === 2);
    const payloads = connection.of(id).map((message) => message.payload as { data: { fundingStatusChanged: Record<string, unknown> }; extensions?: { cursor?: string } });
    expect(payloads.map((payload) => payload.extensions?.cursor)).toEqual(reader.items.map((item) => item.cursor));
    expect(payloads.every((payload) => !('cursor' in payload.data.fundingStatusChanged))).toBe(true);
  });
});
