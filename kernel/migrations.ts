import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from './config.ts';
import { sql } from 'drizzle-orm';
import { longWorkStatement, rowsOf, type Database } from './db.ts';

/** `migrations/<subgraph>/NNNN_verb_object.sql`: the storage contract, append-only. */

/** Migration folders of the kernel's own tables, applied before any subgraph's: the audit log. */
export const kernelMigrations = ['audit'];
export const migrationsRoot = path.join(projectRoot, 'migrations');

const migrationFile = /^\d{4}_[a-z0-9_]+\.sql$/;

export interface MigrationResult {
  subgraph: string;
  applied: string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Applies the subgraph's migrations that are not yet recorded, in file-name order, each with its
 * record in one transaction. An advisory lock makes replicas that start together take turns; an
 * applied file whose content has changed since is refused, because migrations are append-only.
 */
export async function migrate(database: Database, subgraph: string, root = migrationsRoot): Promise<MigrationResult> {
  const files = await migrationFiles(path.join(root, subgraph));
  return database.rawTransaction(async (tx) => {
    // A migration may rebuild a national table (an index over 1.4 million rows), and a replica waits
    // here for the one migrating: neither is a request's statement.
    await tx.query(longWorkStatement);
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['register-graph migrations']);
    await tx.script(`CREATE TABLE IF NOT EXISTS public.schema_migration (
      subgraph text NOT NULL, file text NOT NULL, sha256 text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (subgraph, file))`);
    const recorded = new Map(
      (await tx.query<{ file: string; sha256: string }>('SELECT file, sha256 FROM public.schema_migration WHERE subgraph = $1', [subgraph])).map((row) => [
        row.file,
        row.sha256,
      ]),
    );
    const applied: string[] = [];
    for (const file of files) {
      const known = recorded.get(file.name);
      if (known === file.sha256) continue;
      if (known) throw new MigrationError(`migrations/${subgraph}/${file.name} was changed after it was applied; add a new migration instead`);
      try {
        await tx.script(file.sql);
      } catch (error) {
        throw new MigrationError(`migrations/${subgraph}/${file.name} failed: ${(error as Error).message}`);
      }
      await tx.query('INSERT INTO public.schema_migration (subgraph, file, sha256) VALUES ($1, $2, $3)', [subgraph, file.name, file.sha256]);
      applied.push(file.name);
    }
    return { subgraph, applied };
  });
}

/**
 * The migrations of `names` not applied as they are on disk (missing from public.schema_migration,
 * or applied with other content), as `name/file`: what /readyz waits for.
 */
export async function pendingMigrations(database: Database, names: readonly string[], root = migrationsRoot): Promise<string[]> {
  const recorded = await database.db
    .execute(sql`SELECT subgraph, file, sha256 FROM public.schema_migration WHERE subgraph = ANY(${sql.param(names)}::text[])`)
    .then((result) => new Set(rowsOf<{ subgraph: string; file: string; sha256: string }>(result).map((row) => `${row.subgraph}/${row.file}/${row.sha256}`)))
    .catch((error: { code?: string; cause?: { code?: string } }) => {
      // 42P01, undefined_table: before the first migration there is no record, and everything is pending.
      if ((error.code ?? error.cause?.code) === '42P01') return new Set<string>();
      throw error;
    });
  const pending: string[] = [];
  for (const name of names) {
    for (const file of await migrationFiles(path.join(root, name)))
      if (!recorded.has(`${name}/${file.name}/${file.sha256}`)) pending.push(`${name}/${file.name}`);
  }
  return pending;
}

async function migrationFiles(folder: string) {
  const names = (await readdir(folder)).sort();
  const stray = names.filter((name) => !migrationFile.test(name));
  if (stray.length) throw new MigrationError(`${folder}: not named NNNN_verb_object.sql: ${stray.join(', ')}`);
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(folder, name), 'utf8');
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}
