import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Timeouts } from './config.ts';
import { retry } from './retry.ts';
import { AdvisoryLeases, soleProcessLeases, type Leases } from './leases.ts';

/** The one database type the code sees: drizzle over PGlite or over node-postgres. */
export type Db = PgDatabase<PgQueryResultHKT>;

/** Raw SQL on one connection inside one transaction: what migrations need and drizzle does not offer. */
export interface RawTransaction {
  /** Runs a script of several statements (a migration file). */
  script(sql: string): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/**
 * Raises the statement and idle-transaction timeouts (DATABASE_STATEMENT_TIMEOUT and
 * DATABASE_IDLE_TRANSACTION_TIMEOUT, meant for requests) to 15 minutes for the rest of the caller's
 * transaction, in one statement: for work whose size is the country's, which a request never does
 * (the national seed, a count date over 1.4 million enrollments, a migration of a national table).
 * Each caller says why. Still bounded, so that a statement that hangs ends some day.
 */
export const longWorkStatement = "SELECT set_config('statement_timeout', '15min', true), set_config('idle_in_transaction_session_timeout', '15min', true)";

export async function allowLongWork(tx: Db): Promise<void> {
  await tx.execute(sql.raw(longWorkStatement));
}

/** node-postgres and PGlite answer drizzle's `execute` with different result types; both carry `rows`. */
export function rowsOf<Row>(result: unknown): Row[] {
  return (result as { rows: Row[] }).rows;
}

/**
 * `column = ANY(values)`: a batch of keys as one array parameter. drizzle's `inArray` binds one
 * parameter per key, and building that statement for a whole school's 220 learners, binding and
 * parsing it cost the learners subgraph more than the rows did (bench --profile, issue 20).
 */
export function anyOf(column: PgColumn, values: readonly unknown[]): SQL {
  return sql`${column} = ANY(${sql.param(values)}::${sql.raw(column.getSQLType())}[])`;
}

/** How many rows a write changed: node-postgres says `rowCount`, PGlite `affectedRows`. */
export function changedRowsOf(result: unknown): number {
  const { rowCount, affectedRows } = result as { rowCount?: number | null; affectedRows?: number };
  return rowCount ?? affectedRows ?? 0;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  rawTransaction<T>(work: (tx: RawTransaction) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` on every NOTIFY on `channel` (a bare lowercase name) until the returned function
   * is called. A wake-up only: a notification can be missed (a dropped connection), so whoever listens
   * also looks on its own now and then.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Leases for work that runs once across the processes on this database (kernel/leases.ts): on
   * PostgreSQL advisory locks on a connection of their own; on PGlite, one process, every lease held.
   */
  leases(): Leases;
  close(): Promise<void>;
}

const channelName = /^[a-z_]+$/;

export interface DatabaseOptions {
  /** A postgres:// URL; without it, PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite's folder, or `memory://` for a database that lives only in this process. */
  dataDir: string;
  /** Where lost and restored connections are reported. @default console.error */
  log?: ((message: string) => void) | undefined;
  /**
   * On PostgreSQL, how long getting a connection, a statement and an idle transaction may take
   * (config.ts); unset: as long as they take. PGlite runs in the process and cannot time a statement
   * (its WebAssembly build has no timer signals), so there only the request's timeout applies.
   */
  timeouts?: Pick<Timeouts, 'connectMs' | 'statementMs' | 'idleInTransactionMs'> | undefined;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.log ?? ((message) => console.error(message)), options.timeouts)
    : openPglite(options.dataDir);
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  const unlock = inMemory ? async () => undefined : await lockDataDir(dataDir);
  const client = await PGlite.create(dataDir).catch(async (error: unknown) => {
    await unlock();
    throw error;
  });
  return {
    kind: 'pglite',
    db: drizzlePglite(client),
    rawTransaction: (work) =>
      client.transaction((tx) =>
        work({
          script: async (sql) => void (await tx.exec(sql)),
          query: async <Row>(sql: string, params?: unknown[]) => (await tx.query<Row>(sql, params)).rows,
        }),
      ),
    listen: async (channel, onNotify) => {
      if (!channelName.test(channel)) throw new Error(`Not a channel name: ${JSON.stringify(channel)}`);
      const unlisten = await client.listen(channel, () => onNotify());
      return () => unlisten();
    },
    leases: soleProcessLeases,
    close: async () => {
      await client.close();
      await unlock();
    },
  };
}

export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
}

