/**
 * Subscription event-to-delivery latency and memory per idle subscriber, on PostgreSQL (issue:
 * real-time funding notifications). The server (the embedded system) runs in a child process of its
 * own, on a fresh database that the benchmark creates on the server DATABASE_URL names and drops at
 * the end, so that its memory is measured apart from the clients'. For each mode and each of
 * `--counts` N, N vendor clients of `--school` subscribe to fundingStatusChanged:
 *   shared:   without `after`: the gateway holds one upstream subscription for all N (the usual case);
 *   resumed:  `after` the same cursor (the last one delivered so far): they share one upstream too,
 *             standing at that cursor (gateway/hub.ts);
 *   distinct: each sends a document of its own (an alias of its own): they share one upstream, which
 *             selects the union (gateway/share.ts), and every event is completed N times, once per
 *             document (the worst case for the gateway);
 *   schools:  the national case: N schools (the first N branches, each given a mandate of the demo
 *             vendor), each following its own events on a connection of its own, so each has an
 *             upstream of its own, and each event reaches one subscriber.
 * Then `--events` enrollments are made one at a time; each makes funding emit one event, and the next
 * is made once every subscriber holds it (or after 5 s), so that each event is one fan-out. In schools
 * mode the enrollments go to the schools in turn. Latency
 * is the client's receipt time minus the event's occurredAt (the time of funding's transaction; same
 * machine, same clock). Memory per idle subscriber is the growth of the server's heap and external
 * memory (socket buffers), after two full GCs, from no subscribers to the largest N idle ones, divided
 * by N; RSS is shown too, but it keeps pages that seeding and earlier runs freed, so it can even shrink. `--per-connection`
 * subscriptions share one WebSocket connection (25: the server's default limit). `--modes` picks the
 * modes; `--profile` writes a CPU profile of the server to bench/results/profiles. Not a test: it
 * asserts nothing. Prints a table and writes the figures to bench/results/subscriptions.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:subscriptions -- --counts 1,100,5000 --events 50
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { SubscriptionStats } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { rowsOf } from '../kernel/db.ts';
import { catchUpWithCommitted } from '../kernel/events.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { demoVendor, seedDemoMandates } from '../subgraphs/institutions/osr.ts';
import { enrollmentInput, postGraphQL, schoolAt, startTestSystem, type School, type TestSystem } from '../test/harness.ts';
import { resultsFolder, writeResults } from './results.ts';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '1,100,5000' },
    events: { type: 'string', default: '50' },
    modes: { type: 'string', default: 'shared,resumed,distinct,schools' },
    'per-connection': { type: 'string', default: '25' },
    // Subscriptions being opened at once: 5,000 at once would measure a thundering herd instead.
    concurrency: { type: 'string', default: '200' },
    school: { type: 'string', default: '16AH00' },
    // Writes a CPU profile of the server to bench/results/profiles.
    profile: { type: 'boolean', default: false },
    // Set by the benchmark on its child: run the server.
    serve: { type: 'boolean', default: false },
  },
});

type Mode = 'shared' | 'resumed' | 'distinct' | 'schools';
const allModes: readonly Mode[] = ['shared', 'resumed', 'distinct', 'schools'];
const counts = values.counts.split(',').map(Number);
const events = Number(values.events);
const modes = values.modes.split(',') as Mode[];
const perConnection = Number(values['per-connection']);
const concurrency = Number(values.concurrency);
const targets = { p99Ms: 250, atSubscribers: 5000, idleKb: 30 };
// Each event, once every subscriber holds the one before: one fan-out at a time.
const roundTimeoutMs = 5000;

interface Measured {
  stats: SubscriptionStats;
  memory: NodeJS.MemoryUsage;
}
type ToServer = { kind: 'measure'; gc: boolean } | { kind: 'stop' };
type FromServer = { kind: 'ready'; url: string; school: School; schools: School[] } | ({ kind: 'measured' } & Measured);

interface Row {
  mode: Mode;
  subscribers: number;
  connections: number;
  connectSeconds: number;
  events: number;
  deliveries: number;
  missing: number;
  problems: string[];
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Per event, the latency of its first delivery (the pipeline) and its last minus its first (the fan-out). */
  firstP50: number;
  firstMax: number;
  /** Per event in order, the latency of its first delivery: where a slow one came in the run. */
  firstByEvent: number[];
  spreadP50: number;
  spreadMax: number;
  heapKbPerSubscriber?: number;
  /** Memory outside the JavaScript heap: socket buffers and the like. */
  externalKbPerSubscriber?: number;
  rssKbPerSubscriber?: number;
  /** The heap V8 holds from the system, used or not. */
  heapTotalKbPerSubscriber?: number;
  released: boolean;
  serverLogLines: number;
}

