/**
 * The fault suite (`npm run chaos`): the register in distributed mode on PostgreSQL (faults/cluster.ts),
 * with writers that resend each document until it is acknowledged (faults/writers.ts) and resuming
 * subscribers of every kind (faults/subscribers.ts): two schools on fundingStatusChanged and
 * transferNoticeIssued, a municipality on absenceReportUpdated, the operator on all three. Meanwhile
 * it injects each fault at least once: kill -9 of every subgraph and of the gateway (each started
 * again), every database connection terminated, the database stalled for 15 s and refusing for 10 s
 * (a fault proxy in front of PostgreSQL), and a subgraph stalled (a fault proxy in front of it).
 * Then it checks the ground truth in the outboxes (faults/truth.ts) and prints a table: writes
 * acknowledged, lost, doubled; per subscriber the events expected, delivered, missing, doubled, out
 * of order; the longest request. It exits 1 on any loss, doubling, disorder, incomplete event or
 * refused resend.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run chaos [-- --short]
 *
 * --short (CI) injects each fault once, in at most 3 minutes; the full mode injects them three times,
 * with more writers and a longer subgraph stall, and writes its table to bench/results/chaos.md and
 * its figures to bench/results/chaos.json. It makes a database of its own on DATABASE_URL's server
 * and drops it at the end. The processes' logs are in bench/results/chaos/.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readConfig } from '../kernel/config.ts';
import { openDatabase, type Database } from '../kernel/db.ts';
import { issueToken } from '../kernel/viewer.ts';
import { freshDatabaseUrl, postGraphQL, schoolAt, type School } from '../test/harness.ts';
import { resultsFolder, writeResults } from '../bench/results.ts';
import { Cluster, subgraphNames, type MemberName } from './cluster.ts';
import { Subscriber, type Field } from './subscribers.ts';
import { expectedEvents, judgeSubscriber, judgeWrites, type Follows, type SubscriberVerdict, type WriteVerdict } from './truth.ts';
import { Writers } from './writers.ts';

const { values } = parseArgs({ options: { short: { type: 'boolean', default: false } } });
const short = values.short;
const server = readConfig().databaseUrl;
if (!server) {
  console.error('Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db): the fault suite makes and drops a database of its own there.');
  process.exit(2);
}

const plan = short
  ? { rounds: 1, writers: 3, pauseMs: 150, downMs: 2000, settleMs: 2000, subgraphStallMs: 10_000, drainMs: 30_000, quietMs: 10_000 }
  : { rounds: 3, writers: 4, pauseMs: 100, downMs: 5000, settleMs: 10_000, subgraphStallMs: 25_000, drainMs: 120_000, quietMs: 30_000 };
const databaseStallMs = 15_000;
const databaseRefusalMs = 10_000;

const began = performance.now();
const say = (message: string) => console.log(`[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${message}`);

interface Fault {
  name: string;
  inject(cluster: Cluster): Promise<void>;
}

/** A fault as injected: when it began, and how long until every process was ready again. */
interface Injected {
  fault: string;
  startedAt: number;
  seconds: number;
}

interface Incidents {
  fault: string;
  withoutEvent: number;
  incomplete: number;
  codes: string[];
}

/**
 * Results without their event and events delivered incomplete, put to the fault that began last
 * before them (over every round): which fault costs what.
 */
function incidentsByFault(injected: Injected[], subscribers: Subscriber[]): Incidents[] {
  const rows = new Map<string, { withoutEvent: number; incomplete: number; codes: Set<string> }>();
  for (const { incidents } of subscribers) {
    for (const incident of incidents) {
      const fault = injected.findLast((each) => each.startedAt <= incident.at)?.fault ?? 'before the first fault';
      const row = rows.get(fault) ?? { withoutEvent: 0, incomplete: 0, codes: new Set<string>() };
      rows.set(fault, row);
      if (incident.kind === 'incomplete') row.incomplete++;
      else row.withoutEvent++;
      for (const code of incident.codes) row.codes.add(code);
    }
  }
  return [...rows].map(([fault, row]) => ({ fault, withoutEvent: row.withoutEvent, incomplete: row.incomplete, codes: [...row.codes].sort() }));
}