/**
 * PGlite is one database in one process: a second process on the same folder would corrupt it. A
 * lock file beside the folder keeps a second `npm start` (or an import while the server runs) out;
 * one left by a process that has died is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const lock = `${dataDir}.lock`;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (holder && holder !== process.pid && isRunning(holder)) {
        throw new DatabaseInUseError(
          `The embedded database in ${dataDir} is in use by process ${holder}. Stop it first, or set DATABASE_URL to share PostgreSQL between processes.`,
        );
      }
      await rm(lock, { force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * node-postgres settings for every connection of a process: the timeouts go in the startup message,
 * so that they cost no statement (no round trip per query or transaction). TCP keepalive finds a
 * peer that vanished without a word (a host down, a cable pulled), which no timeout of an idle
 * connection would.
 */
function connectionSettings(url: string, timeouts: DatabaseOptions['timeouts']): pg.ClientConfig {
  return {
    connectionString: url,
    keepAlive: true,
    ...(timeouts && {
      connectionTimeoutMillis: timeouts.connectMs,
      statement_timeout: timeouts.statementMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    }),
  };
}

async function openPostgres(url: string, log: (message: string) => void, timeouts: DatabaseOptions['timeouts']): Promise<Database> {
  const settings = connectionSettings(url, timeouts);
  // The pool's connectionTimeoutMillis also bounds the wait for a free connection when all are busy.
  const pool = new pg.Pool(settings);
  // An idle connection that dies (a database restart) is dropped by the pool and replaced on the next
  // query; without a listener its 'error' would end the process.
  pool.on('error', (error) => log(`PostgreSQL connection lost: ${error.message}`));
  const open = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    // A connection that dies while its client is checked out, between two queries of a transaction,
    // reports on the client, not the pool: the next query fails and the pool drops the client.
    client.on('error', () => undefined);
    client.query(quietServerLog).catch(() => undefined);
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  // Fail at start-up with the driver's own message (wrong host, database missing, refused), not on
  // the first request; the caller decides whether to try again (system/start.ts).
  try {
    (await pool.connect()).release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const listener = new Listener(settings, log);
  return {
    kind: 'postgres',
    db: releasingTransactions(drizzlePostgres(pool), pool),
    rawTransaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          // Without parameters node-postgres uses the simple query protocol, which accepts several statements.
          script: async (sql) => void (await client.query(sql)),
          query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[],
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onNotify) => listener.add(channel, onNotify),
    leases: () => new AdvisoryLeases(settings, log),
    close: async () => {
      await listener.close();
      // pool.end() resolves once it has asked its connections to close, not once they are closed.
      const closing = [...open].map((client) => new Promise((resolve) => client.once('end', resolve)));
      await pool.end();
      await Promise.all(closing);
    },
  };
}

/**
 * What PostgreSQL's own log may keep of the register's failed statements: no parameters
 * (log_parameter_max_length_on_error, which any role may set and whose default 0 a server may have
 * changed), and where the role may set them (a superuser; the README has the ALTER ROLE for others),
 * no parameters of statements it logs otherwise (log_parameter_max_length) and no DETAIL, HINT or
 * CONTEXT lines (log_error_verbosity terse): a DETAIL holds the failing row's values or the
 * duplicate key. The failed statement's text stays: it has placeholders, never values.
 */
