/**
 * `npm run bench [-- --full]`: the register's speed, side by side with the gateways users would
 * otherwise pick, in one run on one machine (docs/performance.md has the method and the figures).
 *
 *  1. The national population on PostgreSQL (DATABASE_URL names the server), in a database of the
 *     bench's own that later runs reuse (`npm run seed -- --national`, resumable).
 *  2. The four subgraphs, each in a process of its own, and five gateways over the same supergraph and
 *     subgraphs: the register's with its entity cache and without, plain @apollo/gateway with default
 *     settings, and Hive Gateway with and without its Rust query planner (bench/peers, installed here
 *     on first use).
 *  3. The same mix against each gateway in alternating runs (bench/mix.ts); then a whole school's
 *     enrollments at 20 concurrent clients; the floor, the same whole schools straight from PostgreSQL
 *     (bench/floor.ts); bulk enrollments; subscription fan-out; the count-date run.
 *
 * Writes bench/results/latest.json and bench/results/latest.md, and prints the table. Ratios are the headline;
 * absolute figures hold for this machine only. Short mode fits in about 5 minutes once the population
 * exists; `--full` runs longer and more often. `--profile` profiles the register's processes instead,
 * through the whole-school run, and writes bench/results/profile.md.
 */
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { readConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import type { LoadResult, LoadRun } from './peers/loadRun.ts';
import { mixFor, requestsFor, schoolsOf, wholeSchoolFor, type Identity, type Operation, type School } from './mix.ts';
import { cpuSecondsOf, freePort, postgresCpuSeconds, runScript, runToEnd, serve, type Served } from './processes.ts';
import { describe, summariseProcess } from './profile.ts';
import type { FloorResult } from './floor.ts';
import { resultsFolder, writeResults } from './results.ts';

const { values } = parseArgs({ options: { full: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } } });
const mode = values.full ? 'full' : 'short';
const settings = {
  short: {
    seconds: 8,
    warmup: 3,
    rounds: 2,
    schools: 200,
    connections: 20,
    enrollCalls: 5,
    subscriptions: ['--counts', '1,100,1000', '--events', '20', '--modes', 'shared,schools'],
    floorRequests: 2000,
  },
  full: {
    seconds: 30,
    warmup: 10,
    rounds: 3,
    schools: 400,
    connections: 20,
    enrollCalls: 20,
    subscriptions: ['--counts', '1,100,5000', '--events', '50'],
    floorRequests: 10000,
  },
}[mode];
/** The mix's req/s as a multiple of the peers' (issue 20's targets). */
const mixTargets = { perSecondToApollo: 1.5, perSecondToHiveRust: 1.2 };
/** A whole school of about this many enrollments, at this many concurrent clients: p99 at most 100 ms (issue 20's target). */
const wholeSchool = { enrollments: 220, connections: 20, p99TargetMs: 100 };
/**
 * The register's gateway twice: as it runs, and with its entity cache off (GATEWAY_CACHE_ENTRIES=0),
 * the feature the other gateways lack, so that each figure is also given without it.
 */
const gatewayNames = ['register', 'register-uncached', 'apollo', 'hive', 'hive-rust'] as const;
type GatewayName = (typeof gatewayNames)[number];
const ourGateways = ['register', 'register-uncached'] as const;
const labels: Record<GatewayName, string> = {
  register: 'Register Graph',
  'register-uncached': 'Register Graph, entity cache off',
  apollo: 'plain @apollo/gateway',
  hive: 'Hive Gateway',
  'hive-rust': 'Hive Gateway, Rust planner',
};