const benchStarted = performance.now();
const say = (message: string) => console.log(`[${((performance.now() - benchStarted) / 1000).toFixed(2).padStart(7)} s] ${message}`);

// --- the server, in the child process ---------------------------------------------------------

async function serve(): Promise<void> {
  // Ctrl-C reaches this process too; it stops, dropping its database, when the bench's channel closes.
  process.on('SIGINT', () => undefined);
  // No rate limit and room for every subscriber: the bench is one viewer with thousands of them.
  const system = await startTestSystem({ RATE_LIMIT: '0', SUBSCRIPTIONS_PER_VIEWER: '1000000', SUBSCRIPTIONS_PER_CONNECTION: String(perConnection) });
  const school = await schoolAt(system, values.school);
  const schools = modes.includes('schools') ? await mandatedSchools(system, Math.max(...counts)) : [];
  const send = (message: FromServer) => process.send!(message);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= system
      .close()
      .catch((error: unknown) => console.error(`closing: ${(error as Error).message}`))
      .finally(() => process.exit(0)));
  process.on('disconnect', () => void stop());
  if (!process.connected) return void stop();
  process.on('message', (message: ToServer) => {
    if (message.kind === 'stop') return void stop();
    if (message.gc) {
      // Twice: objects with finalizers or weak references are freed by the second collection.
      globalThis.gc!();
      globalThis.gc!();
    }
    send({ kind: 'measured', stats: system.system.stats(), memory: process.memoryUsage() });
  });
  send({ kind: 'ready', url: system.url, school, schools });
}

/**
 * The first `n` branches that offer a programme, each mandating the demo vendor, with a token to act
 * for each; returned once every register has taken the mandates in.
 */
async function mandatedSchools(system: TestSystem, n: number): Promise<School[]> {
  const { db } = system.system.database!;
  const places = rowsOf<{ brin6: string; provider_code: string; location_code: string; offered_programme_id: string }>(
    await db.execute(sql`SELECT b.brin6, b.provider_code, b.location_code, min(op.id::text) AS offered_programme_id
      FROM institutions.branch b JOIN institutions.offered_programme op ON op.provider_code = b.provider_code AND op.location_code = b.location_code
      GROUP BY 1, 2, 3 ORDER BY 1 LIMIT ${n}`),
  );
  if (places.length < n) throw new Error(`--counts asks for ${n} schools; the register has ${places.length} that offer a programme`);
  await db.transaction((tx) =>
    seedDemoMandates(
      tx,
      places.map((place) => place.brin6),
    ),
  );
  for (const subgraph of subgraphs) {
    for (const consumer of (subgraph.consumers ?? []).filter((candidate) => candidate.stream === 'institutions')) {
      if (!(await catchUpWithCommitted(db, { ...consumer, cursorSchema: subgraph.name }, 120_000)))
        throw new Error(`${subgraph.name} did not take in the mandates within 120 s`);
    }
  }
  return Promise.all(
    places.map(async (place) => ({
      brin6: place.brin6,
      providerCode: place.provider_code,
      locationCode: place.location_code,
      offeredProgrammeId: place.offered_programme_id,
      token: await system.token({ role: 'VENDOR', vendorOin: demoVendor.oin, school: place.brin6 }),
    })),
  );
}

// --- the server, seen from the bench ----------------------------------------------------------

interface Server {
  url: string;
  school: School;
  /** In schools mode, the schools that follow their own events. */
  schools: School[];
  /** Lines the server printed: it prints nothing when all is well. */
  logged: string[];
  ask(gc?: boolean): Promise<Measured>;
  stop(): Promise<void>;
}

