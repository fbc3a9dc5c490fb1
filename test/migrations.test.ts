import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { migrate, migrationsRoot } from '../kernel/migrations.ts';
import { testDatabase } from './harness.ts';

/*
 * The move of each learner's one record into deliveries (migrations/learners/0004, funding/0004,
 * absence/0004), on a database that holds rows of the old shape: the registers migrated up to 0003,
 * filled, then migrated on. Nothing may be lost. Runs on PGlite, and on PostgreSQL with DATABASE_URL.
 */

const registers = ['learners', 'funding', 'absence'];
const ids = {
  twice: '00000000-0000-4000-8000-000000000001',
  replaced: '00000000-0000-4000-8000-000000000002',
  identified: '00000000-0000-4000-8000-000000000003',
  orphan: '00000000-0000-4000-8000-000000000004',
  atA: '00000000-0000-4000-8000-00000000000a',
  atB: '00000000-0000-4000-8000-00000000000b',
  replacedAt: '00000000-0000-4000-8000-00000000000c',
};

/** A database with the registers migrated up to 0003 and filled with rows of the old shape. */
async function registersBefore0004(): Promise<{ database: Awaited<ReturnType<typeof testDatabase>>; oldRoot: string }> {
  const database = await testDatabase();
  // The migrations as they were before: up to 0003 of each register.
  const oldRoot = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  for (const register of registers) {
    for (const file of (await readdir(path.join(migrationsRoot, register))).filter((name) => name < '0004')) {
      await cp(path.join(migrationsRoot, register, file), path.join(oldRoot, register, file));
    }
    await migrate(database, register, oldRoot);
  }
  await database.db
    .execute(sql`INSERT INTO learners.learner (id, pgn, pgn_kind, birth_date, gender, postcode, family_name, given_names, municipality_code, municipality_source, identified_by, created_at) VALUES
    (${ids.twice}, '111222333', 'BSN', '2018-04-04', 'FEMALE', '7822HG', 'de Vries', 'Sanne', '0363', 'OVERRIDE', NULL, '2024-08-01T08:00:00Z'),
    (${ids.replaced}, '123456782', 'BSN', '2019-05-05', 'MALE', '9571AZ', 'Jansen', NULL, '1681', 'POSTCODE', '16AH00', '2024-07-01T08:00:00Z'),
    (${ids.identified}, '100000004', 'ONDERWIJSNUMMER', '2020-06-06', 'UNDETERMINED', '7822HG', 'Bakker', NULL, '0114', 'POSTCODE', '03WU00', '2025-01-01T08:00:00Z')`);
  await database.db.execute(sql`INSERT INTO learners.learner_pgn (pgn, learner_id, kind, assigned_at, replaced_at) VALUES
    ('111222333', ${ids.twice}, 'BSN', '2024-08-01T08:00:00Z', NULL),
    ('101222331', ${ids.replaced}, 'ONDERWIJSNUMMER', '2024-07-01T08:00:00Z', '2025-03-01T08:00:00Z'),
    ('123456782', ${ids.replaced}, 'BSN', '2025-03-01T08:00:00Z', NULL),
    ('100000004', ${ids.identified}, 'ONDERWIJSNUMMER', '2025-01-01T08:00:00Z', NULL)`);
  const enrollment = (id: string, learner: string, brin6: string, at: string) =>
    sql`(${id}, ${learner}, ${brin6}, '010A823', '646X831', '5cbfc5b3-130a-52b4-b91b-6764dbc69471', '2024-08-01', 2, 'N1', false, ${at})`;
  await database.db
    .execute(sql`INSERT INTO learners.enrollment (id, learner_id, brin6, provider_code, location_code, offered_programme_id, start_date, school_group,
    school_enrollment_number, vve, registered_at) VALUES ${enrollment(ids.atA, ids.twice, '16AH00', '2024-08-01T08:00:00Z')},
    ${enrollment(ids.atB, ids.twice, '03WU00', '2024-09-01T08:00:00Z')}, ${enrollment(ids.replacedAt, ids.replaced, '16AH00', '2024-08-01T08:00:00Z')}`);
  await database.db.execute(sql`INSERT INTO funding.learner (id, birth_date) VALUES (${ids.twice}, '2018-04-04'), (${ids.replaced}, '2019-05-05')`);
  const funded = (id: string, learner: string, brin6: string) =>
    sql`(${id}, ${learner}, ${brin6}, '010A823', '646X831', '5cbfc5b3-130a-52b4-b91b-6764dbc69471', '2024-08-01', '2024-08-01T08:00:00Z', '2024-08-01')`;
  await database.db
    .execute(sql`INSERT INTO funding.enrollment (id, learner_id, brin6, provider_code, location_code, offered_programme_id, start_date, registered_at, registered_on)
    VALUES ${funded(ids.atA, ids.twice, '16AH00')}, ${funded(ids.atB, ids.twice, '03WU00')}, ${funded(ids.replacedAt, ids.replaced, '16AH00')}`);
  await database.db.execute(
    sql`INSERT INTO absence.learner (id, pgn, municipality_code) VALUES (${ids.twice}, '111222333', '0363'), (${ids.replaced}, '123456782', '1681'), (${ids.identified}, '100000004', '0114')`,
  );
  await database.db.execute(sql`INSERT INTO absence.enrollment (id, learner_id, brin6, start_date) VALUES
    (${ids.atA}, ${ids.twice}, '16AH00', '2024-08-01'), (${ids.atB}, ${ids.twice}, '03WU00', '2024-08-01'), (${ids.replacedAt}, ${ids.replaced}, '16AH00', '2024-08-01')`);
  return { database, oldRoot };
}