const begun = performance.now();
const say = (message: string) => console.log(`[${((performance.now() - begun) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const secrets = { TOKEN_SECRET: randomBytes(32).toString('hex'), VIEWER_SECRET: randomBytes(32).toString('hex') };

/** bench/peers holds the comparison gateways and the load generator, installed on first use. */
async function installPeers(): Promise<void> {
  if (existsSync(path.join(import.meta.dirname, 'peers', 'node_modules', '@graphql-hive', 'router-runtime'))) return;
  say('installing the comparison gateways and the load generator into bench/peers (once)');
  await runToEnd('npm', 'npm', ['install', '--prefix', 'bench/peers', '--no-audit', '--no-fund'], {}, say);
}

/** The bench's own database on the server, created once and kept: the population is reused. */
async function benchDatabase(url: string): Promise<string> {
  const name = 'register_graph_bench';
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const bench = new URL(url);
  bench.pathname = `/${name}`;
  return bench.toString();
}

/** The national population; its time counts only when this run registered it. */
async function seedNational(url: string): Promise<{ seconds: number; registered: boolean }> {
  say('national population (npm run seed -- --national; kept for later runs)');
  const from = performance.now();
  const lines = await runScript('seed', 'cli/seed.ts', ['--national'], { DATABASE_URL: url }, say);
  const registered = lines.some((line) => /learners: \d+ learners, \d+ enrollments/.test(line));
  return { seconds: (performance.now() - from) / 1000, registered };
}

/**
 * VACUUM after the seed: a bulk load leaves no page all-visible, so until autovacuum comes by (minutes
 * later, or during the run) every index-only scan reads the table too. Measured on a fresh national
 * population: PostgreSQL's CPU per whole school 71 ms before, 58 ms after (short runs, one each).
 * Seconds the first time, nothing after.
 */
async function vacuum(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM');
  } finally {
    await client.end();
  }
}

const quiet = { LOG_LEVEL: 'warn', NODE_ENV: 'production' };

/**
 * With --profile, the register's processes write a V8 CPU profile when they stop (after the whole-school
 * run), summarised at the end of the report (bench/profile.ts); profiling slows them, so the figures
 * of such a run are for finding where the time goes, not for the comparison.
 */
const profiles = path.join(resultsFolder, 'profiles');
const profiled = (name: string) => (values.profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(profiles, name)] : []);

async function startSubgraphs(url: string): Promise<Served[]> {
  const served: Served[] = [];
  for (const name of ['institutions', 'learners', 'funding', 'absence']) {
    served.push(await serve(name, 'cli/start.ts', [], { ...secrets, ...quiet, SERVE: name, PORT: '0', DATABASE_URL: url }, profiled(name)));
    say(`subgraph ${name}: ${served.at(-1)!.url}`);
  }
  return served;
}

/** Every gateway over the same subgraphs, from the committed supergraph with their URLs filled in. */
async function startGateways(subgraphs: Served[], databaseUrl: string): Promise<Record<GatewayName, Served>> {
  let supergraph = await readFile(path.join(schemaFolder, 'supergraph.graphql'), 'utf8');
  for (const subgraph of subgraphs) supergraph = supergraph.replace(`url: "http://${subgraph.name}/graphql"`, `url: "${subgraph.url}"`);
  const file = path.join(resultsFolder, 'supergraph.graphql');
  await writeFile(file, supergraph);
  const urls = subgraphs.map((subgraph) => `${subgraph.name}=${subgraph.url}`).join(',');
  const peer = async (name: GatewayName, script: string, flags: string[] = []) =>
    serve(name, `bench/peers/${script}`, [file, String(await freePort()), ...flags], {});
  // Ours reads the streams for its entity cache in the bench's database.
  const ours = (name: GatewayName, cacheEntries?: string) =>
    serve(
      name,
      'cli/start.ts',
      [],
      {
        ...secrets,
        ...quiet,
        SERVE: 'gateway',
        PORT: '0',
        SUBGRAPH_URLS: urls,
        RATE_LIMIT: '0',
        DATABASE_URL: databaseUrl,
        ...(cacheEntries ? { GATEWAY_CACHE_ENTRIES: cacheEntries } : {}),
      },
      profiled(name === 'register' ? 'gateway' : name),
    );
  const gateways: Record<GatewayName, Served> = {
    register: await ours('register'),
    'register-uncached': await ours('register-uncached', '0'),
    apollo: await peer('apollo', 'apollo.ts'),
    hive: await peer('hive', 'hive.ts'),
    'hive-rust': await peer('hive-rust', 'hive.ts', ['--rust']),
  };
  for (const name of gatewayNames) say(`gateway ${labels[name]}: ${gateways[name].url}`);
  return gateways;
}

const identityOf = (name: GatewayName): Identity =>
  name === 'register' || name === 'register-uncached' ? { kind: 'token', secret: secrets.TOKEN_SECRET } : { kind: 'assertion', secret: secrets.VIEWER_SECRET };

/** Every gateway must give the same answers to the same requests, or the comparison means nothing. */
async function checkSameAnswers(gateways: Record<GatewayName, Served>, mix: Operation[]): Promise<void> {
  const sample = mix.slice(0, 30);
  const answers = new Map<GatewayName, string[]>();
  for (const name of gatewayNames) {
    const requests = await requestsFor(sample, identityOf(name));
    answers.set(
      name,
      await Promise.all(
        requests.map(async ({ body, headers }) => {
          const response = await fetch(gateways[name].url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
          const answer = (await response.json()) as { data?: unknown; errors?: unknown };
          if (answer.errors || !answer.data) throw new Error(`${labels[name]} answered ${JSON.stringify(answer).slice(0, 500)}`);
          return JSON.stringify(answer.data);
        }),
      ),
    );
  }
  const expected = answers.get('register')!;
  for (const name of gatewayNames) {
    const differs = answers.get(name)!.findIndex((answer, i) => answer !== expected[i]);
    if (differs >= 0)
      throw new Error(`${labels[name]} answers ${sample[differs]!.kind} of ${sample[differs]!.school.brin6} differently from the register's gateway`);
  }
  say(`all ${gatewayNames.length} gateways give the same answers to ${sample.length} requests of the mix`);
}

