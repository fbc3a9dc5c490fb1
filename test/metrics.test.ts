import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents } from '../kernel/events.ts';
import { enrollmentInput, eventually, Follower, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/** The value of the sample `name` whose labels include `labels`; 0 when there is none yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

describe('/metrics', () => {
  let system: TestSystem;
  let school: School;
  const scrape = async () => {
    const response = await fetch(new URL('/metrics', system.url));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT: '0' });
    school = await schoolAt(system, '16AH00');
  });
  afterAll(() => system?.close());

  it("reports every consumer's lag behind its stream's head: none, once it has caught up", async () => {
    // Another case's enrollment may still be on its way to a consumer: wait until all have caught up.
    await eventually('every consumer caught up', async () => {
      const text = await scrape();
      for (const [consumer, stream] of [
        ['learners.rio', 'institutions'],
        ['funding.rio', 'institutions'],
        ['funding.enrollments', 'learners'],
        ['absence.learners', 'learners'],
        ['learners.mandates', 'institutions'],
      ]) {
        expect(text).toContain(`register_consumer_lag_events{consumer="${consumer}",stream="${stream}"} 0`);
        expect(text).toContain(`register_consumer_lag_seconds{consumer="${consumer}",stream="${stream}"} 0`);
      }
    });
  });

  it('counts requests by part and type, errors by code, and their latency', async () => {
    const before = await scrape();
    const branch = '{ branch(brin6: "16AH00") { name } }';
    await system.query(branch);
    await system.query(branch);
    await system.query('{ branch(brin6: "16AH00") { nameOfNothing } }');
    await system.query(branch, { token: null });
    // Refused by the learners subgraph: counted there and, passed on, at the gateway.
    expect((await system.query('{ auditLog { totalCount } }', { token: school.token })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const after = await scrape();
    const grew = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);

    expect(grew('register_requests_total', { service: 'gateway', type: 'query' })).toBe(3);
    expect(grew('register_errors_total', { service: 'gateway', code: 'FORBIDDEN' })).toBe(1);
    expect(grew('register_errors_total', { service: 'learners', code: 'FORBIDDEN' })).toBe(1);
    expect(grew('register_requests_total', { service: 'institutions', type: 'query' })).toBe(2);
    // The invalid one never resolves to an operation; the refused one is refused before it is parsed.
    expect(grew('register_requests_total', { service: 'gateway', type: 'unknown' })).toBe(2);
    expect(grew('register_errors_total', { service: 'gateway', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(grew('register_errors_total', { service: 'gateway', code: 'UNAUTHENTICATED' })).toBe(1);
    expect(grew('register_request_duration_seconds_count', { service: 'gateway', type: 'query' })).toBe(3);
    expect(grew('register_request_duration_seconds_bucket', { service: 'gateway', type: 'query', le: '+Inf' })).toBe(3);
  });

  it('reports open subscriptions and counts the events delivered to them', async () => {
    const follower = new Follower<{ cursor: string }>({
      url: () => system.url,
      token: school.token,
      query: 'subscription { fundingStatusChanged { cursor } }',
      field: 'fundingStatusChanged',
    });
    try {
      await eventually('a live subscriber', () => system.system.stats().gateway?.subscribers === 1 && system.system.stats().feeds.funding?.live === 1, {
        deadline: 10_000,
      });
      const before = await scrape();
      expect(sample(before, 'register_subscriptions_open', { service: 'gateway' })).toBe(1);
      expect(sample(before, 'register_subscriptions_open', { service: 'funding' })).toBe(1);
      expect(sample(before, 'register_subscription_upstreams_open')).toBe(1);

      const enrolled = await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
        variables: { input: enrollmentInput(school, 1) },
        token: school.token,
      });
      expect(enrolled.errors).toBeUndefined();
      await follower.until('an event', () => follower.items.length > 0);
      // The counters grow as events go out, the follower's list as they arrive: they meet once the
      // last event written with this enrollment has arrived.
      const delivered = (text: string, service: string) =>
        sample(text, 'register_events_delivered_total', { service, stream: 'funding' }) -
        sample(before, 'register_events_delivered_total', { service, stream: 'funding' });
      await eventually(
        'the delivered counts to match what the follower received',
        async () => {
          const text = await scrape();
          return delivered(text, 'gateway') === follower.items.length && delivered(text, 'funding') === follower.items.length;
        },
        { deadline: 10_000 },
      );
    } finally {
      await follower.stop();
    }
    await eventually('the subscriber gone', () => system.system.stats().gateway?.subscribers === 0, { deadline: 10_000 });
    expect(sample(await scrape(), 'register_subscriptions_open', { service: 'gateway' })).toBe(0);
  });

  it.runIf(Boolean(process.env.DATABASE_URL))(
    'reports the events a consumer cannot take yet as its lag, while an older transaction holds them back',
    async () => {
      // A transaction holding a transaction id keeps every later one from being read (kernel/events.ts).
      const blocker = new pg.Client({ connectionString: system.config.databaseUrl });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_current_xact_id()');
        await system.system.database!.db.transaction((tx) =>
          appendEvents(
            tx,
            'institutions',
            [1, 2, 3].map((n) => ({ type: 'LagProbed', keys: {}, payload: { n } })),
          ),
        );
        const text = await scrape();
        expect(sample(text, 'register_consumer_lag_events', { consumer: 'funding.rio', stream: 'institutions' })).toBe(3);
        expect(sample(text, 'register_consumer_lag_events', { consumer: 'learners.rio', stream: 'institutions' })).toBe(3);
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
      }
      await eventually(
        'the consumer caught up',
        async () => sample(await scrape(), 'register_consumer_lag_events', { consumer: 'funding.rio', stream: 'institutions' }) === 0,
        { deadline: 10_000 },
      );
    },
  );
});