// A database of its own: the cases below migrate theirs on, which this one must find not done.
describe('the move into deliveries, with a learner record nothing would keep', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let oldRoot: string;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));

  beforeAll(async () => {
    ({ database, oldRoot } = await registersBefore0004());
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    if (oldRoot) await rm(oldRoot, { recursive: true });
  });

  it('refuses to drop the record of a learner that has no enrollment or identification to keep it, and changes nothing', async () => {
    await database.db.execute(
      sql`INSERT INTO learners.learner (id, pgn, pgn_kind, birth_date, gender, postcode, municipality_source) VALUES (${ids.orphan}, '234567004', 'BSN', '2019-01-01', 'MALE', '7822HG', 'POSTCODE')`,
    );
    await expect(migrate(database, 'learners')).rejects.toThrow(/0004_move_learner_data_into_deliveries.sql failed: .*without an enrollment or identification/);
    const [left] = await query<{ columns: number; deliveries: boolean }>(sql`SELECT
      (SELECT count(*)::int FROM information_schema.columns WHERE table_schema = 'learners' AND table_name = 'learner' AND column_name = 'birth_date') AS columns,
      EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'learners' AND table_name = 'delivery') AS deliveries`);
    expect(left).toEqual({ columns: 1, deliveries: false });
  });
});