function faults(databaseName: string): Fault[] {
  const kill = (name: MemberName): Fault => ({
    name: `kill -9 ${name}, started again ${plan.downMs / 1000} s later`,
    inject: async (cluster) => {
      cluster.kill(name);
      await sleep(plan.downMs);
      await cluster.launch(name);
    },
  });
  return [
    ...subgraphNames.map(kill),
    kill('gateway'),
    {
      name: 'every database connection terminated (pg_terminate_backend)',
      inject: async () => {
        const admin = new pg.Client({ connectionString: server });
        await admin.connect();
        const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
          databaseName,
        ]);
        await admin.end();
        say(`  ${rowCount} connections terminated`);
      },
    },
    {
      name: `the database stalled for ${databaseStallMs / 1000} s`,
      inject: async (cluster) => {
        await cluster.database.stall();
        await sleep(databaseStallMs);
        await cluster.database.pass();
      },
    },
    {
      name: `the database refusing connections for ${databaseRefusalMs / 1000} s (open ones reset)`,
      inject: async (cluster) => {
        cluster.database.refuse();
        cluster.database.drop();
        await sleep(databaseRefusalMs);
        await cluster.database.pass();
      },
    },
    {
      name: `the learners subgraph stalled for ${plan.subgraphStallMs / 1000} s`,
      inject: async (cluster) => {
        const proxy = cluster.subgraphs.get('learners')!;
        await proxy.stall();
        await sleep(plan.subgraphStallMs);
        await proxy.pass();
      },
    },
  ];
}

/** Who follows what: two schools on their two streams, the municipality on absence, the operator on all. */
function subscribersFor(
  url: string,
  schools: School[],
  municipality: { code: string; token: string },
  operator: string,
): { subscriber: Subscriber; follows: Follows }[] {
  const school = (at: School, field: Field) => ({
    subscriber: new Subscriber(`school ${at.brin6}`, field, { url, token: at.token }),
    follows: { key: 'brin6', value: at.brin6 } as Follows,
  });
  return [
    ...schools.slice(0, 2).flatMap((at) => [school(at, 'fundingStatusChanged'), school(at, 'transferNoticeIssued')]),
    {
      subscriber: new Subscriber(`municipality ${municipality.code}`, 'absenceReportUpdated', { url, token: municipality.token }),
      follows: { key: 'municipalityCode', value: municipality.code },
    },
    ...(['fundingStatusChanged', 'transferNoticeIssued', 'absenceReportUpdated'] as const).map((field) => ({
      subscriber: new Subscriber('operator', field, { url, token: operator }),
      follows: 'all' as const,
    })),
  ];
}