const quietServerLog = `DO $$ BEGIN
  PERFORM set_config('log_parameter_max_length_on_error', '0', false);
  BEGIN
    PERFORM set_config('log_parameter_max_length', '0', false);
    PERFORM set_config('log_error_verbosity', 'terse', false);
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
END $$`;

/**
 * drizzle's `transaction` on a pool (0.45.4) runs BEGIN before the try whose finally releases the
 * client it checked out, so a BEGIN that fails leaks that client for good: a connection that died
 * while idle in the pool (a database restart) fails exactly there, and a few restarts leave a pool
 * whose every `connect()` waits forever, and a `close()` that never ends (drizzle-orm issues 6023
 * and 6241, open). Here the pool client is checked out and released around drizzle's transaction
 * on that one client, which releases nothing; the pool drops a client whose connection is gone.
 */
function releasingTransactions(db: NodePgDatabase, pool: pg.Pool): NodePgDatabase {
  const onClient = new WeakMap<pg.PoolClient, NodePgDatabase>();
  db.transaction = async (work, config) => {
    const client = await pool.connect();
    try {
      let own = onClient.get(client);
      if (!own) onClient.set(client, (own = drizzlePostgres(client)));
      return await own.transaction(work, config);
    } finally {
      client.release();
    }
  };
  return db;
}

/**
 * The LISTENs of one process on PostgreSQL, on one connection of their own (a pooled connection is
 * shared, and LISTEN belongs to a session). When that connection is lost, it is opened again after
 * a second and every channel listened to again; notifications sent meanwhile are missed, which the
 * listeners' own polling covers.
 */
class Listener {
  private readonly channels = new Map<string, Set<() => void>>();
  private client: Promise<pg.Client> | undefined;
  /** Aborted by `close()`: opening the connection again stops. */
  private readonly closing = new AbortController();
  /** LISTEN and UNLISTEN one after the other: a pg client runs one query at a time. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: pg.ClientConfig,
    private readonly log: (message: string) => void,
  ) {}

  async add(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    if (!channelName.test(channel)) throw new Error(`Not a channel name: ${JSON.stringify(channel)}`);
    const known = this.channels.get(channel);
    if (known) known.add(onNotify);
    else {
      this.channels.set(channel, new Set([onNotify]));
      await this.command(`LISTEN ${channel}`);
    }
    return async () => {
      const callbacks = this.channels.get(channel);
      callbacks?.delete(onNotify);
      if (callbacks?.size === 0 && !this.closed) {
        this.channels.delete(channel);
        await this.command(`UNLISTEN ${channel}`).catch(() => undefined);
      }
    };
  }

  private command(text: string): Promise<unknown> {
    const next = this.last.catch(() => undefined).then(async () => (await this.connection()).query(text));
    this.last = next;
    return next;
  }

  private connection(): Promise<pg.Client> {
    if (!this.client) {
      const connecting = this.connect();
      // A failed connection is not kept: the next call tries again.
      connecting.catch(() => {
        if (this.client === connecting) this.client = undefined;
      });
      this.client = connecting;
    }
    return this.client;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.settings);
    client.on('notification', (message) => this.channels.get(message.channel)?.forEach((onNotify) => onNotify()));
    client.on('error', (error) => {
      this.log(`PostgreSQL LISTEN connection lost: ${error.message}; listening again in a second`);
      this.client = undefined;
      client.end().catch(() => undefined);
      void this.relisten();
    });
    await client.connect();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`);
    return client;
  }

  /** Opens the connection again a second after it was lost, and every second until it is back. */
  private async relisten(): Promise<void> {
    await retry(() => this.connection(), {
      waits: 1000,
      waitFirst: true,
      signal: this.closing.signal,
      onRetry: (error) => this.log(`PostgreSQL LISTEN connection not back yet: ${(error as Error).message}`),
    });
  }

  private get closed(): boolean {
    return this.closing.signal.aborted;
  }

  async close(): Promise<void> {
    this.closing.abort();
    const client = await this.client?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}
