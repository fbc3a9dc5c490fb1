import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCursors } from '../kernel/events.ts';
import { projectRoot, readConfig } from '../kernel/config.ts';
import { today } from '../kernel/scalars.ts';
import { issueToken, type Viewer } from '../kernel/viewer.ts';
import { Cluster, haproxyInstall, haproxyInstalled, type Member } from '../system/cluster.ts';
import { bsnFor, enrollmentInput, eventually, Follower, freshDatabaseUrl, postGraphQL, reachableRedisUrl, schoolAt, type School } from './harness.ts';

/*
 * The register as a cluster (system/cluster.ts, npm run cluster): two replicas of the gateway and of
 * each subgraph behind HAProxy, on PostgreSQL and Redis, as processes of their own. Replicas die by
 * SIGKILL, as a crash or an OOM kill ends them: nothing of theirs runs after it.
 */

const config = readConfig();
const redisUrl = config.databaseUrl && haproxyInstalled() ? await reachableRedisUrl() : undefined;
const skipped = !config.databaseUrl
  ? 'no DATABASE_URL: the replicas share a PostgreSQL database'
  : !haproxyInstalled()
    ? `HAProxy is not installed: ${haproxyInstall}`
    : !redisUrl
      ? 'no Redis answers at REDIS_URL or 127.0.0.1:6379'
      : undefined;

/** Requests per second per viewer in this cluster: low, so that the shared bucket's bound shows (the rate-limit case). */
const rate = 20;
const vendor = '00000001800866472000';