const fresh = await freshDatabaseUrl();
const databaseName = new URL(fresh.url!).pathname.slice(1);
const secrets = { TOKEN_SECRET: randomBytes(32).toString('hex'), VIEWER_SECRET: randomBytes(32).toString('hex') };
let cluster: Cluster | undefined;
let database: Database | undefined;
let failed = true;
try {
  say(`${short ? 'short' : 'full'} fault suite on a fresh PostgreSQL database (${databaseName}); processes log to bench/results/chaos/`);
  const env = { NODE_ENV: 'production', ...secrets, LOG_LEVEL: 'warn', RATE_LIMIT: '0', SEED: 'true' };
  cluster = await Cluster.start({ databaseUrl: fresh.url!, env, logFolder: path.join(resultsFolder, 'chaos'), say });
  const url = cluster.url;
  const token = (viewer: Parameters<typeof issueToken>[0]) => issueToken(viewer, secrets.TOKEN_SECRET);
  const operator = await token({ role: 'OPERATOR' });
  const schools = await schoolsIn('0114', url, operator, token);
  const municipality = { code: '0114', token: await token({ role: 'MUNICIPALITY', municipality: '0114' }) };
  say(`writers at ${schools.map((at) => at.brin6).join(', ')} (Emmen, where the demo vendor has its mandates); their learners live in Emmen (0114)`);

  const following = subscribersFor(url, schools, municipality, operator);
  const followed = following.map(({ subscriber }) => subscriber.follow());
  const writers = new Writers({ url, schools, municipality, pauseMs: plan.pauseMs });
  const writing = new AbortController();
  const written = writers.write(plan.writers, writing.signal);
  const delivered = () => following.reduce((sum, { subscriber }) => sum + subscriber.delivered.length, 0);
  const status = () => {
    const { acknowledged, pending, refused } = writers.progress();
    return `writes ${acknowledged} acknowledged, ${pending} being sent${refused ? `, ${refused} REFUSED` : ''}; events ${delivered()} delivered`;
  };
  const ticker = setInterval(() => say(`  ${status()}`), 10_000);
  await sleep(plan.settleMs);

  const injected: Injected[] = [];
  const list = faults(databaseName);
  for (let round = 1; round <= plan.rounds; round++) {
    for (const [i, fault] of list.entries()) {
      say(`fault ${i + 1}/${list.length}${plan.rounds > 1 ? ` (round ${round}/${plan.rounds})` : ''}: ${fault.name}`);
      const start = performance.now();
      const record = { fault: fault.name, startedAt: Date.now(), seconds: 0 };
      injected.push(record);
      await fault.inject(cluster);
      await cluster.allReady();
      const seconds = (record.seconds = (performance.now() - start) / 1000);
      say(`  every process ready again ${seconds.toFixed(1)} s after it began; ${status()}`);
      await sleep(plan.settleMs);
    }
  }

  say('faults over: the writers finish what they are sending');
  writing.abort();
  await written;
  say(`  ${status()}`);
  database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
  const subscribers = await drain(database, following, delivered);
  clearInterval(ticker);
  for (const { subscriber } of following) subscriber.stop();
  await Promise.all(followed);

  const writes = await judgeWrites(database.db, writers.writes);
  const longest = { seconds: writers.longest.ms / 1000, what: writers.longest.what, requests: writers.requests };
  const refusals = [...new Set(writers.writes.flatMap((write) => (write.refused ? [`${write.kind}: ${write.refused}`] : [])))];
  const incidents = incidentsByFault(
    injected,
    following.map(({ subscriber }) => subscriber),
  );
  const table = report({ writes, subscribers, longest, injected, crashes: cluster.crashes, refusals, incidents });
  console.log(`\n${table}`);
  failed =
    writes.some((row) => row.lost || row.doubled || row.refused || row.unanswered) ||
    subscribers.some((row) => row.missing || row.doubled || row.outOfOrder || row.incomplete || row.notTheirs);
  if (!short) {
    await writeFile(path.join(resultsFolder, 'chaos.md'), `${table}\n`);
    say(`written: ${await writeResults('chaos', { writes, subscribers, longest, injected, incidents, crashes: cluster.crashes })} and bench/results/chaos.md`);
  }
  say(failed ? 'FAILED: something was lost, doubled, out of order, incomplete or refused' : 'passed: nothing lost, doubled, out of order or incomplete');
} catch (error) {
  console.error(error);
} finally {
  await database?.close();
  await cluster?.stop().catch((error: unknown) => console.error(error));
  await fresh.drop().catch((error: unknown) => console.error(error));
}
process.exit(failed ? 1 : 0);

/** The first branches of a municipality, each with a vendor token of the demo vendor (mandated there by the seed). */
async function schoolsIn(
  municipalityCode: string,
  url: string,
  operator: string,
  token: (viewer: Parameters<typeof issueToken>[0]) => Promise<string>,
): Promise<School[]> {
  const system: Parameters<typeof schoolAt>[0] = { query: (text, options = {}) => postGraphQL(url, text, options.variables, operator), token };
  const { data } = await system.query<{ branches: { edges: { node: { brin6: string } }[] } }>(
    `{ branches(filter: { municipalityCode: "${municipalityCode}" }, first: 3) { edges { node { brin6 } } } }`,
  );
  return Promise.all(data!.branches.edges.map(({ node }) => schoolAt(system, node.brin6)));
}

/**
 * Waits until every subscriber holds every event the outboxes say it should (the consumers that
 * make funding's and absence's events may still be catching up), or until nothing more has come for
 * a while; then judges each.
 */
