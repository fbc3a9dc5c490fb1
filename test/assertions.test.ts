import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { openDatabase, type Database } from '../kernel/db.ts';
import { appendEvents, readEvents, type NewEvent } from '../kernel/events.ts';
import type { Listening } from '../kernel/http.ts';
import { createLogger, silentLogger } from '../kernel/logging.ts';
import { serveWebSocket, subgraphSubscriptions } from '../kernel/websocket.ts';
import { issueToken, signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import {
  enrollmentInput,
  eventually,
  Follower,
  freshDatabaseUrl,
  listenToSubgraph,
  postGraphQL,
  schoolAt,
  startTestSystem,
  type School,
  type TestSystem,
} from './harness.ts';

/*
 * The viewer the gateway signs for a subgraph (kernel/viewer.ts, gateway/assertions.ts): good at
 * that subgraph only, for as long as a subscription it opened lasts only until it expires, and
 * renewed by the gateway before then without an event lost or delivered twice.
 */

const operator: Viewer = { role: 'OPERATOR' };
const vendor: Viewer = { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' };
const seconds = (from: number) => Math.floor(from / 1000);

/** A subgraph served on its own, over HTTP and graphql-ws, as a process with SERVE=<name> serves it. */
async function serveDirectly(system: TestSystem, name: string): Promise<Listening & { live(): number; close(): Promise<void> }> {
  const listening = await listenToSubgraph(system, name);
  const server = listening.subgraph;
  const sockets = serveWebSocket(listening.server, subgraphSubscriptions(server));
  return {
    ...listening,
    live: () => server.feed.stats().live,
    close: async () => {
      await sockets.close();
      await listening.close();
      await server.feed.close();
      await server.server.stop();
    },
  };
}

/** Everything a graphql-ws subscription received, as an attacker holding a captured assertion would see it. */
function subscribeDirectly(url: string, query: string, assertion: string) {
  const received = {
    results: [] as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[]; extensions?: Record<string, unknown> }[],
    errors: [] as unknown[],
    completed: false,
  };
  const client: Client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  client.subscribe(
    { query, extensions: { [viewerHeader]: assertion } },
    {
      next: (result) => void received.results.push(result as (typeof received.results)[number]),
      error: (error) => void received.errors.push(error),
      complete: () => void (received.completed = true),
    },
  );
  return { received, close: () => client.dispose() };
}

describe('a subgraph reached directly with a captured viewer assertion', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let learners: Awaited<ReturnType<typeof serveDirectly>>;
  let funding: Awaited<ReturnType<typeof serveDirectly>>;
  let learner = 90_000;

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = await Promise.all([schoolAt(system, '16AH00'), schoolAt(system, '03WU00')]);
    [learners, funding] = await Promise.all([serveDirectly(system, 'learners'), serveDirectly(system, 'funding')]);
  });
  afterAll(async () => {
    await Promise.all([learners?.close(), funding?.close()]);
    await system?.close();
  });

  /** A learner of A enrolls at B: A gets a transfer notice, a transferNoticeIssued event. */
  const transfer = async () => {
    const n = ++learner;
    const enroll = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }';
    for (const [at, startDate] of [
      [a, '2024-08-01'],
      [b, '2026-12-01'],
    ] as const) {
      const response = await system.query(enroll, { variables: { input: enrollmentInput(at, n, { startDate }) }, token: at.token });
      expect(response.errors).toBeUndefined();
    }
    return enrollmentInput(a, n).learner.pgn;
  };

  it('is refused by every subgraph but the one it was signed for, over HTTP and over graphql-ws', async () => {
    const forLearners = await signViewerAssertion(operator, system.config.viewerSecret, 'learners');
    const query = '{ countDates { countDate } }';
    const overHttp = await postGraphQL(funding.url, query, undefined, null, { [viewerHeader]: forLearners });
    expect([overHttp.status, overHttp.errors?.[0]?.extensions?.code, overHttp.errors?.[0]?.message]).toEqual([
      401,
      'UNAUTHENTICATED',
      'The viewer assertion is not valid',
    ]);
    expect(overHttp.data ?? null).toBeNull();

    const overSocket = subscribeDirectly(funding.url, 'subscription { fundingStatusChanged { cursor } }', forLearners);
    try {
      await eventually('the refusal', () => overSocket.received.errors.length > 0 || overSocket.received.results.length > 0, { deadline: 10_000 });
      expect(overSocket.received.results).toEqual([]);
      expect(overSocket.received.errors).toEqual([[{ message: 'The viewer assertion is not valid', extensions: { code: 'UNAUTHENTICATED' } }]]);
    } finally {
      await overSocket.close();
    }
    // Signed for funding, the same viewer is served there.
    const forFunding = await signViewerAssertion(operator, system.config.viewerSecret, 'funding');
    expect((await postGraphQL(funding.url, query, undefined, null, { [viewerHeader]: forFunding })).errors).toBeUndefined();
  });

  it('ends a subscription when the assertion it was opened with expires, and delivers nothing after', async () => {
    const expiresAt = seconds(Date.now()) + 4;
    const captured = await signViewerAssertion(operator, system.config.viewerSecret, 'learners', { expiresAt });
    const attacker = subscribeDirectly(learners.url, 'subscription { transferNoticeIssued { cursor notice { learnerPgn } } }', captured);
    const notices = () => attacker.received.results.filter((result) => result.data);
    try {
      await eventually('the subscription live', () => learners.live() === 1, { deadline: 10_000 });
      const before = await transfer();
      await eventually('the notice issued before the assertion expired', () => notices().length === 1, { deadline: 10_000 });
      expect(notices()).toEqual([{ data: { transferNoticeIssued: { cursor: expect.any(String), notice: { learnerPgn: before } } } }]);

      await eventually('the subscription to end at expiry', () => attacker.received.completed, { deadline: 10_000 });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000);
      expect(attacker.received.results.at(-1)).toEqual({
        errors: [
          { message: expect.stringMatching(/^The viewer assertion this subscription was opened with has expired/), extensions: { code: 'UNAUTHENTICATED' } },
        ],
      });
      expect(learners.live()).toBe(0);
      // Before the notice came where the subscription started (kernel/upstream.ts), for the gateway.
      expect(attacker.received.results[0]).toEqual({ extensions: { startsAfter: expect.any(String) } });
    } finally {
      await attacker.close();
    }
  });
});