/** The server for one mode: in schools mode it mandates the schools the largest count needs. */
async function startServer(mode: Mode): Promise<Server> {
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resultsFolder}profiles`] : [];
  const options = ['--school', values.school, '--per-connection', String(perConnection), '--modes', mode, '--counts', values.counts];
  const child = fork(fileURLToPath(import.meta.url), ['--serve', ...options], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...profile],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logged: string[] = [];
  for (const output of [child.stdout!, child.stderr!]) {
    createInterface({ input: output }).on('line', (line) => {
      logged.push(line);
      console.log(`  server: ${line}`);
    });
  }
  const ready = await new Promise<FromServer>((resolve, reject) => {
    child.once('message', (message) => resolve(message as FromServer));
    child.once('exit', (code) => reject(new Error(`the server exited (code ${code}) before it was ready`)));
  });
  if (ready.kind !== 'ready') throw new Error(`the server said ${ready.kind} before it was ready`);
  return {
    url: ready.url,
    school: ready.school,
    schools: ready.schools,
    logged,
    ask: (gc = false) => ask(child, { kind: 'measure', gc }),
    stop: () => stopServer(child),
  };
}

/** One request at a time: every caller awaits its answer before it asks again. */
function ask(child: ChildProcess, request: ToServer): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`the server exited (code ${code})`));
    child.once('exit', exited);
    child.once('message', (message) => {
      child.off('exit', exited);
      resolve(message as Measured);
    });
    child.send(request);
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ kind: 'stop' } satisfies ToServer);
  await exited;
}

const liveOf = (stats: SubscriptionStats) => Object.values(stats.feeds).reduce((sum, feed) => sum + feed.live, 0);

/** Polls the server's stats until `check` holds. */
async function waitFor(server: Server, check: (stats: SubscriptionStats) => boolean, what: string, timeoutMs = 60_000): Promise<SubscriptionStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stats } = await server.ask();
    if (check(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(stats)}`);
    await sleep(20);
  }
}

/** `subscribers` at the gateway, each (schools) or all together reading live at the subgraph. */
function untilLive(server: Server, mode: Mode, subscribers: number): Promise<SubscriptionStats> {
  const upstreams = mode === 'schools' || subscribers === 0 ? subscribers : 1;
  return waitFor(
    server,
    (stats) => stats.gateway?.subscribers === subscribers && stats.gateway.upstreams === upstreams && liveOf(stats) === upstreams,
    `${subscribers} subscribers and ${upstreams} live upstreams`,
  );
}

const released = (stats: SubscriptionStats) =>
  stats.gateway?.subscribers === 0 && stats.gateway.upstreams === 0 && Object.values(stats.feeds).every((feed) => feed.subscriptions === 0 && feed.tails === 0);

// --- the subscribers, in the bench process ----------------------------------------------------

/** The subscription of subscriber `index`: in distinct mode with an alias of its own. */
const subscriptionOf = (mode: Mode, index: number) =>
  `subscription($after: String) { fundingStatusChanged(after: $after) { cursor occurredAt countDate ${mode === 'distinct' ? `s${index}: fundingYear` : ''} } }`;
type Change = { cursor: string; occurredAt: string; countDate: string };

/** Every (subscriber, event) latency, and how many events each subscriber holds. */
class Deliveries {
  readonly latencies: number[] = [];
  readonly problems: string[] = [];
  lastCursor: string | null = null;
  /** Set before the clients are disposed: their closing is no problem. */
  closing = false;
  private readonly received: Uint32Array;
  private readonly expected: Uint32Array;
  private behind = 0;
  private caughtUp: (() => void) | undefined;

  constructor(size: number) {
    this.received = new Uint32Array(size);
    this.expected = new Uint32Array(size);
  }

  record(index: number, change: Change): void {
    this.latencies.push(Date.now() - Date.parse(change.occurredAt));
    this.lastCursor = change.cursor;
    const count = (this.received[index] ?? 0) + 1;
    this.received[index] = count;
    if (count === this.expected[index] && --this.behind === 0) this.caughtUp?.();
  }

  problem(description: string): void {
    if (!this.closing) this.problems.push(description);
  }

  /** Resolves once every subscriber holds as many events as `expected` says, or after `timeoutMs`. */
  async until(expected: (index: number) => number, timeoutMs: number): Promise<void> {
    for (let index = 0; index < this.expected.length; index++) this.expected[index] = expected(index);
    await this.wait(timeoutMs);
  }

