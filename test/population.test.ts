import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAndSeed } from '../system/start.ts';
import { rowsOf, type Db } from '../kernel/db.ts';
import { RegisterError } from '../kernel/errors.ts';
import { catchUp, catchUpWithCommitted, consumeBatch, consumeInBulk, type ConsumerOptions } from '../kernel/events.ts';
import { isBsn, isOnderwijsnummer } from '../kernel/ids/index.ts';
import { today } from '../kernel/scalars.ts';
import { learnersConsumer as absenceConsumer } from '../subgraphs/absence/copy.ts';
import { learnersConsumer as fundingConsumer } from '../subgraphs/funding/copy.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { identifyLearner, replacePgn } from '../subgraphs/learners/identify.ts';
import { enroll } from '../subgraphs/learners/enroll.ts';
import { maskedCount, readLearnerCounts, registerPopulation } from '../subgraphs/learners/population.ts';
import { schoolPostcodeAreas } from '../subgraphs/learners/residence.ts';
import { testDatabase } from './harness.ts';

const scale = 0.003;
const day = today();

/** Every consumer up to date, as a starting process takes them (system/start.ts). */
async function catchUpAll(db: Db): Promise<void> {
  for (const subgraph of subgraphs) {
    for (const consumer of subgraph.consumers ?? []) await catchUpWithCommitted(db, { ...consumer, cursorSchema: subgraph.name }, 30_000);
  }
}

describe("DUO's learner counts per branch", () => {
  it('reads the latest year, 2025, with a masked <5 taken as 3 and branches without learners left out', async () => {
    const { year, counts } = await readLearnerCounts();
    expect(year).toBe(2025);
    expect(counts.get('16AH00')).toBe(256);
    expect(counts.get('00TO04')).toBe(maskedCount);
    expect(counts.size).toBe(6954);
    expect([...counts.values()].every((count) => count > 0)).toBe(true);
  });

  it('refuses a file whose count is not a number, naming the line', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'counts-'));
    const file = path.join(folder, 'counts.csv');
    await writeFile(file, 'VESTIGINGSCODE;LEERLINGEN_2024;LEERLINGEN_2025\r\n16AH00;250;256\r\n16AH01;3;many\r\n');
    try {
      await expect(readLearnerCounts(file)).rejects.toThrow(/line 3: LEERLINGEN_2025 is "many", not a count/);
    } finally {
      await rm(folder, { recursive: true });
    }
  });
});

/** A fresh register, migrated and seeded, holding the population at `scale` of DUO's counts. */
async function populatedDatabase(): Promise<Awaited<ReturnType<typeof testDatabase>>> {
  const database = await testDatabase();
  await migrateAndSeed(database, subgraphs, true, () => undefined);
  await catchUpAll(database.db);
  const { counts } = await readLearnerCounts();
  await database.db.transaction((tx) => registerPopulation(tx, counts, { day, scale }));
  return database;
}