/** A funding status change at 16AH00 as the funding subgraph writes one; `n` tells them apart. */
function statusChange(n: number): NewEvent {
  const keys = { enrollmentId: randomUUID(), learnerId: randomUUID(), brin6: '16AH00', countDate: '2027-02-01' };
  return {
    type: 'FundingStatusChanged',
    keys,
    payload: { ...keys, providerCode: '010A823', fundingYear: 2028, phase: 'PROVISIONAL', previous: null, current: { outcome: 'FUNDABLE', reasons: [] }, n },
  };
}

/** The log as parsed lines, from a real logger writing into memory. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

const lifetime = 3;
const query = 'subscription($after: String) { fundingStatusChanged(after: $after) { cursor countDate } }';

/**
 * Subscribes a vendor at 16AH00 and waits past the first assertion's expiry before any event (so that
 * the renewal rests on where the subscription started), then writes `count` events paced across
 * more renewals; resolves with what the follower received and what the stream holds.
 */
async function eventsAcrossRenewals(options: { gatewayUrl: () => string; token: string; writer: Database; live: () => boolean; count: number }) {
  const follower = new Follower<{ cursor: string }>({ url: options.gatewayUrl, token: options.token, query, field: 'fundingStatusChanged' });
  try {
    await eventually('the subscription live', options.live, { deadline: 10_000 });
    const firstExpiry = Date.now() + lifetime * 1000;
    await eventually('the first assertion to be past its expiry', () => Date.now() > firstExpiry, { deadline: 2 * lifetime * 1000 });
    for (let n = 0; n < options.count; n++) {
      await options.writer.db.transaction((tx) => appendEvents(tx, 'funding', [statusChange(n)]));
      await sleep(50);
    }
    let written: string[] = [];
    await eventually(
      'the events to be readable',
      async () =>
        (written = (await readEvents(options.writer.db, 'funding', null, 5000, ['FundingStatusChanged'])).map((event) => event.cursor)).length ===
        options.count,
      { deadline: 30_000 },
    );
    await follower.until(`all ${options.count} events`, () => follower.items.length >= options.count, { deadline: 30_000 });
    return { follower, written };
  } finally {
    await follower.stop();
  }
}