/**
 * A load run's figures, and the CPU time per request of each process that served it: the gateway,
 * each subgraph and PostgreSQL (all its processes). They say where a request's time goes, and how
 * much of it any gateway could save.
 */
type Measured = LoadResult & { cpuMsPerRequest: Record<string, number> };

/** One load run in a process of its own (bench/peers/load.ts), with /proc read before and after. */
async function load(
  gateway: Served,
  subgraphs: Served[],
  operations: Operation[],
  identity: Identity,
  seconds: number,
  connections: number,
): Promise<Measured> {
  const run: LoadRun = { url: gateway.url, seconds, connections, requests: await requestsFor(operations, identity) };
  const file = path.join(resultsFolder, `load-${gateway.name}.json`);
  await writeFile(file, JSON.stringify(run));
  const cpu = () => ({
    gateway: cpuSecondsOf(gateway.pid) ?? 0,
    ...Object.fromEntries(subgraphs.map((served) => [served.name, cpuSecondsOf(served.pid) ?? 0])),
    postgres: postgresCpuSeconds(),
  });
  const before: Record<string, number> = cpu();
  const lines = await runScript(`load ${gateway.name}`, 'bench/peers/load.ts', [file], {}, () => undefined);
  const after: Record<string, number> = cpu();
  const result = JSON.parse(lines.at(-1)!) as LoadResult;
  const perRequest = (seconds: number) => Math.round((10_000 * seconds) / Math.max(result.requests, 1)) / 10;
  const cpuMsPerRequest = Object.fromEntries(Object.keys(after).map((name) => [name, perRequest(after[name]! - before[name]!)]));
  cpuMsPerRequest.total = Math.round(10 * Object.values(cpuMsPerRequest).reduce((sum, ms) => sum + ms, 0)) / 10;
  return { ...result, cpuMsPerRequest };
}

type Comparison = Record<GatewayName, { runs: Measured[]; median: Measured }>;

/** Warm-up, then rounds in which each gateway has one run, each round starting with the next gateway. */
async function compare(gateways: Record<GatewayName, Served>, subgraphs: Served[], mix: Operation[]): Promise<Comparison> {
  for (const name of gatewayNames) {
    await load(gateways[name], subgraphs, mix, identityOf(name), settings.warmup, settings.connections);
    say(`warmed up ${labels[name]} (${settings.warmup} s)`);
  }
  const runs = Object.fromEntries(gatewayNames.map((name) => [name, [] as Measured[]])) as Record<GatewayName, Measured[]>;
  for (let round = 0; round < settings.rounds; round++) {
    for (let i = 0; i < gatewayNames.length; i++) {
      const name = gatewayNames[(i + round) % gatewayNames.length]!;
      const result = await load(gateways[name], subgraphs, mix, identityOf(name), settings.seconds, settings.connections);
      runs[name].push(result);
      say(
        `round ${round + 1}, ${labels[name]}: ${result.perSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} errors${result.firstError ? ` (${result.firstError})` : ''}`,
      );
    }
  }
  return Object.fromEntries(gatewayNames.map((name) => [name, { runs: runs[name], median: median(runs[name]) }])) as Comparison;
}