describe('the national population, at a small scale', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let counts: Map<string, number>;

  beforeAll(async () => {
    counts = (await readLearnerCounts()).counts;
    database = await populatedDatabase();
  }, 120_000);
  afterAll(() => database?.drop());

  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));

  it("gives each branch the register holds its share of DUO's count, at least one learner", async () => {
    const perBranch = await query<{ brin6: string; n: number }>(sql`SELECT e.brin6, count(*)::int AS n FROM learners.enrollment e
      WHERE e.school_enrollment_number !~ '^[TD]' GROUP BY 1`);
    expect(perBranch.length).toBeGreaterThan(6000);
    for (const { brin6, n } of perBranch) expect(n).toBe(Math.max(1, Math.round(counts.get(brin6)! * scale)));
  });

  it('gives every learner a valid BSN or onderwijsnummer, held once, a few of them onderwijsnummers', async () => {
    const learners = await query<{
      pgn: string;
      pgn_kind: string;
      held: number;
    }>(sql`SELECT l.pgn, l.pgn_kind, count(p.pgn)::int AS held FROM learners.learner l
      LEFT JOIN learners.learner_pgn p ON p.learner_id = l.id AND p.pgn = l.pgn GROUP BY 1, 2`);
    for (const learner of learners) {
      expect(learner.pgn_kind === 'BSN' ? isBsn(learner.pgn) : isOnderwijsnummer(learner.pgn), learner.pgn).toBe(true);
      expect(learner.held).toBe(1);
    }
    expect(learners.some((learner) => learner.pgn_kind === 'ONDERWIJSNUMMER')).toBe(true);
  });

  it('enrolls each learner from its 4th birthday at the earliest, in the group its age gives', async () => {
    const wrong = await query<{ n: number }>(sql`SELECT count(*)::int AS n FROM learners.enrollment e JOIN learners.delivery l ON l.enrollment_id = e.id
      WHERE e.start_date < (l.birth_date + interval '4 years')::date OR e.start_date > ${day}::date
        OR (e.school_group > 1 AND extract(year FROM l.birth_date) <> extract(year FROM ${day}::date - interval '7 months') - 3 - e.school_group)`);
    expect(wrong[0]!.n).toBe(0);
  });

  it('gives every enrollment its delivery, and every learner with a BSN a person in the person source whom the deliveries match', async () => {
    const [counted] = await query<{ enrollments: number; delivered: number; bsns: number; persons: number; differing: number }>(sql`SELECT
      (SELECT count(*)::int FROM learners.enrollment) AS enrollments,
      (SELECT count(*)::int FROM learners.delivery WHERE enrollment_id IS NOT NULL) AS delivered,
      (SELECT count(*)::int FROM learners.learner WHERE pgn_kind = 'BSN') AS bsns,
      (SELECT count(*)::int FROM learners.learner l JOIN learners.person p ON p.bsn = l.pgn) AS persons,
      (SELECT count(*)::int FROM learners.delivery d JOIN learners.learner l ON l.id = d.learner_id JOIN learners.person p ON p.bsn = l.pgn
        WHERE (d.birth_date, d.gender, d.postcode, d.family_name, d.given_names) IS DISTINCT FROM (p.birth_date, p.gender, p.postcode, p.family_name, p.given_names)) AS differing`);
    expect(counted!.delivered).toBe(counted!.enrollments);
    expect(counted!.persons).toBe(counted!.bsns);
    expect(counted!.differing).toBe(0);
  });

  it('puts children of compulsory school age who are enrolled nowhere in the person source, each with a valid BSN and an event', async () => {
    const children = await query<{
      bsn: string;
      age: number;
    }>(sql`SELECT p.bsn, extract(year FROM age(${day}::date, p.birth_date))::int AS age FROM learners.person p
      WHERE NOT EXISTS (SELECT 1 FROM learners.learner l WHERE l.pgn = p.bsn)`);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      expect(isBsn(child.bsn), child.bsn).toBe(true);
      expect(child.age).toBeGreaterThanOrEqual(5);
      expect(child.age).toBeLessThanOrEqual(11);
    }
    const [events] = await query<{
      registered: number;
      persons: number;
    }>(sql`SELECT (SELECT count(*)::int FROM learners.outbox WHERE type = 'PersonRegistered') AS registered,
      (SELECT count(*)::int FROM learners.person) AS persons`);
    expect(events!.registered).toBe(events!.persons);
  });

  it("ends a transferred learner's old enrollment the day before the new one starts once its notice is handled, and keeps it running while the notice is open", async () => {
    const notices = await query<{ status: string; end_date: string | null; proposed_end_date: string; new_start_date: string }>(
      sql`SELECT t.status, e.end_date::text, t.proposed_end_date::text, t.new_start_date::text FROM learners.transfer_notice t JOIN learners.enrollment e ON e.id = t.enrollment_id`,
    );
    expect(notices.length).toBeGreaterThan(0);
    for (const notice of notices) {
      expect(notice.end_date).toBe(notice.status === 'HANDLED' ? notice.proposed_end_date : null);
      expect(new Date(notice.proposed_end_date).getTime()).toBe(new Date(notice.new_start_date).getTime() - 86_400_000);
    }
  });

  it('writes an EnrollmentRegistered event carrying each enrollment, and a notice and deregistration event for each transfer', async () => {
    const [counted] = await query<{ enrollments: number; registered: number; notices: number; issued: number; ended: number; deregistered: number }>(sql`SELECT
      (SELECT count(*)::int FROM learners.enrollment) AS enrollments,
      (SELECT count(DISTINCT keys->>'enrollmentId')::int FROM learners.outbox o JOIN learners.enrollment e ON e.id = (o.payload->>'enrollmentId')::uuid
        AND e.brin6 = o.payload->>'brin6' AND e.start_date = (o.payload->>'startDate')::date WHERE o.type = 'EnrollmentRegistered') AS registered,
      (SELECT count(*)::int FROM learners.transfer_notice) AS notices,
      (SELECT count(*)::int FROM learners.outbox WHERE type = 'TransferNoticeIssued') AS issued,
      (SELECT count(*)::int FROM learners.enrollment WHERE end_date IS NOT NULL) AS ended,
      (SELECT count(*)::int FROM learners.outbox WHERE type = 'LearnerDeregistered') AS deregistered`);
    expect(counted!.registered).toBe(counted!.enrollments);
    expect(counted!.issued).toBe(counted!.notices);
    expect(counted!.deregistered).toBe(counted!.ended);
  });

  it('refuses a second population into a register that holds learners, and writes nothing', async () => {
    const before = await query<{ n: number }>(sql`SELECT count(*)::int AS n FROM learners.learner`);
    const error = await database.db.transaction((tx) => registerPopulation(tx, counts, { day, scale })).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).code).toBe('CONFLICT');
    expect(await query<{ n: number }>(sql`SELECT count(*)::int AS n FROM learners.learner`)).toEqual(before);
  });
});

