import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { WebSocket } from 'ws';
import { readOperations } from '../gateway/composition.ts';
import { startSystem, type RunningSystem, type SystemOptions } from '../system/start.ts';
import { readConfig, type Config } from '../kernel/config.ts';
import { openDatabase, type Database } from '../kernel/db.ts';
import { graphqlHandler, listen, type Listening } from '../kernel/http.ts';
import { kernelMigrations, migrate } from '../kernel/migrations.ts';
import { createSubgraphServer, schemaFolder, type SubgraphServer } from '../kernel/subgraph.ts';
import { silentLogger } from '../kernel/logging.ts';
import { issueToken, type Viewer } from '../kernel/viewer.ts';
import { today } from '../kernel/scalars.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { importPersons } from '../subgraphs/learners/persons.ts';
import { bundledSchoolFile, importSchoolFile } from '../subgraphs/institutions/import.ts';

/**
 * The one harness for tests that cross a boundary: real databases, the real gateway and subgraphs.
 * Without DATABASE_URL every database is an in-memory PGlite; with it, every call gets a fresh
 * PostgreSQL database on that server, dropped again on close, so test files never share state.
 */
export async function freshDatabaseUrl(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const server = readConfig().databaseUrl;
  if (!server) return { url: undefined, drop: async () => undefined };
  const name = `register_graph_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A database of its own for a test file that works below the gateway (migrations, imports). */
export async function testDatabase(): Promise<Database & { drop(): Promise<void> }> {
  const fresh = await freshDatabaseUrl();
  const database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
  return {
    ...database,
    drop: async () => {
      await database.close();
      await fresh.drop();
    },
  };
}

/**
 * A fresh database and DATA_DIR of their own for commands run in processes of their own, as a user
 * runs them (test/cli.test.ts): `env` holds both, with `extra`; `drop` removes both again. Given
 * `migrated` (migratedDataDir), the embedded database in DATA_DIR starts as a copy of it.
 */
export async function commandEnvironment(
  extra: Record<string, string> = {},
  migrated?: string,
): Promise<{ env: Record<string, string | undefined>; drop(): Promise<void> }> {
  const fresh = await freshDatabaseUrl();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'register-graph-'));
  if (migrated && !fresh.url) await cp(migrated, dataDir, { recursive: true });
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: fresh.url, ...extra },
    drop: async () => {
      await fresh.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * An embedded database with every migration applied and nothing in it, for commandEnvironment to
 * copy: a process that opens a new one first creates it and applies the migrations, seconds each time.
 */
export async function migratedDataDir(): Promise<{ dir: string; drop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'register-graph-migrated-'));
  const database = await openDatabase({ databaseUrl: undefined, dataDir: dir });
  try {
    for (const name of [...kernelMigrations, ...subgraphs.map((subgraph) => subgraph.name)]) await migrate(database, name);
  } finally {
    await database.close();
  }
  return { dir, drop: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestSystem {
  config: Config;
  system: RunningSystem;
  url: string;
  token(viewer: Viewer): Promise<string>;
  /** POSTs one operation to the gateway, as a vendor's client would. */
  query<Data = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string | null },
  ): Promise<GraphQLResponse<Data>>;
  close(): Promise<void>;
}

export interface GraphQLResponse<Data> {
  status: number;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * Starts the embedded system (gateway and every subgraph, seeded) on a free port of its own. It logs
 * nothing unless `options.logger` says where; `options.spanExporter` receives its spans.
 */
export async function startTestSystem(environment: Record<string, string> = {}, options: SystemOptions = {}): Promise<TestSystem> {
  const fresh = await freshDatabaseUrl();
  const config = readConfig({ ...process.env, DATA_DIR: 'memory://', PORT: '0', ...(fresh.url ? { DATABASE_URL: fresh.url } : {}), ...environment });
  const system = await startSystem(config, { logger: silentLogger, ...options });
  const operator = await issueToken({ role: 'OPERATOR' }, config.tokenSecret);
  return {
    config,
    system,
    url: system.url,
    token: (viewer) => issueToken(viewer, config.tokenSecret),
    query: (query, options = {}) => postGraphQL(system.url, query, options.variables, options.token === undefined ? operator : options.token),
    close: async () => {
      await system.close();
      await fresh.drop();
    },
  };
}

/**
 * The subgraph `name` of a running test system served on its own port, past the gateway, over the
 * system's database and viewer secret: as the gateway asks it, or as a caller who skips the gateway
 * would. `subgraph` is the server it serves, for a test that also opens its subscriptions.
 */
export async function listenToSubgraph(system: TestSystem, name: string): Promise<Listening & { subgraph: SubgraphServer }> {
  const subgraph = subgraphs.find((candidate) => candidate.name === name)!;
  const server = await createSubgraphServer(subgraph, { database: system.system.database!, viewerSecret: system.config.viewerSecret, production: false });
  return { ...(await listen(graphqlHandler(server.server, server.contextFor), '127.0.0.1', 0, silentLogger)), subgraph: server };
}

export async function postGraphQL<Data>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** A valid BSN for each n: eight digits from n and the check digit the 11-proof asks for (docs/domain.md §3). */
export function bsnFor(n: number): string {
  for (let candidate = n * 10; ; candidate++) {
    const digits = String(candidate).padStart(8, '0').slice(-8);
    const sum = [...digits].reduce((total, digit, i) => total + (9 - i) * Number(digit), 0);
    if (sum % 11 < 10 && !/^0+$/.test(digits)) return `${digits}${sum % 11}`;
  }
}

/** A person of the person source as a persons file names it (README, "The person source"), living in Emmen unless `overrides` say otherwise. */
export function personLine(bsn: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bsn,
    familyName: 'de Vries',
    givenNames: 'Sanne',
    birthDate: '2019-03-01',
    gender: 'FEMALE',
    postcode: '7822HG',
    houseNumber: 12,
    municipalityCode: '0114',
    ...overrides,
  };
}

/** Applies persons to the person source as `npm run persons:import` does, from a file written for it. */
export async function importPersonLines(system: TestSystem, persons: Record<string, unknown>[]) {
  const folder = await mkdtemp(path.join(tmpdir(), 'persons-'));
  const file = path.join(folder, 'persons.jsonl');
  try {
    await writeFile(file, persons.map((person) => JSON.stringify(person)).join('\n'));
    return await importPersons(system.system.database!.db, file, { command: 'persons:import', user: 'test', host: 'localhost' });
  } finally {
    await rm(folder, { recursive: true });
  }
}

/** A school as a vendor's system knows it: its RIO references and a token to act for it. */
export interface School {
  brin6: string;
  providerCode: string;
  locationCode: string;
  offeredProgrammeId: string;
  token: string;
}

/**
 * Opens vestiging `brin6` of a school, as a newer DUO school file would: the bundled file with one more
 * line, a copy of the school's main vestiging (its BRIN4 and `00`) at another house number, so at a
 * location of its own. Files are applied in date order and the seed's is today's, so it is imported
 * as today's: the vestiging is active from today. The registers learn of it from the institutions
 * stream, a moment later.
 */
export async function openVestiging(system: TestSystem, brin6: string): Promise<void> {
  const lines = (await readFile(bundledSchoolFile)).toString('latin1').split('\r\n');
  const main = lines.find((line) => line.split(';')[3] === `${brin6.slice(0, 4)}00`)!.split(';');
  const vestiging = main.map((value, column) => (column === 3 ? brin6 : column === 4 ? `${value} (${brin6})` : column === 6 ? `${value}1` : value));
  const folder = await mkdtemp(path.join(tmpdir(), 'school-file-'));
  try {
    const file = path.join(folder, 'next.csv');
    await writeFile(file, Buffer.from([...lines.filter((line) => line !== ''), vestiging.join(';'), ''].join('\r\n'), 'latin1'));
    await importSchoolFile(system.system.database!.db, file, { referenceDate: today() });
  } finally {
    await rm(folder, { recursive: true });
  }
}

/** Looks up a branch's RIO references through the gateway and makes a vendor token for it. */
export async function schoolAt(system: Pick<TestSystem, 'query' | 'token'>, brin6: string): Promise<School> {
  const { data } = await system.query<{ branch: { provider: { code: string }; location: { code: string }; offeredProgrammes: { id: string }[] } }>(
    'query($brin6: ID!) { branch(brin6: $brin6) { provider { code } location { code } offeredProgrammes { id } } }',
    { variables: { brin6 } },
  );
  const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: brin6 });
  return {
    brin6,
    providerCode: data!.branch.provider.code,
    locationCode: data!.branch.location.code,
    offeredProgrammeId: data!.branch.offeredProgrammes[0]!.id,
    token,
  };
}

/** An enrollLearner input at `at` for the n-th test learner; `overrides` replace its fields. */
export function enrollmentInput(at: School, n: number, overrides: Record<string, unknown> = {}, learner: Record<string, unknown> = {}) {
  return {
    documentId: `enrollment-${n}-${randomBytes(4).toString('hex')}`,
    learner: { pgn: bsnFor(n), birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822 HG', ...learner },
    providerCode: at.providerCode,
    locationCode: at.locationCode,
    offeredProgrammeId: at.offeredProgrammeId,
    startDate: '2024-08-01',
    group: 2,
    schoolEnrollmentNumber: `N${n}`,
    ...overrides,
  };
}

/**
 * A subscriber as a school's system would run one, with the graphql-ws client: it keeps what it
 * receives and, with `resume`, subscribes again after any break with the cursor of the last event
 * it received (or the one a 4503 close named), at the URL `url()` gives then (a restarted gateway
 * may listen elsewhere).
 */
export class Follower<Item extends { cursor: string }> {
  readonly items: Item[] = [];
  readonly errors: { message: string; extensions?: Record<string, unknown> }[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  private client: Client | undefined;
  private stopped = false;
  private after: string | null;

  constructor(
    private readonly options: {
      url: () => string;
      token: string;
      query: string;
      field: string;
      variables?: Record<string, unknown>;
      after?: string | null;
      resume?: boolean;
    },
  ) {
    this.after = options.after ?? null;
    this.connect(this.after);
  }

  /** Where it resumes: after the last event it received, or where a 4503 close said. */
  get lastCursor(): string | null {
    return this.after;
  }

  private connect(after: string | null): void {
    if (this.stopped) return;
    const client = createClient({
      url: this.options.url().replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.options.token}` },
      retryAttempts: 0,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: unknown };
          this.closes.push({ code, reason: String(reason) });
          const named = code === 4503 ? /after: (\S+)$/.exec(String(reason))?.[1] : undefined;
          if (named) this.after = named;
        },
      },
    });
    this.client = client;
    client.subscribe<Record<string, Item>>(
      { query: this.options.query, variables: { ...this.options.variables, after } },
      {
        next: (result) => {
          if (result.errors) this.errors.push(...(result.errors as Follower<Item>['errors']));
          const item = result.data?.[this.options.field];
          if (item) {
            this.items.push(item);
            this.after = item.cursor;
          }
        },
        error: (error) => {
          if (Array.isArray(error)) this.errors.push(...error);
          void client.dispose();
          if (this.options.resume && !Array.isArray(error)) setTimeout(() => this.connect(this.lastCursor), 50);
        },
        complete: () => undefined,
      },
    );
  }

  /** Waits, as `eventually` does, until `done()` holds; a time out tells what this follower received. */
  until(what: string, done: () => boolean, options: { deadline?: number } = {}): Promise<void> {
    return eventually(what, done, {
      ...options,
      state: () => `${this.items.length} events, errors ${JSON.stringify(this.errors)}, closes ${JSON.stringify(this.closes)}`,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.dispose();
  }
}

/**
 * The one way a test waits for state it cannot await: until `check` holds, polling, for at most
 * `deadline` milliseconds. `check` holds when it neither returns false nor throws, so an `expect`
 * inside it may fail until it passes. A wait that times out says what it waited for, the state then
 * (`state`, for what a child process printed or a socket received) and why the last check failed.
 */
export async function eventually(what: string, check: () => unknown, options: { deadline?: number; state?: () => string } = {}): Promise<void> {
  const deadline = options.deadline ?? 10_000;
  const end = Date.now() + deadline;
  for (;;) {
    let failure: unknown;
    try {
      if ((await check()) !== false) return;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > end) {
      const state = options.state ? `; ${options.state()}` : '';
      const last = failure === undefined ? '' : `; the last check failed: ${failure instanceof Error ? failure.message : String(failure)}`;
      throw new Error(`Timed out after ${deadline} ms waiting for ${what}${state}${last}`, { cause: failure });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let operations: Map<string, string> | undefined;

/**
 * The text of a registered client operation (schema/operations, e.g. `Branch.graphql`): the schema check
 * keeps them valid, and tests run them as a vendor's client sends them.
 */
export function registeredOperation(name: string): string {
  operations ??= new Map(readOperations(path.join(schemaFolder, 'operations')).map((operation) => [operation.name, operation.source]));
  const source = operations.get(name);
  if (source === undefined) throw new Error(`No registered operation ${name} in schema/operations`);
  return source;
}

/**
 * Redis for the tests that share state through it: REDIS_URL, else the usual local server; undefined
 * (the tests skip, saying so) when neither answers a PING within a second.
 */
export async function reachableRedisUrl(): Promise<string | undefined> {
  const url = readConfig().redisUrl ?? 'redis://127.0.0.1:6379';
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG' ? url : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}