/** The run of median throughput: its figures belong together. */
function median(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)]!;
}

type Whole = Measured & { schools: number; enrollments: number };
type OurGateway = (typeof ourGateways)[number];

/**
 * A school's whole list of enrollments with funding status, at 20 concurrent clients, on the
 * register's gateway with its entity cache and without. The same schools are asked again and again
 * and nothing changes meanwhile: the cache's best case, which is why the figure without it is given too.
 */
async function wholeSchools(gateways: Record<GatewayName, Served>, subgraphs: Served[], schools: School[]): Promise<Record<OurGateway, Whole>> {
  const operations = await wholeSchoolFor(schools);
  const mean = schools.reduce((sum, school) => sum + school.enrollments, 0) / schools.length;
  const measured = {} as Record<OurGateway, Whole>;
  for (const name of ourGateways) {
    await load(gateways[name], subgraphs, operations, identityOf(name), settings.warmup, wholeSchool.connections);
    const result = await load(gateways[name], subgraphs, operations, identityOf(name), settings.seconds, wholeSchool.connections);
    say(
      `whole school, ${labels[name]} (${schools.length} schools of ${Math.round(mean)} enrollments on average, ${wholeSchool.connections} clients): ${result.perSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} errors`,
    );
    measured[name] = { ...result, schools: schools.length, enrollments: mean };
  }
  return measured;
}

/**
 * The floor (bench/floor.ts): the same whole schools straight from PostgreSQL in one statement, on the
 * bench's population with nothing else running. Always measured, as it takes seconds: every
 * whole-school figure is also given as a multiple of it (issue 20).
 */
async function floor(databaseUrl: string): Promise<FloorResult> {
  say('the floor: whole schools straight from PostgreSQL (bench/floor.ts)');
  const args = [
    '--requests',
    String(settings.floorRequests),
    '--connections',
    String(wholeSchool.connections),
    '--enrollments',
    String(wholeSchool.enrollments),
  ];
  await runScript('floor', 'bench/floor.ts', args, { DATABASE_URL: databaseUrl }, say);
  return JSON.parse(await readFile(path.join(resultsFolder, 'floor.json'), 'utf8')) as FloorResult;
}

/** The whole-school figures as multiples of the floor's (p50, p99, CPU per request of all processes together). */
function timesFloor(whole: Measured, floor: FloorResult) {
  const times = (ours: number, theirs: number | null) => (theirs ? Math.round((10 * ours) / theirs) / 10 : null);
  return {
    p50: times(whole.p50, floor.p50),
    p99: times(whole.p99, floor.p99),
    cpuMsPerRequest: times(whole.cpuMsPerRequest.total!, floor.cpuMsPerRequest.total),
  };
}

/** The benchmarks that make their own databases: bulk enrollments, subscriptions, the count-date run. */
async function otherBenchmarks(server: string): Promise<{ enroll: unknown; subscriptions: unknown; countDate: unknown }> {
  const env = { DATABASE_URL: server };
  say('bulk enrollments through the gateway (bench/enroll.ts)');
  await runScript('enroll', 'bench/enroll.ts', ['--calls', String(settings.enrollCalls)], env, say);
  say('subscription fan-out (bench/subscriptions.ts)');
  await runScript('subscriptions', 'bench/subscriptions.ts', settings.subscriptions, env, say);
  say('the national count-date run (bench/countDate.ts)');
  await runScript('count-date', 'bench/countDate.ts', [], env, say);
  const read = async (name: string) => JSON.parse(await readFile(path.join(resultsFolder, `${name}.json`), 'utf8')) as unknown;
  return { enroll: await read('enroll'), subscriptions: await read('subscriptions'), countDate: await read('count-date') };
}

interface Figures {
  seed: { seconds: number; registered: boolean };
  comparison: Comparison;
  whole: Record<OurGateway, Whole>;
  floor: FloorResult;
  enroll: unknown;
  subscriptions: unknown;
  countDate: unknown;
}

