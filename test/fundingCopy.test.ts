import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { catchUp, consumeBatch, readEvents, startConsumer } from '../kernel/events.ts';
import { migrate } from '../kernel/migrations.ts';
import { today } from '../kernel/scalars.ts';
import { bsnFor, eventually, testDatabase } from './harness.ts';
import { institutions } from '../subgraphs/institutions/index.ts';
import { enroll } from '../subgraphs/learners/enroll.ts';
import { learners } from '../subgraphs/learners/index.ts';
import { schoolPostcodeAreas } from '../subgraphs/learners/residence.ts';
import { applyLearnerEvents, learnersConsumer, rioConsumer } from '../subgraphs/funding/copy.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';

describe("funding's copy of the learners stream", () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  const school = { school: '16AH00', sender: '00000001800866472000/16AH00' };
  let serial = 0;

  beforeAll(async () => {
    database = await testDatabase();
    for (const name of ['institutions', 'learners', 'funding']) await migrate(database, name);
    await institutions.seed!(database, () => undefined);
    for (const consumer of learners.consumers!) await catchUp(database.db, { ...consumer, cursorSchema: 'learners' });
    await catchUp(database.db, rioConsumer);
  });
  afterAll(() => database?.drop());

  /** Registers enrollments at 16AH00 through the learners register's own code, one transaction each. */
  async function enrollSome(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      serial++;
      const [outcome] = await enroll(
        database.db,
        school,
        [
          {
            documentId: `copy-${serial}`,
            learner: { pgn: bsnFor(serial + 9000), birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822HG' },
            providerCode: '010A823',
            locationCode: '646X831',
            offeredProgrammeId: '5cbfc5b3-130a-52b4-b91b-6764dbc69471',
            startDate: '2024-08-01',
            group: 3,
            schoolEnrollmentNumber: `P${serial}`,
            vve: false,
          },
        ],
        await schoolPostcodeAreas(database.db),
      );
      if (!outcome!.ok) throw outcome!.error;
      ids.push(outcome!.value.enrollmentId);
    }
    return ids;
  }

  const statusCount = async (ids: string[]) =>
    rowsOf<{ n: number }>(
      await database.db.execute(
        sql`SELECT count(*)::int AS n FROM funding.status WHERE count_date = ${currentCountDate(today())} AND enrollment_id = ANY(${sql.param(ids)}::uuid[])`,
      ),
    )[0]!.n;

  const announcements = async (ids: string[]) => {
    const wanted = new Set(ids);
    return (await readEvents(database.db, 'funding', null, 100_000)).filter(
      (event) => event.type === 'FundingStatusChanged' && wanted.has(event.keys.enrollmentId!),
    );
  };

  it('catches up after downtime: 50 enrollments registered while the consumer was stopped each get one status and one event', async () => {
    const running = startConsumer(database.db, { ...learnersConsumer, intervalMs: 50 });
    await running.stop();
    const ids = await enrollSome(50);
    expect(await statusCount(ids)).toBe(0);

    const restarted = startConsumer(database.db, { ...learnersConsumer, intervalMs: 50 });
    await eventually('a status for each of the 50 enrollments', async () => expect(await statusCount(ids)).toBe(50), { deadline: 20_000 });
    await restarted.stop();

    const events = await announcements(ids);
    expect(events).toHaveLength(50);
    expect(new Set(events.map((event) => event.keys.enrollmentId)).size).toBe(50);
    expect(await catchUp(database.db, learnersConsumer)).toBe(0);
  });

  it('applies a batch that failed halfway not at all, and again in full on the next run', async () => {
    const ids = await enrollSome(10);
    const crashing = {
      ...learnersConsumer,
      handle: async (tx: Parameters<typeof applyLearnerEvents>[0], events: Parameters<typeof applyLearnerEvents>[1]) => {
        await applyLearnerEvents(tx, events);
        throw new Error('the process died before the batch committed');
      },
    };
    await expect(consumeBatch(database.db, crashing)).rejects.toThrow('the process died');
    expect(await statusCount(ids)).toBe(0);
    expect(await catchUp(database.db, learnersConsumer)).toBeGreaterThanOrEqual(10);
    expect(await statusCount(ids)).toBe(10);
    expect(await announcements(ids)).toHaveLength(10);
  });
});
