import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase } from '../test/harness.ts';
import { migrate, MigrationError } from './migrations.ts';

describe('migrate', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let root: string;

  const write = (file: string, sql: string) => writeFile(path.join(root, 'sample', file), sql);
  const tables = async () =>
    (
      await database.rawTransaction((tx) =>
        tx.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'sample' ORDER BY table_name"),
      )
    ).map((row) => row.table_name);

  // Each case starts from a database of its own and the two first files, and migrates as far as it needs.
  beforeEach(async () => {
    database = await testDatabase();
    root = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await mkdir(path.join(root, 'sample'));
    await write('0001_create_schema.sql', 'CREATE SCHEMA sample;');
    await write('0002_create_thing.sql', 'CREATE TABLE sample.thing (id int PRIMARY KEY);\nINSERT INTO sample.thing VALUES (1);');
  });
  afterEach(() => database.drop());

  it('applies the files in name order and records them', async () => {
    const result = await migrate(database, 'sample', root);
    expect(result.applied).toEqual(['0001_create_schema.sql', '0002_create_thing.sql']);
    expect(await tables()).toEqual(['thing']);
  });

  it('applies nothing when run again', async () => {
    await migrate(database, 'sample', root);
    expect((await migrate(database, 'sample', root)).applied).toEqual([]);
  });

  it('applies only a file added since', async () => {
    await migrate(database, 'sample', root);
    await write('0003_create_other.sql', 'CREATE TABLE sample.other (id int);');
    expect((await migrate(database, 'sample', root)).applied).toEqual(['0003_create_other.sql']);
    expect(await tables()).toEqual(['other', 'thing']);
  });

  it('rolls back a failing file whole and records nothing of it', async () => {
    await write('0003_create_other.sql', 'CREATE TABLE sample.other (id int);');
    await migrate(database, 'sample', root);
    await write('0004_break_halfway.sql', 'CREATE TABLE sample.half (id int);\nSELECT no_such_function();');
    await expect(migrate(database, 'sample', root)).rejects.toThrow(/0004_break_halfway\.sql failed/);
    expect(await tables()).toEqual(['other', 'thing']);
    await write('0004_break_halfway.sql', 'CREATE TABLE sample.half (id int);');
    expect((await migrate(database, 'sample', root)).applied).toEqual(['0004_break_halfway.sql']);
  });

  it('refuses a file that was changed after it was applied', async () => {
    await migrate(database, 'sample', root);
    await write('0002_create_thing.sql', 'CREATE TABLE sample.thing (id bigint PRIMARY KEY);');
    await expect(migrate(database, 'sample', root)).rejects.toThrow(MigrationError);
    await expect(migrate(database, 'sample', root)).rejects.toThrow(/0002_create_thing\.sql was changed after it was applied/);
  });

  it('refuses a file not named NNNN_verb_object.sql', async () => {
    await mkdir(path.join(root, 'stray'));
    await writeFile(path.join(root, 'stray', 'init.sql'), 'SELECT 1;');
    await expect(migrate(database, 'stray', root)).rejects.toThrow(/not named NNNN_verb_object\.sql: init\.sql/);
  });
});