describe.skipIf(skipped !== undefined)(`the register as a cluster${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  let cluster: Cluster;
  let fresh: Awaited<ReturnType<typeof freshDatabaseUrl>>;
  let folder: string;
  const said: string[] = [];
  const token = (viewer: Viewer) => issueToken(viewer, config.tokenSecret);
  const query = async <Data = Record<string, any>>(
    text: string,
    variables?: Record<string, unknown>,
    viewer: Viewer = { role: 'OPERATOR' },
    url = cluster.url,
  ) => postGraphQL<Data>(url, text, variables, await token(viewer));

  beforeAll(async () => {
    fresh = await freshDatabaseUrl();
    folder = await mkdtemp(path.join(tmpdir(), 'register-graph-cluster-'));
    cluster = await Cluster.start({
      databaseUrl: fresh.url!,
      redisUrl: redisUrl!,
      port: 0,
      portsFrom: 0,
      folder,
      // An event that cannot be completed is held 5 s, not a minute, before its subscribers are let go (4503).
      env: { RATE_LIMIT: String(rate), EVENT_HOLD_SECONDS: '5' },
      say: (message) => void said.push(message),
    });
  }, 400_000);

  afterAll(async () => {
    await cluster?.stop();
    await fresh?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  /** SIGKILLs the replica and waits until the cluster has reported its death. */
  const killed = async (member: Member) => {
    process.kill(member.pid!, 'SIGKILL');
    await eventually(`the death of ${member.name} to be reported`, () =>
      said.some((line) => line.startsWith(`${member.name} (pid ${member.pid}) died: SIGKILL`)),
    );
  };

  /** One number from a replica's /metrics, by its metric name and labels as written there. */
  const metric = async (member: Member, series: string) => {
    const text = await (await fetch(`http://127.0.0.1:${member.port}/metrics`)).text();
    const line = text.split('\n').find((each) => each.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };

  it("runs the README's journeys through HAProxy: enroll.sh (an enrollment and its funding status), transfer.sh (the old school's notice) and rio.sh (RIO lookups)", async () => {
    const environment = {
      URL: cluster.url,
      SCHOOL_TOKEN: await token({ role: 'VENDOR', vendorOin: vendor, school: '16AH00' }),
      OLD_SCHOOL_TOKEN: await token({ role: 'VENDOR', vendorOin: vendor, school: '16AH00' }),
      NEW_SCHOOL_TOKEN: await token({ role: 'VENDOR', vendorOin: vendor, school: '03WU00' }),
    };
    const [enrolled] = await runExample('enroll.sh', environment);
    expect(enrolled!.errors).toBeUndefined();
    expect(enrolled!.data!.enrollLearner.enrollment).toMatchObject({
      branch: { brin6: '16AH00' },
      fundingStatus: { phase: 'PROVISIONAL', outcome: 'FUNDABLE' },
    });
    const [, atNew, notices, handled] = await runExample('transfer.sh', environment);
    expect(atNew!.data!.enrollLearner.transferNoticeCount).toBe(1);
    // The other cases send this school notices too: this learner's is one.
    const notice = notices!.data!.transferNotices.edges.filter((edge: { node: { learnerPgn: string } }) => edge.node.learnerPgn === '345678011');
    expect(notice).toHaveLength(1);
    expect(notice[0].node).toMatchObject({ proposedEndDate: '2026-11-30' });
    expect(handled!.data!.acknowledgeTransfer.notice.status).toBe('HANDLED');
    const lookups = await runExample('rio.sh', environment);
    for (const answer of lookups) expect(answer.errors).toBeUndefined();
    expect(lookups[0]!.data!.branch).toMatchObject({ name: "Openbare Basisschool 't Eenspan" });
  }, 120_000);

  it('keeps a subscriber whose gateway replica is killed: it resumes at the other by its cursor, and misses and repeats no notice', async () => {
    const [oldSchool, newSchool] = [await schoolAt(clusterAsSystem(), '16AH00'), await schoolAt(clusterAsSystem(), '03WU00')];
    const follower = new Follower<{ cursor: string; notice: { id: string; learnerPgn: string } }>({
      url: () => cluster.url,
      token: oldSchool.token,
      query: 'subscription($after: String) { transferNoticeIssued(after: $after) { cursor notice { id learnerPgn } } }',
      field: 'transferNoticeIssued',
      resume: true,
    });
    try {
      const gateways = cluster.replicasOf('gateway');
      const open = (member: Member) => metric(member, 'register_subscriptions_open{service="gateway"}');
      let serving: Member | undefined;
      await eventually('the subscription to be open at a gateway replica', async () => {
        for (const gateway of gateways) if ((await open(gateway)) === 1) serving = gateway;
        return serving !== undefined;
      });
      const pgns: string[] = [];
      const transfer = async (n: number) => {
        const pgn = bsnFor(7000 + n);
        pgns.push(pgn);
        await enrolled(oldSchool, n, {}, { pgn });
        await enrolled(newSchool, n, { startDate: '2026-12-01', group: 3 }, { pgn, postcode: '7881 AB' });
      };
      for (const n of [1, 2, 3]) await transfer(n);
      await follower.until('the first three notices', () => follower.items.length >= 3, { deadline: 30_000 });
      await killed(serving!);
      // Written while the subscriber reconnects: the register keeps them, and the subscriber asks after its last cursor.
      for (const n of [4, 5, 6]) await transfer(n);
      await follower.until('all six notices', () => follower.items.length >= 6, { deadline: 60_000 });
      expect(follower.closes.length).toBeGreaterThanOrEqual(1);
      expect(follower.items.map((item) => item.notice.learnerPgn)).toEqual(pgns);
      expect(new Set(follower.items.map((item) => item.notice.id)).size).toBe(6);
      for (const [i, item] of follower.items.entries()) if (i > 0) expect(compareCursors(follower.items[i - 1]!.cursor, item.cursor)).toBeLessThan(0);
      // And no seventh: nothing was delivered twice while the subscriber settled at the other replica.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(follower.items).toHaveLength(6);
      await cluster.restart(serving!.name);
    } finally {
      await follower.stop();
    }
  }, 240_000);

  it('moves a consumer to the other replica when the one running it is killed, and the consumer goes on taking in events there; the subgraph still answers', async () => {
    const lease = 'learners/learners.rio/institutions';
    const holder = async () => {
      const states = await Promise.all(cluster.replicasOf('learners').map(async (member) => ({ member, readyz: await readyz(member) })));
      const active = states.filter((state) => state.readyz.leases?.[lease] === 'active');
      return active.length === 1 ? active[0]!.member : undefined;
    };
    let before: Member | undefined;
    await eventually(`one learners replica to run ${lease}`, async () => (before = await holder()) !== undefined);
    await killed(before!);
    // The learners subgraph still answers, through HAProxy, at the replica left.
    await enrolled(await schoolAt(clusterAsSystem(), '16AH00'), 8000, {}, {});
    let after: Member | undefined;
    await eventually(`the other learners replica to take ${lease} over`, async () => (after = await holder()) !== undefined, { deadline: 30_000 });
    expect(after!.name).not.toBe(before!.name);
    // A new event in the institutions stream (a mandate granted), which only the consumer's loop takes in at learners: nothing reads it in-line.
    const vendorOin = '00000001999999990000';
    const registered = await query('mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { oin } }', {
      input: { documentId: 'cluster-vendor', oin: vendorOin, name: 'Cluster Test B.V.' },
    });
    expect(registered.errors).toBeUndefined();
    const granted = await query(
      'mutation($input: GrantMandateInput!) { grantMandate(input: $input) { id } }',
      { input: { documentId: 'cluster-mandate', brin6: '06MY00', service: 'RIO', vendorOin, startDate: today() } },
      { role: 'BOARD', board: '041B624' },
    );
    expect(granted.errors).toBeUndefined();
    await eventually(
      'learners.rio to take in the new event at the surviving replica',
      async () => {
        const { events } = await lagOf(fresh.url!, 'learners', 'learners.rio', 'institutions');
        return events === 0;
      },
      { deadline: 30_000 },
    );
    expect((await readyz(after!)).leases?.[lease]).toBe('active');
    await cluster.restart(before!.name);
    // Started again, it stands by: the lease stays where it went.
    expect((await readyz(cluster.replicasOf('learners').find((member) => member.name === before!.name)!)).leases?.[lease]).toBe('standby');
  }, 240_000);

  it('shares the rate limit: requests of one viewer spread over both gateway replicas take from one bucket', async () => {
    const burst = 2 * rate;
    const gateways = cluster.replicasOf('gateway');
    const viewer = { role: 'MUNICIPALITY', municipality: '0363' } as const;
    const bearer = await token(viewer);
    const statuses: { gateway: string; status: number }[] = [];
    const began = performance.now();
    // Three bursts' worth, alternately at each replica's own port (past HAProxy), four at a time.
    for (let round = 0; round < (3 * burst) / 4; round++) {
      await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const gateway = gateways[i % 2]!;
          const answer = await postGraphQL(`http://127.0.0.1:${gateway.port}/graphql`, '{ branch(brin6: "16AH00") { name } }', undefined, bearer);
          statuses.push({ gateway: gateway.name, status: answer.errors?.[0]?.extensions?.code === 'RATE_LIMITED' ? 429 : answer.status });
        }),
      );
    }
    const seconds = (performance.now() - began) / 1000;
    const allowed = statuses.filter((each) => each.status !== 429).length;
    // One bucket allows its burst and what refills meanwhile; a bucket per replica would allow twice the burst.
    expect(allowed).toBeLessThanOrEqual(burst + Math.ceil(rate * seconds) + 1);
    for (const gateway of gateways) expect(statuses.filter((each) => each.gateway === gateway.name && each.status === 429).length).toBeGreaterThan(0);
  }, 60_000);

  /** The cluster as the harness's helpers take a system: queries through HAProxy as the operator. */
  const clusterAsSystem = () => ({
    query: <Data>(text: string, options: { variables?: Record<string, unknown> } = {}) => query<Data>(text, options.variables),
    token,
  });

  const enrolled = async (at: School, n: number, overrides: Record<string, unknown>, learner: Record<string, unknown>) => {
    const answer = await postGraphQL<{ enrollLearner: { enrollment: { id: string } } }>(
      cluster.url,
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      { input: enrollmentInput(at, n, overrides, learner) },
      at.token,
    );
    expect(answer.errors).toBeUndefined();
  };
});

