import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { projectRoot, readConfig } from '../kernel/config.ts';
import { openDatabase, rowsOf } from '../kernel/db.ts';
import { verifyToken } from '../kernel/viewer.ts';
import { bundledSchoolFile } from '../subgraphs/institutions/import.ts';
import { commandEnvironment, migratedDataDir, postGraphQL } from './harness.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running extends Run {
  /** Sends SIGTERM, as Ctrl-C or a process manager would, and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** The processes a case started that still run: a case that fails or times out halfway leaves none for the next. */
const children = new Set<ChildProcess>();
afterEach(async () => {
  await Promise.all(
    [...children].map(async (child) => {
      const exited = new Promise((settle) => child.once('close', settle));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

/**
 * Runs one of the npm commands as a user would, in its own process, and collects what it prints:
 * until it exits, or, given `until`, until its output says it is up.
 */
function run(command: string[], env: Record<string, string | undefined>, until?: (stdout: string) => boolean): Promise<Running> {
  return new Promise((resolve, reject) => {
    // A variable set to undefined is left out: the command runs without it.
    const environment = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined));
    const child = spawn(command[0]!, command.slice(1), { cwd: projectRoot, env: environment });
    children.add(child);
    const exited = new Promise<number | null>((settle) => child.on('close', settle));
    void exited.then(() => children.delete(child));
    const result: Running = { code: null, stdout: '', stderr: '', stop: () => (child.kill('SIGTERM'), exited) };
    child.stdout.on('data', (chunk: Buffer) => {
      result.stdout += chunk.toString();
      if (until?.(result.stdout)) resolve(result);
    });
    child.stderr.on('data', (chunk: Buffer) => void (result.stderr += chunk.toString()));
    child.on('error', reject);
    void exited.then((code) => resolve(Object.assign(result, { code })));
  });
}

const tsx = (file: string, ...args: string[]) => ['node', '--import', 'tsx', `cli/${file}.ts`, ...args];

// One embedded database with the migrations applied, copied for each group of cases below: a first
// process on a new one would create it and apply them, seconds apiece. (PostgreSQL: a fresh database each.)
let migrated: Awaited<ReturnType<typeof migratedDataDir>> | undefined;
beforeAll(async () => {
  if (!readConfig().databaseUrl) migrated = await migratedDataDir();
});
afterAll(() => migrated?.drop());

describe('the commands', () => {
  let env: Record<string, string | undefined>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ env, drop } = await commandEnvironment({ PORT: '0' }, migrated?.dir));
  });
  afterAll(() => drop?.());

  it('npm run -s token prints only a token that the API accepts for that viewer', async () => {
    const result = await run(['npm', 'run', '-s', 'token', '--', '--role', 'VENDOR', '--vendor', '00000001800866472000', '--school', '16ah00'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const config = readConfig({ ...process.env, ...env });
    const viewer = await verifyToken(result.stdout.trim(), config.tokenSecret, config.tokenMaxLifetime);
    expect(viewer).toEqual({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
  });

  it('token refuses a lifetime longer than TOKEN_MAX_LIFETIME, saying the longest', async () => {
    const result = await run(tsx('token', '--role', 'OPERATOR', '--expires-in', '2d'), { ...env, TOKEN_MAX_LIFETIME: '36h' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('--expires-in 2d is longer than the register accepts: a token lives at most 36h (TOKEN_MAX_LIFETIME)\n');
  });

  it('token refuses a role without the flags it needs, naming the flag', async () => {
    const result = await run(tsx('token', '--role', 'MUNICIPALITY'), env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^--municipality: /);
  });

  it('rio:import loads the school file, reports counts, and finds nothing to change the second time', async () => {
    // A database of its own: a start in another case loads the school list into the shared one.
    const { env, drop } = await commandEnvironment({ PORT: '0' }, migrated?.dir);
    onTestFinished(() => drop());
    const first = await run(tsx('rio-import', bundledSchoolFile, '--date', '2026-08-01'), env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('read 6122 branches');
    expect(first.stdout).toMatch(/branches: created 6122\n/);
    expect(first.stdout).toMatch(/boards: created 749\n/);
    const second = await run(tsx('rio-import', bundledSchoolFile, '--date', '2026-09-01'), env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes: the register already matches this file (6122 branches).');
    // Two imports of the national school list, each in a process of its own: about 12 s apiece on an
    // idle two-core machine, and more than twice that while other test files run beside it.
  }, 120_000);

  it('rio:import refuses a file that is not the DUO school list, with its error code', async () => {
    const result = await run(tsx('rio-import', path.join(projectRoot, 'README.md')), env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^BAD_USER_INPUT: Not DUO's "Alle schoolvestigingen basisonderwijs" file/);
  });

  it('start prints the GraphQL URL and a ready line, serves on that URL, refuses a second process on the same embedded database, and stops cleanly on SIGTERM', async () => {
    // One start for all of it: the first start on a fresh database loads the school list, seconds on two cores.
    const server = await run(tsx('start'), env, (stdout) => /Ready in .*\n/.test(stdout));
    try {
      const url = /GraphQL: (\S+)/.exec(server.stdout)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      const token = (await run(tsx('token', '--role', 'OPERATOR'), env)).stdout.trim();
      const response = await postGraphQL<{ branch: { name: string } }>(url!, '{ branch(brin6: "16AH00") { name } }', undefined, token);
      expect(response.data).toEqual({ branch: { name: "Openbare Basisschool 't Eenspan" } });
      // PostgreSQL is shared between processes; the embedded database is one process's alone.
      if (!process.env.DATABASE_URL) {
        const second = await run(tsx('rio-import', bundledSchoolFile), env);
        expect(second.code).toBe(1);
        expect(second.stderr).toMatch(/^The embedded database in .* is in use by process \d+\. Stop it first/);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stdout).toContain('SIGTERM: stopping');
    expect(existsSync(`${env.DATA_DIR}.lock`)).toBe(false);
  }, 120_000);

  it('start refuses an invalid configuration with one readable message', async () => {
    const result = await run(tsx('start'), { ...env, PORT: 'abc', SERVE: 'gateway', DATABASE_URL: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toContain('PORT: must be a port number');
    expect(result.stderr).toContain('SUBGRAPH_URLS: SERVE=gateway needs the URL of every subgraph');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm run persons:import', () => {
  // A database of its own: what the other commands left running or written is none of its business.
  let env: Record<string, string | undefined>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ env, drop } = await commandEnvironment({}, migrated?.dir));
  });
  afterAll(() => drop?.());

  it('registers the persons of a file, finds nothing to change the second time, and applies a move', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'persons-'));
    const file = path.join(folder, 'persons.jsonl');
    const anna = {
      bsn: '111222333',
      familyName: 'de Vries',
      givenNames: 'Anna',
      birthDate: '2019-03-01',
      gender: 'FEMALE',
      postcode: '7822HG',
      houseNumber: 12,
      municipalityCode: '0114',
    };
    const ben = {
      bsn: '123456782',
      familyName: 'Smit',
      birthDate: '2018-05-14',
      gender: 'MALE',
      postcode: '1011AB',
      houseNumber: 3,
      houseNumberAddition: 'A',
      municipalityCode: '0363',
    };
    await writeFile(file, `${JSON.stringify(anna)}\n\n${JSON.stringify(ben)}\n`);
    const first = await run(tsx('persons-import', file), env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Applied 2 persons:\n  persons: registered 2, unchanged 0\n');
    const again = await run(tsx('persons-import', file), env);
    expect(again.stdout).toContain('No changes: the person source already holds these 2 persons.');
    await writeFile(file, `${JSON.stringify({ ...anna, postcode: '1011AB', houseNumber: 7, municipalityCode: '0363' })}\n`);
    const moved = await run(tsx('persons-import', file), env);
    expect(moved.stdout).toContain('persons: moved 1, unchanged 0');
  });

  it('refuses a file with a bad line, naming the line and the field, and applies none of it', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'persons-'));
    const file = path.join(folder, 'persons.jsonl');
    const good = {
      bsn: '234567004',
      familyName: 'Bakker',
      birthDate: '2019-01-01',
      gender: 'MALE',
      postcode: '7822HG',
      houseNumber: 1,
      municipalityCode: '0114',
    };
    await writeFile(file, `${JSON.stringify(good)}\n${JSON.stringify({ ...good, bsn: '111222334' })}\n`);
    const result = await run(tsx('persons-import', file), env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^BAD_USER_INPUT: persons.jsonl line 2: bsn: /);
    await writeFile(file, `${JSON.stringify(good)}\n`);
    expect((await run(tsx('persons-import', file), env)).stdout).toContain('registered 1');
  });

  it('writes one audit log line per run, naming the command, the user, the file and its SHA-256 and the counts, and no person', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'persons-'));
    const file = path.join(folder, 'audited.jsonl');
    const cas = {
      bsn: '345678011',
      familyName: 'Jansen',
      givenNames: 'Cas',
      birthDate: '2018-11-23',
      gender: 'MALE',
      postcode: '7822HG',
      houseNumber: 5,
      municipalityCode: '0114',
    };
    const dirk = { ...cas, bsn: '456789005', familyName: 'Mulder', givenNames: 'Dirk', birthDate: '2017-02-14' };
    const sha256 = async () =>
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    await writeFile(file, `${JSON.stringify(cas)}\n${JSON.stringify(dirk)}\n`);
    expect((await run(tsx('persons-import', file), env)).code).toBe(0);
    const added = await sha256();
    await writeFile(file, `${JSON.stringify({ ...cas, houseNumber: 6 })}\n${JSON.stringify(dirk)}\n`);
    expect((await run(tsx('persons-import', file), env)).code).toBe(0);
    const changed = await sha256();
    await writeFile(file, `${JSON.stringify({ ...cas, birthDate: '23-11-2018' })}\n`);
    expect((await run(tsx('persons-import', file), env)).code).toBe(1);
    const refused = await sha256();

    const config = readConfig({ ...process.env, ...env });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const lines = rowsOf<Record<string, unknown>>(
        await database.db.execute(
          sql`SELECT register, actor_role, actor, school, action, object, result, origin FROM audit.log WHERE object LIKE 'audited.jsonl %' ORDER BY seq`,
        ),
      );
      const by = {
        register: 'learners',
        actor_role: 'COMMAND',
        actor: `persons:import (${userInfo().username})`,
        school: null,
        action: 'IMPORT_PERSONS',
        origin: hostname(),
      };
      expect(lines).toEqual([
        { ...by, object: `audited.jsonl sha256:${added}: added 2, changed 0, unchanged 0`, result: 'ALLOWED' },
        { ...by, object: `audited.jsonl sha256:${changed}: added 0, changed 1, unchanged 1`, result: 'ALLOWED' },
        { ...by, object: `audited.jsonl sha256:${refused}`, result: 'REFUSED' },
      ]);
      expect(JSON.stringify(lines)).not.toMatch(/345678011|456789005|Jansen|Mulder|Cas|Dirk|2018-11-23|2017-02-14|23-11-2018/);
    } finally {
      await database.close();
    }
  });
});