/**
 * CPU ms per request by process, for each gateway's median run and the whole school, and what that
 * leaves a gateway: with the subgraphs and PostgreSQL as they are, even a gateway that cost nothing
 * could serve at most (cores × 1000 / their ms) requests a second.
 */
function cpuTable(figures: Figures): string[] {
  const processes = Object.keys(figures.comparison.register.median.cpuMsPerRequest);
  const row = (label: string, measured: Measured) => `| ${label} | ${processes.map((name) => measured.cpuMsPerRequest[name]).join(' | ')} |`;
  const ours = figures.comparison.register.median.cpuMsPerRequest;
  const behind = ours.total! - ours.gateway!;
  return [
    `| CPU ms per request | ${processes.join(' | ')} |`,
    `|---|${processes.map(() => '--:').join('|')}|`,
    ...gatewayNames.map((name) => row(`mix, ${labels[name]}`, figures.comparison[name].median)),
    ...ourGateways.map((name) => row(`whole school, ${labels[name]}`, figures.whole[name])),
    '',
    `Behind the gateway, a request of the mix costs ${behind.toFixed(1)} ms of CPU (subgraphs and PostgreSQL): on ${cpus().length} cores no gateway can serve more than ` +
      `${((cpus().length * 1000) / behind).toFixed(0)} req/s of it, whatever it costs itself (the load generator's own CPU not counted).`,
  ];
}

async function report(figures: Figures): Promise<void> {
  const { comparison } = figures;
  const ours = comparison.register.median;
  const ratio = (other: GatewayName, from: GatewayName = 'register') => ({
    perSecond: comparison[from].median.perSecond / comparison[other].median.perSecond,
    p99: comparison[from].median.p99 / comparison[other].median.p99,
  });
  const ratios = {
    toApollo: ratio('apollo'),
    toHive: ratio('hive'),
    toHiveRust: ratio('hive-rust'),
    uncachedToApollo: ratio('apollo', 'register-uncached'),
    uncachedToHiveRust: ratio('hive-rust', 'register-uncached'),
    wholeSchoolToFloor: Object.fromEntries(ourGateways.map((name) => [name, timesFloor(figures.whole[name], figures.floor)])) as Record<
      OurGateway,
      ReturnType<typeof timesFloor>
    >,
  };
  const { floor } = figures;
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  await writeResults('latest', { mode, machine, settings, targets: { ...mixTargets, wholeSchool }, ratios, ...figures });
  const lines = [
    `| gateway (${settings.connections} clients, mix, median of ${settings.rounds} runs of ${settings.seconds} s) | req/s | p50 ms | p99 ms | errors | Register Graph's req/s is |`,
    '|---|--:|--:|--:|--:|--:|',
    ...gatewayNames.map((name) => {
      const { perSecond, p50, p99, errors } = comparison[name].median;
      const times = name === 'register' ? '' : `${(ours.perSecond / perSecond).toFixed(2)}×`;
      return `| ${labels[name]} | ${perSecond.toFixed(0)} | ${p50} | ${p99} | ${errors} | ${times} |`;
    }),
    '',
    ...ourGateways.map((name) => {
      const whole = figures.whole[name];
      const times = ratios.wholeSchoolToFloor[name];
      return (
        `Whole school, ${labels[name]} (${whole.schools} schools of about ${Math.round(whole.enrollments)} enrollments with funding status, ${wholeSchool.connections} clients): ` +
        `p99 ${whole.p99} ms (target ${wholeSchool.p99TargetMs} ms: ${whole.p99 <= wholeSchool.p99TargetMs ? 'met' : 'MISSED'}), p50 ${whole.p50} ms, ${whole.perSecond.toFixed(0)} req/s, ` +
        `CPU ${whole.cpuMsPerRequest.total} ms per request; ${times.p50}× the floor's p50, ${times.p99}× its p99, ${times.cpuMsPerRequest ?? '(PostgreSQL not measured)'}× its CPU.`
      );
    }),
    `The floor, the same answer straight from PostgreSQL in one statement (bench/floor.ts, ${floor.connections} clients): p50 ${floor.p50} ms, p99 ${floor.p99} ms, ` +
      `CPU ${floor.cpuMsPerRequest.total ?? floor.cpuMsPerRequest.client} ms per request.`,
    `Targets: ${ratios.toApollo.perSecond.toFixed(2)}× plain @apollo/gateway's req/s (at least ${mixTargets.perSecondToApollo}: ${ratios.toApollo.perSecond >= mixTargets.perSecondToApollo ? 'met' : 'MISSED'}), ` +
      `${ratios.toHiveRust.perSecond.toFixed(2)}× Hive Gateway with its Rust planner (at least ${mixTargets.perSecondToHiveRust}: ${ratios.toHiveRust.perSecond >= mixTargets.perSecondToHiveRust ? 'met' : 'MISSED'}), ` +
      `p99 ${ours.p99 <= Math.min(comparison.apollo.median.p99, comparison['hive-rust'].median.p99) ? 'no worse than either (met)' : 'worse than one of them (MISSED)'}. ` +
      `With the entity cache off: ${ratios.uncachedToApollo.perSecond.toFixed(2)}× and ${ratios.uncachedToHiveRust.perSecond.toFixed(2)}×.`,
    figures.seed.registered
      ? `National population registered in ${figures.seed.seconds.toFixed(0)} s (npm run seed -- --national).`
      : 'National population: reused from an earlier run.',
    '',
    ...cpuTable(figures),
  ];
  const table = lines.join('\n');
  await writeFile(path.join(resultsFolder, 'latest.md'), `${table}\n`);
  console.log(`\n${table}\n\nfigures: bench/results/latest.json, bench/results/latest.md`);
}