async function drain(database: Database, following: { subscriber: Subscriber; follows: Follows }[], delivered: () => number): Promise<SubscriberVerdict[]> {
  const deadline = Date.now() + plan.drainMs;
  let quietSince = Date.now();
  let last = delivered();
  for (;;) {
    const verdicts = await Promise.all(
      following.map(async ({ subscriber, follows }) => judgeSubscriber(subscriber, await expectedEvents(database.db, subscriber.field, follows))),
    );
    const missing = verdicts.reduce((sum, verdict) => sum + verdict.missing, 0);
    if (delivered() !== last) [last, quietSince] = [delivered(), Date.now()];
    if (missing === 0 || Date.now() > deadline || Date.now() - quietSince > plan.quietMs) {
      say(missing ? `subscribers still miss ${missing} events; judging as they stand` : 'every subscriber holds every event it should');
      return verdicts;
    }
    await sleep(1000);
  }
}

function report(result: {
  writes: WriteVerdict[];
  subscribers: SubscriberVerdict[];
  longest: { seconds: number; what: string; requests: number };
  injected: Injected[];
  crashes: Cluster['crashes'];
  refusals: string[];
  incidents: Incidents[];
}): string {
  const names: Record<WriteVerdict['kind'], string> = {
    enroll: 'enrollLearner',
    transfer: 'enrollLearner, a transfer',
    change: 'changeEnrollment',
    report: 'reportAbsence',
    treat: 'changeAbsenceReportStatus',
  };
  const sum = (key: keyof Omit<WriteVerdict, 'kind'>) => result.writes.reduce((total, row) => total + row[key], 0);
  const writes = [
    '| write | acknowledged | lost | doubled | refused on resend | unanswered |',
    '|---|--:|--:|--:|--:|--:|',
    ...result.writes.map((row) => `| ${names[row.kind]} | ${row.acknowledged} | ${row.lost} | ${row.doubled} | ${row.refused} | ${row.unanswered} |`),
    `| all | ${sum('acknowledged')} | ${sum('lost')} | ${sum('doubled')} | ${sum('refused')} | ${sum('unanswered')} |`,
  ];
  const subscribers = [
    '| subscriber | subscription | expected | delivered | missing | doubled | out of order | incomplete | not theirs | results without event | breaks, and attempts that could not connect |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
    ...result.subscribers.map(
      (row) =>
        `| ${row.name} | ${row.field} | ${row.expected} | ${row.delivered} | ${row.missing} | ${row.doubled} | ${row.outOfOrder} | ${row.incomplete} | ${row.notTheirs} | ${row.failedResults} | ${row.breaks || 'none'} |`,
    ),
  ];
  const config = readConfig({ ...process.env, DATABASE_URL: undefined });
  return [
    `Faults injected (${short ? 'short' : 'full'} mode), each followed by the time until every process was ready again:`,
    ...result.injected.map(({ fault, seconds }) => `- ${fault}: ${seconds.toFixed(1)} s`),
    ...(result.crashes.length
      ? ['', `Processes that ended by themselves: ${result.crashes.map((crash) => `${crash.name} (${crash.signal ?? `code ${crash.code}`})`).join(', ')}`]
      : []),
    '',
    ...writes,
    ...(result.refusals.length ? ['', 'Refused on resend:', ...result.refusals.map((refusal) => `- ${refusal}`)] : []),
    '',
    ...subscribers,
    ...(result.incidents.length
      ? [
          '',
          'Results without their event, and events delivered incomplete, by the fault that began last before them (all subscribers, all rounds):',
          '',
          '| fault | results without event | incomplete events | error codes |',
          '|---|--:|--:|---|',
          ...result.incidents.map((row) => `| ${row.fault} | ${row.withoutEvent} | ${row.incomplete} | ${row.codes.join(', ')} |`),
        ]
      : []),
    '',
    `Longest request: ${result.longest.seconds.toFixed(1)} s (${result.longest.what}), of ${result.longest.requests} requests; REQUEST_TIMEOUT is ${config.timeouts.requestMs / 1000} s.`,
  ].join('\n');
}