  /** Resolves once every subscriber holds what the last `until` expected, or after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<void> {
    this.behind = this.received.filter((count, index) => count < this.expected[index]!).length;
    if (this.behind === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.caughtUp = () => (clearTimeout(timer), resolve());
    });
    this.caughtUp = undefined;
  }

  /** Events the subscribers were expected to hold (at the last `until`) but do not. */
  missing(): number {
    return this.received.reduce((sum, count, index) => sum + Math.max(0, this.expected[index]! - count), 0);
  }
}

function describeError(error: unknown): string {
  if (Array.isArray(error)) return error.map((item: { message: string }) => item.message).join('; ');
  if (error instanceof Error) return error.message;
  const { code, reason } = error as { code?: number; reason?: string };
  return `closed ${code}: ${reason}`;
}

/** One connection carrying the subscriptions of subscribers `indices`. */
function openClient(server: Server, mode: Mode, indices: number[], deliveries: Deliveries, after: string | null): Client {
  const school = mode === 'schools' ? server.schools[indices[0]!]! : server.school;
  const client = createClient({
    url: server.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${school.token}` },
    retryAttempts: 0,
  });
  for (const index of indices) {
    client.subscribe<{ fundingStatusChanged: Change }>(
      { query: subscriptionOf(mode, index), variables: { after } },
      {
        next: (result) => (result.data ? deliveries.record(index, result.data.fundingStatusChanged) : deliveries.problem(JSON.stringify(result.errors))),
        error: (error) => deliveries.problem(describeError(error)),
        complete: () => deliveries.problem(`subscriber ${index} completed`),
      },
    );
  }
  return client;
}

/** Opens `n` subscriptions, `--concurrency` at a time, each batch live before the next is opened. */
async function subscribeAll(server: Server, mode: Mode, n: number, deliveries: Deliveries, after: string | null): Promise<Client[]> {
  const clients: Client[] = [];
  // A connection has one viewer: each school connects on its own.
  const per = mode === 'schools' ? 1 : perConnection;
  // Whole connections per batch, so that every connection carries `per` subscriptions.
  const batch = Math.max(1, Math.floor(concurrency / per)) * per;
  for (let first = 0; first < n; first += batch) {
    const end = Math.min(n, first + batch);
    for (let from = first; from < end; from += per) {
      const indices = Array.from({ length: Math.min(end, from + per) - from }, (_, i) => from + i);
      clients.push(openClient(server, mode, indices, deliveries, after));
    }
    await untilLive(server, mode, end);
  }
  return clients;
}

/** Disconnects every client; true once the server holds no subscriber, upstream, reader or tail. */
async function release(server: Server, clients: Client[], deliveries: Deliveries): Promise<boolean> {
  deliveries.closing = true;
  await Promise.all(clients.map((client) => client.dispose()));
  return waitFor(server, released, 'no subscriptions', 30_000).then(
    () => true,
    (error: Error) => (say(error.message), false),
  );
}

// --- events ------------------------------------------------------------------------------------

const enrollMutation = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }';
// Learners no run has enrolled yet: each enrollment is new, and so makes funding emit an event.
let nextLearner = 1_000_000;

async function produce(server: Server, school = server.school): Promise<void> {
  const input = enrollmentInput(school, nextLearner++, { startDate: '2024-08-01' });
  const response = await postGraphQL(server.url, enrollMutation, { input }, school.token);
  if (response.errors) throw new Error(`enrollLearner failed: ${JSON.stringify(response.errors)}`);
}

/**
 * One subscriber and one enrollment, outside the measurement: warms the query plans and the
 * database, counts the events an enrollment makes, and gives a cursor to subscribe `after`.
 */
async function warmUp(server: Server): Promise<{ perEnrollment: number; cursor: string }> {
  const deliveries = new Deliveries(1);
  const clients = await subscribeAll(server, 'shared', 1, deliveries, null);
  await produce(server);
  await deliveries.until(() => 1, 10_000);
  // Further events of the same enrollment, for another count date, would come within this.
  await sleep(1000);
  await release(server, clients, deliveries);
  if (!deliveries.lastCursor) throw new Error(`No fundingStatusChanged event reached the subscriber within 10 s: ${deliveries.problems.join('; ')}`);
  return { perEnrollment: deliveries.latencies.length, cursor: deliveries.lastCursor };
}

/**
 * Makes the events one at a time, each once every subscriber holds the one before: for every
 * subscriber, or (schools) for the schools in turn.
 */
async function produceAll(
  server: Server,
  mode: Mode,
  n: number,
  deliveries: Deliveries,
  perEnrollment: number,
): Promise<{ first: number[]; spread: number[] }> {
  const first: number[] = [];
  const spread: number[] = [];
  const produced = new Uint32Array(n);
  for (let k = 1; k <= events; k++) {
    const from = deliveries.latencies.length;
    if (mode === 'schools') {
      const school = (k - 1) % n;
      await produce(server, server.schools[school]!);
      produced[school]!++;
      await deliveries.until((i) => produced[i]! * perEnrollment, roundTimeoutMs);
    } else {
      await produce(server);
      await deliveries.until(() => k * perEnrollment, roundTimeoutMs);
    }
    const round = deliveries.latencies.slice(from);
    if (round.length) {
      first.push(Math.min(...round));
      spread.push(Math.max(...round) - Math.min(...round));
    }
    process.stdout.write(`\r  event ${k}/${events}: ${deliveries.latencies.length} deliveries`);
  }
  process.stdout.write('\n');
  return { first, spread };
}

// --- one measurement ---------------------------------------------------------------------------

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sorted = (list: number[]) => [...list].sort((x, y) => x - y);
const kbPer = (before: number, after: number, n: number) => (after - before) / 1024 / n;

async function measure(
  server: Server,
  mode: Mode,
  n: number,
  perEnrollment: number,
  after: string | null,
  memory: boolean,
): Promise<{ row: Row; cursor: string | null }> {
  const before = memory ? await server.ask(true) : undefined;
  const per = mode === 'schools' ? 1 : perConnection;
  const connections = Math.ceil(n / per);
  say(`${mode}, ${n} subscribers: connecting (${connections} connections of up to ${per})`);
  const deliveries = new Deliveries(n);
  const begun = performance.now();
  const clients = await subscribeAll(server, mode, n, deliveries, after);
  const connectSeconds = (performance.now() - begun) / 1000;
  const idle = before && (await server.ask(true));
  say(`${mode}, ${n} subscribers: live after ${connectSeconds.toFixed(2)} s; producing ${events} events`);
  const { first, spread } = await produceAll(server, mode, n, deliveries, perEnrollment);
  const expected = events * perEnrollment;
  // A delivery later than the round's 5 s still counts, if it comes within these 5 s.
  if (deliveries.missing() > 0) await deliveries.wait(roundTimeoutMs);
  const missing = deliveries.missing();
  const isReleased = await release(server, clients, deliveries);
  const latencies = sorted(deliveries.latencies);
  const row: Row = {
    mode,
    subscribers: n,
    connections,
    connectSeconds,
    events: expected,
    deliveries: latencies.length,
    missing,
    problems: deliveries.problems.slice(0, 10),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    firstP50: percentile(sorted(first), 50),
    firstMax: Math.max(...first),
    firstByEvent: first,
    spreadP50: percentile(sorted(spread), 50),
    spreadMax: Math.max(...spread),
    ...(before && idle
      ? {
          heapKbPerSubscriber: kbPer(before.memory.heapUsed, idle.memory.heapUsed, n),
          externalKbPerSubscriber: kbPer(before.memory.external, idle.memory.external, n),
          rssKbPerSubscriber: kbPer(before.memory.rss, idle.memory.rss, n),
          heapTotalKbPerSubscriber: kbPer(before.memory.heapTotal, idle.memory.heapTotal, n),
        }
      : {}),
    released: isReleased,
    serverLogLines: server.logged.length,
  };
  say(
    `${mode}, ${n} subscribers: p50 ${row.p50} ms, p99 ${row.p99} ms, max ${row.max} ms; per event first delivery p50 ${row.firstP50} ms (max ${row.firstMax}), ` +
      `last minus first p50 ${row.spreadP50} ms (max ${row.spreadMax}); missing ${missing}; ${deliveries.problems.length} client errors; ` +
      `released: ${isReleased ? 'yes, 0 subscribers, upstreams and tails' : 'NO'}`,
  );
  return { row, cursor: deliveries.lastCursor };
}

/**
 * A server of its own per mode, so that the second mode's memory does not start from the first's
 * high-water mark (RSS seldom shrinks after a collection).
 */
async function benchMode(mode: Mode): Promise<Row[]> {
  say(`${mode}: starting the server on a fresh database (seeding takes a few seconds)`);
  const server = await startServer(mode);
  try {
    const { perEnrollment, cursor: warmCursor } = await warmUp(server);
    say(`${mode}: warmed up; an enrollment makes ${perEnrollment} event(s) for ${values.school}`);
    const rows: Row[] = [];
    let cursor = warmCursor;
    for (const n of counts) {
      // `after` the last event delivered: a resumed subscriber replays nothing, and goes live at once.
      const measured = await measure(server, mode, n, perEnrollment, mode === 'resumed' ? cursor : null, n === Math.max(...counts));
      rows.push(measured.row);
      cursor = measured.cursor ?? cursor;
    }
    return rows;
  } finally {
    await server.stop();
  }
}

// --- the report -------------------------------------------------------------------------------

const figure = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits));

function printTable(rows: Row[]): void {
  console.log('\n| mode | subscribers | p50 ms | p99 ms | max ms | missing | heap KB/subscriber | external KB/subscriber | rss KB/subscriber |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const row of rows) {
    const cells = [
      row.mode,
      row.subscribers,
      figure(row.p50),
      figure(row.p99),
      figure(row.max),
      row.missing,
      figure(row.heapKbPerSubscriber, 1),
      figure(row.externalKbPerSubscriber, 1),
      figure(row.rssKbPerSubscriber, 1),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

function printTargets(rows: Row[]): void {
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log(`\ntargets: p99 at most ${targets.p99Ms} ms with ${targets.atSubscribers} subscribers; at most ${targets.idleKb} KB per idle subscriber`);
  for (const row of rows.filter((row) => row.subscribers === targets.atSubscribers)) {
    console.log(`  ${row.mode}: p99 ${figure(row.p99)} ms (${verdict(row.p99 <= targets.p99Ms)})`);
  }
  for (const row of rows.filter((row) => row.heapKbPerSubscriber !== undefined)) {
    const held = row.heapKbPerSubscriber! + row.externalKbPerSubscriber!;
    console.log(
      `  ${row.mode}, ${row.subscribers} idle: heap ${figure(row.heapKbPerSubscriber, 1)} + external ${figure(row.externalKbPerSubscriber, 1)} KB per subscriber (${verdict(held <= targets.idleKb)}); ` +
        `rss ${figure(row.rssKbPerSubscriber, 1)} KB, the heap V8 reserved ${figure(row.heapTotalKbPerSubscriber, 1)} KB (what the burst of connections reserved: it varies from run to run)`,
    );
  }
}

function checkOptions(): void {
  const whole = (value: number) => Number.isSafeInteger(value) && value >= 1;
  const bad = [
    !counts.every(whole) && `--counts must be whole numbers of at least 1, not ${values.counts}`,
    !whole(events) && `--events must be a whole number of at least 1, not ${values.events}`,
    !modes.every((mode) => allModes.includes(mode)) && `--modes must be among ${allModes.join(', ')}, not ${values.modes}`,
    !whole(perConnection) && `--per-connection must be a whole number of at least 1, not ${values['per-connection']}`,
    !whole(concurrency) && `--concurrency must be a whole number of at least 1, not ${values.concurrency}`,
  ].filter(Boolean);
  // The figure that counts is PostgreSQL's; the benchmark also needs a server to make a database on.
  if (!readConfig().databaseUrl)
    bad.push('Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db): the benchmark creates and drops a database of its own there.');
  if (bad.length === 0) return;
  console.error(bad.join('\n'));
  process.exit(1);
}

async function bench(): Promise<void> {
  checkOptions();
  const rows: Row[] = [];
  for (const mode of modes) rows.push(...(await benchMode(mode)));
  printTable(rows);
  printTargets(rows);
  // The server prints nothing when all is well; its lines are shown above as `server: …`.
  const logged = modes.map((mode) => `${mode} ${rows.filter((row) => row.mode === mode).at(-1)?.serverLogLines ?? 0}`);
  console.log(`\nlines the server printed: ${logged.join(', ')}`);
  const options = { counts, events, modes, perConnection, concurrency, school: values.school };
  console.log(`figures written to ${await writeResults('subscriptions', { database: 'PostgreSQL', options, targets, runs: rows })}`);
}

if (values.serve) await serve();
else await bench();