/** A replica's /readyz; a replica that does not answer (killed) holds nothing. */
async function readyz(member: Member): Promise<{ status?: string; leases?: Record<string, string> }> {
  return fetch(`http://127.0.0.1:${member.port}/readyz`).then(
    (response) => response.json() as Promise<{ status: string; leases?: Record<string, string> }>,
    () => ({}),
  );
}

/** The events in `stream` after the consumer's cursor, read in the database itself. */
async function lagOf(url: string, schema: string, consumer: string, stream: string): Promise<{ events: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ cursor: string }>(`SELECT cursor FROM ${schema}.consumer_cursor WHERE consumer = $1 AND stream = $2`, [
      consumer,
      stream,
    ]);
    const [txid, position] = Buffer.from(rows[0]!.cursor, 'base64url').toString('utf8').split('-');
    const counted = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${stream}.outbox WHERE (txid, position) > ($1::xid8, $2::bigint)`, [
      txid,
      position,
    ]);
    return { events: counted.rows[0]!.n };
  } finally {
    await client.end();
  }
}

/** Runs one docs/clients example with bash and returns its answers, one per line of JSON it printed. */
async function runExample(script: string, environment: Record<string, string>): Promise<{ data?: Record<string, any> | null; errors?: unknown[] }[]> {
  const child = spawn('bash', [path.join(projectRoot, 'docs', 'clients', script)], { cwd: projectRoot, env: { ...process.env, ...environment } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => JSON.parse(line));
}