describe('npm run seed', () => {
  let env: Record<string, string | undefined>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ env, drop } = await commandEnvironment({}, migrated?.dir));
  });
  afterAll(() => drop?.());

  it('refuses the whole national population on the embedded database, pointing to DATABASE_URL and --scale', async () => {
    const result = await run(tsx('seed', '--national'), { ...env, DATABASE_URL: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/needs PostgreSQL: set DATABASE_URL, or pass --scale 0.05 or less/);
  });

  it('registers a scaled national population with progress, and a second run goes on without registering it again', async () => {
    const first = await run(tsx('seed', '--national', '--scale', '0.002'), env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/demo vendor mandated at every school: \d+ new mandates/);
    const registered = /learners: (\d+) learners, (\d+) enrollments, \d+ transfer notices, (\d+) persons in the person source/.exec(first.stdout);
    expect(Number(registered?.[1])).toBeGreaterThan(6000);
    expect(Number(registered?.[3])).toBeGreaterThan(Number(registered?.[1]) * 0.9);
    expect(first.stdout).toMatch(/funding.enrollments: took in \d+ events of learners/);
    expect(first.stdout).toMatch(/absence.learners: took in \d+ events of learners/);
    expect(first.stdout).toMatch(/done\n$/);
    const second = await run(tsx('seed', '--national', '--scale', '0.002'), env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('demo vendor mandated at every school already');
    expect(second.stdout).toContain('the register holds learners already; the population is not registered again');
    expect(second.stdout).not.toMatch(/took in/);
  }, 180_000);

  it('refuses a --scale outside (0, 1] with the usage', async () => {
    const result = await run(tsx('seed', '--national', '--scale', '2'), env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^--scale must be a number above 0 and at most 1, not 2\nusage: npm run seed/);
  });
});