/** A profiled run's figures (slowed by profiling) and where each process spent its time: bench/results/profile.md. */
async function reportProfiles(comparison: Comparison, whole: Record<OurGateway, LoadResult>): Promise<void> {
  const lines = [
    '### Profiled run (figures slowed by profiling)',
    '',
    ...gatewayNames.map((name) => `- ${labels[name]}: ${comparison[name].median.perSecond.toFixed(0)} req/s, p99 ${comparison[name].median.p99} ms`),
    ...ourGateways.map((name) => `- whole school, ${labels[name]}: ${whole[name].perSecond.toFixed(0)} req/s, p99 ${whole[name].p99} ms`),
    '',
  ];
  for (const name of (await readdir(profiles)).sort()) lines.push(...describe(name, await summariseProcess(path.join(profiles, name))));
  await writeFile(path.join(resultsFolder, 'profile.md'), `${lines.join('\n')}\n`);
  console.log(`\n${lines.join('\n')}\nprofiles: bench/results/profiles/<process>/*.cpuprofile (open in Chrome DevTools), summary: bench/results/profile.md`);
}

const server = readConfig().databaseUrl;

async function main(server: string): Promise<void> {
  await installPeers();
  await mkdir(resultsFolder, { recursive: true });
  if (values.profile) await rm(profiles, { recursive: true, force: true });
  const databaseUrl = await benchDatabase(server);
  const seed = await seedNational(databaseUrl);
  await vacuum(databaseUrl);
  const database = await openDatabase({ databaseUrl, dataDir: 'memory://' });
  const started: Served[] = [];
  try {
    const subgraphs = await startSubgraphs(databaseUrl);
    started.push(...subgraphs);
    const gateways = await startGateways(subgraphs, databaseUrl);
    started.push(...Object.values(gateways));
    const schools = await schoolsOf(database.db, settings.schools);
    const mix = await mixFor(schools);
    say(`mix: ${mix.length} requests of ${schools.length} schools (a page of 50 enrollments, a learner, a branch search)`);
    await checkSameAnswers(gateways, mix);
    const comparison = await compare(gateways, subgraphs, mix);
    const whole = await wholeSchools(gateways, subgraphs, await schoolsOf(database.db, 100, wholeSchool.enrollments));
    // The other benchmarks start systems of their own: these stop first, so that nothing else runs.
    for (const served of started.splice(0).reverse()) await served.stop();
    if (values.profile) return await reportProfiles(comparison, whole);
    const floorFigures = await floor(databaseUrl);
    const others = await otherBenchmarks(server);
    await report({ seed, comparison, whole, floor: floorFigures, ...others });
  } finally {
    for (const served of started.reverse()) await served.stop().catch(() => undefined);
    await database.close();
  }
  say('done');
}

if (!server) {
  console.error(
    'Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db): the bench keeps its national population in a database of its own there.',
  );
  process.exit(1);
}
await main(server);