describe(`the gateway renews its upstreams' assertions (VIEWER_ASSERTION_LIFETIME=${lifetime}s)`, () => {
  let system: TestSystem;
  let log: ReturnType<typeof capturedLog>;
  beforeAll(async () => {
    log = capturedLog();
    system = await startTestSystem({ VIEWER_ASSERTION_LIFETIME: `${lifetime}s`, RATE_LIMIT: '0' }, { logger: log.logger });
  });
  afterAll(() => system?.close());

  it('delivers every event once and in order while events flow across renewals, without losing the upstream', async () => {
    const { follower, written } = await eventsAcrossRenewals({
      gatewayUrl: () => system.url,
      token: await system.token(vendor),
      writer: system.system.database!,
      live: () => system.system.stats().feeds.funding?.live === 1,
      count: 80,
    });
    expect(follower.items.map((item) => item.cursor)).toEqual(written);
    expect([follower.errors, follower.closes]).toEqual([[], []]);
    // The subgraph ends a subscription whose assertion expired: had the gateway not renewed in time,
    // it would have lost the upstream and resumed it (gateway/hub.ts logs that).
    expect(log.lines.filter((line) => /lost/.test(String(line.msg)))).toEqual([]);
  }, 60_000);
});

describe.runIf(Boolean(process.env.DATABASE_URL))('over graphql-ws, with the funding subgraph in a process of its own, on PostgreSQL', () => {
  it('delivers every event once and in order across renewals (VIEWER_ASSERTION_LIFETIME=3s)', async () => {
    const fresh = await freshDatabaseUrl();
    const base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0', RATE_LIMIT: '0', VIEWER_ASSERTION_LIFETIME: `${lifetime}s` };
    const running: RunningSystem[] = [];
    const log = capturedLog();
    const writer = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
    try {
      for (const name of ['institutions', 'learners', 'funding', 'absence'])
        running.push(await startSystem(readConfig({ ...base, SERVE: name }), { logger: silentLogger }));
      const urls = running.map((server) => `${server.serve}=${server.url}`).join(',');
      const gateway = await startSystem(readConfig({ ...base, SERVE: 'gateway', SUBGRAPH_URLS: urls }), { logger: log.logger });
      running.push(gateway);
      const fundingProcess = running.find((server) => server.serve === 'funding')!;
      const { follower, written } = await eventsAcrossRenewals({
        gatewayUrl: () => gateway.url,
        token: await issueToken(vendor, readConfig(base).tokenSecret),
        writer,
        live: () => fundingProcess.stats().feeds.funding?.live === 1,
        count: 80,
      });
      expect(follower.items.map((item) => item.cursor)).toEqual(written);
      expect([follower.errors, follower.closes]).toEqual([[], []]);
      expect(log.lines.filter((line) => /lost/.test(String(line.msg)))).toEqual([]);
    } finally {
      for (const server of running.reverse()) await server.close();
      await writer.close();
      await fresh.drop();
    }
  }, 120_000);

  it("passes on a subgraph's refusal of the gateway's assertion at opening, rather than taking it for an expiry to resume from", async () => {
    const fresh = await freshDatabaseUrl();
    const base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0', RATE_LIMIT: '0' };
    const running: RunningSystem[] = [];
    const log = capturedLog();
    try {
      // Funding was given another VIEWER_SECRET than the gateway: it refuses every assertion.
      for (const name of ['institutions', 'learners', 'funding', 'absence']) {
        const secret = name === 'funding' ? { VIEWER_SECRET: 'a viewer secret that is not the gateway one at all' } : {};
        running.push(await startSystem(readConfig({ ...base, SERVE: name, ...secret }), { logger: silentLogger }));
      }
      const urls = running.map((server) => `${server.serve}=${server.url}`).join(',');
      const gateway = await startSystem(readConfig({ ...base, SERVE: 'gateway', SUBGRAPH_URLS: urls }), { logger: log.logger });
      running.push(gateway);
      const follower = new Follower<{ cursor: string }>({
        url: () => gateway.url,
        token: await issueToken(vendor, readConfig(base).tokenSecret),
        query,
        field: 'fundingStatusChanged',
      });
      try {
        await follower.until('the refusal', () => follower.errors.length > 0, { deadline: 10_000 });
        expect(follower.errors).toEqual([{ message: 'The viewer assertion is not valid', extensions: { code: 'UNAUTHENTICATED' } }]);
        expect(log.lines.filter((line) => /lost/.test(String(line.msg)))).toEqual([]);
      } finally {
        await follower.stop();
      }
    } finally {
      for (const server of running.reverse()) await server.close();
      await fresh.drop();
    }
  }, 120_000);
});