// A population of its own: the case adds a learner that the cases above must not find.
describe('the national population, at a small scale, taken in by funding and absence in bulk', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    database = await populatedDatabase();
  }, 120_000);
  afterAll(() => database?.drop());

  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));
  const consumers = [
    { ...fundingConsumer, copy: ['funding.learner', 'funding.enrollment', 'funding.enrollment_version', 'funding.status'], keep: ['funding.count_date'] },
    { ...absenceConsumer, copy: ['absence.learner', 'absence.enrollment', 'absence.resident', 'absence.exemption_notice'], keep: [] },
  ];

  /** Each copy's rows, sorted, without the moment a status was assessed. */
  async function copies(): Promise<Record<string, unknown[]>> {
    const result: Record<string, unknown[]> = {};
    for (const consumer of consumers) {
      for (const table of consumer.copy) {
        const rows = await query<Record<string, unknown>>(sql.raw(`SELECT * FROM ${table}`));
        result[table] = rows.map(({ evaluated_at: _evaluated, issued_at: _issued, id: _id, ...row }) => JSON.stringify(row)).sort();
      }
    }
    return result;
  }

  async function forget(): Promise<void> {
    for (const consumer of consumers) {
      await database.db.execute(sql.raw(`TRUNCATE ${[...consumer.copy, ...consumer.keep].join(', ')} CASCADE`));
      await database.db.execute(sql.raw(`DELETE FROM ${consumer.cursorSchema}.consumer_cursor WHERE consumer = '${consumer.consumer}'`));
    }
  }

  const bulk = (consumer: ConsumerOptions) => consumeInBulk(database.db, { ...consumer, bulk: consumer.bulk! });

  it('reaches the state event batches reach, into empty copies and over partly filled ones', async () => {
    // A learner known by an onderwijsnummer first, then by a BSN: LearnerIdentified and PgnReplaced.
    const school = { school: '16AH00', sender: '00000001800866472000/16AH00' };
    const areas = await schoolPostcodeAreas(database.db);
    const identified = await identifyLearner(
      database.db,
      school,
      { documentId: 'bulk-identify', birthDate: '2020-05-01', gender: 'MALE', postcode: '7822HG', familyName: 'Jansen' },
      areas,
    );
    const [{ pgn: onderwijsnummer }] = (await query<{ pgn: string }>(sql`SELECT pgn FROM learners.learner WHERE id = ${identified.learnerId}`)) as [
      { pgn: string },
    ];
    const [enrolled] = await enroll(
      database.db,
      school,
      [
        {
          documentId: 'bulk-enroll',
          learner: { pgn: onderwijsnummer, birthDate: '2020-05-01', gender: 'MALE', postcode: '7822HG' },
          providerCode: '010A823',
          locationCode: '646X831',
          offeredProgrammeId: '5cbfc5b3-130a-52b4-b91b-6764dbc69471',
          startDate: '2024-08-01',
          group: 3,
          schoolEnrollmentNumber: 'BULK1',
          vve: false,
        },
      ],
      areas,
    );
    expect(enrolled!.ok).toBe(true);
    await replacePgn(database.db, school, { documentId: 'bulk-replace', onderwijsnummer, bsn: '111222333' });

    for (const consumer of consumers) await catchUp(database.db, consumer);
    const inBatches = await copies();
    expect(inBatches['funding.status']!.length).toBeGreaterThan(1000);
    expect(inBatches['funding.enrollment_version']!.length).toBeGreaterThan(10);
    expect(inBatches['absence.learner']!.some((row) => (row as string).includes('"111222333"'))).toBe(true);

    await forget();
    for (const consumer of consumers) expect(await bulk(consumer)).toBeGreaterThan(1000);
    expect(await copies()).toEqual(inBatches);

    await forget();
    for (const consumer of consumers) {
      await consumeBatch(database.db, { ...consumer, limit: 500 });
      await bulk(consumer);
    }
    expect(await copies()).toEqual(inBatches);
    for (const consumer of consumers) expect(await catchUp(database.db, consumer)).toBe(0);
  }, 120_000);
});
