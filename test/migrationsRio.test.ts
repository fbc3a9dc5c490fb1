import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { migrate, migrationsRoot } from '../kernel/migrations.ts';
import { testDatabase } from './harness.ts';

/*
 * The move of the import history into one history of every change (migrations/institutions/0004),
 * and the learners register's copy of RIO taking location uses (migrations/learners/0010), on a
 * database that holds rows of the old shape: migrated up to before them, filled, then migrated on.
 * Runs on PGlite, and on PostgreSQL with DATABASE_URL.
 */

const programme = '5cbfc5b3-130a-52b4-b91b-6764dbc69471';

describe('institutions 0004 and learners 0010 on a register that imported school files', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let oldRoot: string;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));

  beforeAll(async () => {
    database = await testDatabase();
    oldRoot = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    for (const [register, before] of [
      ['institutions', '0004'],
      ['learners', '0010'],
    ] as const) {
      for (const file of (await readdir(path.join(migrationsRoot, register))).filter((name) => name < before)) {
        await cp(path.join(migrationsRoot, register, file), path.join(oldRoot, register, file));
      }
      await migrate(database, register, oldRoot);
    }
    await database.db.execute(sql`INSERT INTO institutions.board (code, competent_authority_number) VALUES ('042B830', '42830')`);
    await database.db.execute(sql`INSERT INTO institutions.provider (code, brin4, name, board_code) VALUES ('010A823', '16AH', 'Eenspan', '042B830')`);
    await database.db.execute(sql`INSERT INTO institutions.location (code, address_key, street, house_number, postcode, city, municipality_code)
      VALUES ('646X831', '7822HG 58', 'Oosterstraat', '58', '7822HG', 'EMMEN', '0114')`);
    await database.db.execute(sql`INSERT INTO institutions.offered_programme (id, provider_code, location_code, kind, name)
      VALUES (${programme}, '010A823', '646X831', 'BASISONDERWIJS', 'Basisonderwijs')`);
    await database.db.execute(sql`INSERT INTO institutions.import_run (id, file_name, sha256, reference_date, imported_at, counts) VALUES
      (1, 'august.csv', 'a', '2026-08-01', '2026-08-01T06:00:00Z', '{}'), (2, 'october.csv', 'b', '2026-10-01', '2026-10-01T06:00:00Z', '{}')`);
    await database.db.execute(sql`INSERT INTO institutions.import_change (run_id, entity, key, change, before, after) VALUES
      (1, 'providers', '010A823', 'created', NULL, '{"name": "Eenspan"}'),
      (2, 'providers', '010A823', 'renamed', '{"name": "Eenspan"}', '{"name": "Het Eenspan"}'),
      (2, 'branches', '03WU00', 'closed', '{"endDate": null}', '{"endDate": "2026-09-30"}')`);
    for (const register of ['institutions', 'learners']) await migrate(database, register);
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    if (oldRoot) await rm(oldRoot, { recursive: true });
  });

  it('keeps every imported change, by its file, taking effect on its file date; the first load on every day', async () => {
    const changes = await query<{
      entity: string;
      key: string;
      change: string;
      effective_on: string | null;
      run_id: number;
      actor: string;
      recorded_at: string;
    }>(sql`SELECT entity, key, change, effective_on::text, run_id, actor, recorded_at::text FROM institutions.change ORDER BY id`);
    expect(changes.map(({ recorded_at: _, ...change }) => change)).toEqual([
      { entity: 'providers', key: '010A823', change: 'created', effective_on: null, run_id: 1, actor: 'file/august.csv' },
      { entity: 'providers', key: '010A823', change: 'renamed', effective_on: '2026-10-01', run_id: 2, actor: 'file/october.csv' },
      { entity: 'branches', key: '03WU00', change: 'closed', effective_on: '2026-10-01', run_id: 2, actor: 'file/october.csv' },
    ]);
    expect(await query(sql`SELECT to_regclass('institutions.import_change') AS name`)).toEqual([{ name: null }]);
  });

  it('leaves every object to the school file, and lets a programme be offered again at its place', async () => {
    expect(await query(sql`SELECT maintainer, name_in_use FROM institutions.provider`)).toEqual([{ maintainer: null, name_in_use: null }]);
    await database.db.execute(sql`INSERT INTO institutions.offered_programme (id, provider_code, location_code, kind, name, start_date)
      VALUES ('6f1c0f2e-0000-4000-8000-000000000001', '010A823', '646X831', 'BASISONDERWIJS', 'Basisonderwijs', '2027-08-01')`);
    expect(await query(sql`SELECT count(*)::int AS n FROM institutions.offered_programme`)).toEqual([{ n: 2 }]);
  });

  it("lets the learners register's copy of RIO keep a location use with its vestiging", async () => {
    await database.db.execute(sql`INSERT INTO learners.rio_object (kind, code, location_code, brin6, start_date)
      VALUES ('LOCATION_USE', '6f1c0f2e-0000-4000-8000-000000000002', '646X831', '16AH00', '2026-09-01')`);
    expect(await query(sql`SELECT kind, brin6 FROM learners.rio_object`)).toEqual([{ kind: 'LOCATION_USE', brin6: '16AH00' }]);
    await expect(database.db.execute(sql`INSERT INTO learners.rio_object (kind, code) VALUES ('SOMETHING', 'x')`)).rejects.toThrow();
  });
});
