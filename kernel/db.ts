import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import pg from 'pg';

/** The one database type the code sees: drizzle over PGlite or over node-postgres. */
export type Db = PgDatabase<PgQueryResultHKT>;

/** Raw SQL on one connection inside one transaction: what migrations need and drizzle does not offer. */
export interface RawTransaction {
  /** Runs a script of several statements (a migration file). */
  script(sql: string): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  rawTransaction<T>(work: (tx: RawTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; without it, PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite's folder, or `memory://` for a database that lives only in this process. */
  dataDir: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir);
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
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
    close: () => client.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url });
  // Fail at start-up with the driver's own message (wrong host, database missing), not on the first request.
  (await pool.connect()).release();
  return {
    kind: 'postgres',
    db: drizzlePostgres(pool),
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
    close: () => pool.end(),
  };
}