describe('migrating the learners, funding and absence registers from one learner record to deliveries', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let oldRoot: string;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));

  beforeAll(async () => {
    ({ database, oldRoot } = await registersBefore0004());
    for (const register of registers) await migrate(database, register);
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    if (oldRoot) await rm(oldRoot, { recursive: true });
  });

  it('keeps every learner, and makes each enrollment and identification a delivery carrying the record it had', async () => {
    expect(await query(sql`SELECT id::text FROM learners.learner ORDER BY id`)).toEqual([{ id: ids.twice }, { id: ids.replaced }, { id: ids.identified }]);
    const deliveries = await query(sql`SELECT learner_id::text, brin6, enrollment_id::text, pgn, birth_date::text, gender, postcode, family_name, given_names,
        municipality_override, municipality_code FROM learners.delivery ORDER BY learner_id, brin6, enrollment_id NULLS FIRST`);
    expect(deliveries).toEqual([
      {
        learner_id: ids.twice,
        brin6: '03WU00',
        enrollment_id: ids.atB,
        pgn: '111222333',
        birth_date: '2018-04-04',
        gender: 'FEMALE',
        postcode: '7822HG',
        family_name: 'de Vries',
        given_names: 'Sanne',
        municipality_override: '0363',
        municipality_code: '0363',
      },
      {
        learner_id: ids.twice,
        brin6: '16AH00',
        enrollment_id: ids.atA,
        pgn: '111222333',
        birth_date: '2018-04-04',
        gender: 'FEMALE',
        postcode: '7822HG',
        family_name: 'de Vries',
        given_names: 'Sanne',
        municipality_override: '0363',
        municipality_code: '0363',
      },
      // Identified and enrolled under the onderwijsnummer, replaced by the BSN later: both delivered under the onderwijsnummer.
      {
        learner_id: ids.replaced,
        brin6: '16AH00',
        enrollment_id: null,
        pgn: '101222331',
        birth_date: '2019-05-05',
        gender: 'MALE',
        postcode: '9571AZ',
        family_name: 'Jansen',
        given_names: null,
        municipality_override: null,
        municipality_code: '1681',
      },
      {
        learner_id: ids.replaced,
        brin6: '16AH00',
        enrollment_id: ids.replacedAt,
        pgn: '101222331',
        birth_date: '2019-05-05',
        gender: 'MALE',
        postcode: '9571AZ',
        family_name: 'Jansen',
        given_names: null,
        municipality_override: null,
        municipality_code: '1681',
      },
      {
        learner_id: ids.identified,
        brin6: '03WU00',
        enrollment_id: null,
        pgn: '100000004',
        birth_date: '2020-06-06',
        gender: 'UNDETERMINED',
        postcode: '7822HG',
        family_name: 'Bakker',
        given_names: null,
        municipality_override: null,
        municipality_code: '0114',
      },
    ]);
    expect(await query(sql`SELECT count(*)::int AS n FROM learners.enrollment`)).toEqual([{ n: 3 }]);
    expect(await query(sql`SELECT count(*)::int AS n FROM learners.learner_pgn`)).toEqual([{ n: 4 }]);
  });

  it("gives funding each enrollment's birth date, and no registered one yet", async () => {
    expect(await query(sql`SELECT id::text, registered_birth_date FROM funding.learner ORDER BY id`)).toEqual([
      { id: ids.twice, registered_birth_date: null },
      { id: ids.replaced, registered_birth_date: null },
    ]);
    expect(await query(sql`SELECT id::text, birth_date::text FROM funding.enrollment ORDER BY id`)).toEqual([
      { id: ids.atA, birth_date: '2018-04-04' },
      { id: ids.atB, birth_date: '2018-04-04' },
      { id: ids.replacedAt, birth_date: '2019-05-05' },
    ]);
  });

  it("gives absence each enrollment's municipality, keeps every learner's PGN, and starts without residents", async () => {
    expect(await query(sql`SELECT id::text, pgn FROM absence.learner ORDER BY id`)).toEqual([
      { id: ids.twice, pgn: '111222333' },
      { id: ids.replaced, pgn: '123456782' },
      { id: ids.identified, pgn: '100000004' },
    ]);
    expect(await query(sql`SELECT id::text, municipality_code FROM absence.enrollment ORDER BY id`)).toEqual([
      { id: ids.atA, municipality_code: '0363' },
      { id: ids.atB, municipality_code: '0363' },
      { id: ids.replacedAt, municipality_code: '1681' },
    ]);
    expect(await query(sql`SELECT count(*)::int AS n FROM absence.resident`)).toEqual([{ n: 0 }]);
  });
});

describe('absence 0006: exemptions by PGN, and the learners stream read again for how enrollments ended', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let oldRoot: string;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));
  const exemptionId = '00000000-0000-4000-8000-000000000e06';

  beforeAll(async () => {
    database = await testDatabase();
    oldRoot = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    for (const file of (await readdir(path.join(migrationsRoot, 'absence'))).filter((name) => name < '0006')) {
      await cp(path.join(migrationsRoot, 'absence', file), path.join(oldRoot, 'absence', file));
    }
    await migrate(database, 'absence', oldRoot);
    await database.db.execute(sql`INSERT INTO absence.learner (id, pgn) VALUES (${ids.twice}, '111222333')`);
    await database.db.execute(sql`INSERT INTO absence.exemption (id, learner_id, municipality_code, kind, start_date, registered_at)
      VALUES (${exemptionId}, ${ids.twice}, '0114', 'UNFIT', '2026-11-01', '2026-11-01T08:00:00Z')`);
    await database.db.execute(sql`INSERT INTO absence.consumer_cursor (consumer, stream, cursor) VALUES ('absence.learners', 'learners', 'MTAtMQ'),
      ('absence.mandates', 'institutions', 'MTAtMQ')`);
    await migrate(database, 'absence');
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    if (oldRoot) await rm(oldRoot, { recursive: true });
  });

  it("names each exemption by its learner's PGN, keeps the learner, and flags no notice as late", async () => {
    expect(await query(sql`SELECT id::text, learner_id::text, pgn, noticed_on, late_notice FROM absence.exemption`)).toEqual([
      { id: exemptionId, learner_id: ids.twice, pgn: '111222333', noticed_on: null, late_notice: false },
    ]);
  });

  it('makes the copy of the learners stream start again, and leaves the other cursors where they were', async () => {
    expect(await query(sql`SELECT consumer, cursor FROM absence.consumer_cursor ORDER BY consumer`)).toEqual([
      { consumer: 'absence.mandates', cursor: 'MTAtMQ' },
    ]);
  });
});
