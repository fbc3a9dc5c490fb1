import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../kernel/calendar.ts';
import { rowsOf } from '../../kernel/db.ts';
import { migrate } from '../../kernel/migrations.ts';
import { testDatabase } from '../../test/harness.ts';
import { assessAll, assessEveryone, countDateFactsIn, factsOfLearners } from './assess.ts';
import { countDateFacts } from './rules.ts';
import { enrollment, enrollmentVersion, learner, registrationExtension, rioObject } from './tables.ts';

/**
 * The set-based pass (`assessEveryone`, SQL) against the rules themselves (`assessLearner`, via
 * `assessAll`) on one population built from every rule's boundaries: they must agree on every
 * enrollment, so that the SQL is only ever a faster form of rules.ts.
 */
describe('assessEveryone agrees with rules.ts', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;

  beforeAll(async () => {
    database = await testDatabase();
    await migrate(database, 'funding');
  });
  afterAll(() => database?.drop());

  /** A small deterministic generator (mulberry32), so a failure can be replayed. */
  function random(seed: number) {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  async function population(countDate: string, learners: number, seed: number) {
    const next = random(seed);
    const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
    const { deadline, schoolYear, latestBirthDate } = countDateFacts(countDate);
    const around = (day: string) => [addDays(day, -1), day, addDays(day, 1)];
    const starts = [...around(schoolYear.start), ...around(countDate), ...around(schoolYear.end), '2018-08-01'];
    const ends = [null, null, null, ...around(schoolYear.start), ...around(countDate), schoolYear.end];
    const births = [...around(latestBirthDate), '2016-02-29', '2019-05-05'];
    // School 03WU has an extension of three days (art 7.3); its enrollments are registered around both deadlines.
    const extended = addDays(deadline, 3);
    const registered = [...around(deadline), ...around(extended), '2018-08-03', countDate];
    const moments = ['08:00:00.000001', '08:00:00.000002', '09:30:00'];
    const rio = [
      { kind: 'LOCATION' as const, code: 'L-open', boardCode: null, startDate: null, endDate: null },
      { kind: 'LOCATION' as const, code: 'L-ended', boardCode: null, startDate: null, endDate: addDays(countDate, -1) },
      { kind: 'LOCATION' as const, code: 'L-last-day', boardCode: null, startDate: '2000-01-01', endDate: countDate },
      { kind: 'OFFERED_PROGRAMME' as const, code: '00000000-0000-4000-8000-00000000000a', boardCode: null, startDate: null, endDate: null },
      { kind: 'OFFERED_PROGRAMME' as const, code: '00000000-0000-4000-8000-00000000000b', boardCode: null, startDate: addDays(countDate, 1), endDate: null },
      { kind: 'OFFERED_PROGRAMME' as const, code: '00000000-0000-4000-8000-00000000000c', boardCode: null, startDate: countDate, endDate: null },
    ];
    const locations = ['L-open', 'L-open', 'L-ended', 'L-last-day', 'L-unknown'];
    const programmes = [
      '00000000-0000-4000-8000-00000000000a',
      '00000000-0000-4000-8000-00000000000a',
      '00000000-0000-4000-8000-00000000000b',
      '00000000-0000-4000-8000-00000000000c',
      '00000000-0000-4000-8000-00000000000d',
    ];
    const uuid = (kind: number, n: number) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    const learnerRows = [];
    const enrollmentRows = [];
    const versionRows = [];
    let serial = 0;
    for (let i = 0; i < learners; i++) {
      const learnerId = uuid(seed, i);
      // Half the learners have a registered birth date, which wins over each enrollment's delivered one.
      learnerRows.push({ id: learnerId, registeredBirthDate: next() < 0.5 ? pick(births) : null });
      const count = pick([1, 1, 2, 2, 3]);
      // Some learners' enrollments share start and registration moments, to reach every tie-breaker.
      const shared = { startDate: pick(starts), registeredOn: pick(registered), moment: pick(moments) };
      for (let j = 0; j < count; j++) {
        const tied = next() < 0.4;
        const registeredOn = tied ? shared.registeredOn : pick(registered);
        const registeredAt = new Date(`${registeredOn}T${tied ? shared.moment : pick(moments)}Z`);
        const state = (startDate: string) => {
          const endDate = pick(ends);
          return {
            birthDate: pick(births),
            locationCode: pick(locations),
            offeredProgrammeId: pick(programmes),
            startDate,
            endDate: endDate !== null && endDate < startDate ? null : endDate,
          };
        };
        // Some enrollments changed once or twice after they were registered, on days around the deadlines.
        const states = [{ ...state(tied ? shared.startDate : pick(starts)), updatedOn: registeredOn, updatedAt: registeredAt }];
        for (let k = 1, changes = pick([0, 0, 0, 1, 2]); k <= changes; k++) {
          const day = [states.at(-1)!.updatedOn, pick(registered)].sort()[1]!;
          states.push({ ...state(pick(starts)), updatedOn: day, updatedAt: new Date(`${day}T1${k}:00:00Z`) });
        }
        const id = uuid(seed + 1000, serial++);
        for (const { updatedOn, updatedAt, ...earlier } of states.slice(0, -1)) versionRows.push({ enrollmentId: id, updatedOn, updatedAt, ...earlier });
        enrollmentRows.push({
          id,
          learnerId,
          brin6: pick(['16AH00', '16AH01', '03WU00']),
          providerCode: '010A823',
          registeredOn,
          registeredAt,
          ...states.at(-1)!,
        });
      }
    }
    const db = database.db;
    await db.execute(
      sql`TRUNCATE funding.rio_object, funding.learner, funding.enrollment, funding.enrollment_version, funding.registration_extension, funding.status, funding.count_overview, funding.count_date`,
    );
    await db.insert(rioObject).values(rio);
    // The later grant is in force: three days, not ten.
    const grant = { countDate, brin4: '03WU', reason: 'het register was onbereikbaar', documentId: 'grant' };
    await db.insert(registrationExtension).values([
      { ...grant, id: uuid(99, 1), until: addDays(deadline, 10), grantedAt: new Date('2000-01-01T00:00:00Z') },
      { ...grant, id: uuid(99, 2), until: extended, grantedAt: new Date('2000-01-02T00:00:00Z') },
    ]);
    for (let at = 0; at < learnerRows.length; at += 1000) await db.insert(learner).values(learnerRows.slice(at, at + 1000));
    for (let at = 0; at < enrollmentRows.length; at += 1000) await db.insert(enrollment).values(enrollmentRows.slice(at, at + 1000));
    for (let at = 0; at < versionRows.length; at += 1000) await db.insert(enrollmentVersion).values(versionRows.slice(at, at + 1000));
    return learnerRows.map((row) => row.id);
  }

  it.each([
    ['2027-02-01', 1],
    ['2028-02-01 (the window ends on 29 February)', 2],
  ])('on count date %s, for every enrollment', async (label, seed) => {
    const countDate = label.slice(0, 10);
    const learnerIds = await population(countDate, 3000, seed);
    const written = await database.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO funding.count_date (count_date, phase) VALUES (${countDate}, 'PROVISIONAL')`);
      return assessEveryone(tx, countDate);
    });
    const bySql = new Map(
      rowsOf<{ enrollment_id: string; reasons: string[] }>(
        await database.db.execute(sql`SELECT enrollment_id, reasons FROM funding.status WHERE count_date = ${countDate}`),
      ).map((row) => [row.enrollment_id, row.reasons]),
    );
    const facts = await countDateFactsIn(database.db, countDate);
    expect(facts.extensions).toEqual(new Map([['03WU', addDays(facts.deadline, 3)]]));
    const byRules = new Map(assessAll(await factsOfLearners(database.db, learnerIds), facts).map((outcome) => [outcome.enrollment.id, outcome.reasons]));
    expect(written).toBe(bySql.size);
    expect(bySql).toEqual(byRules);
    // The population reaches every outcome, or the comparison would prove less than it claims.
    const seen = new Set([...byRules.values()].flat());
    for (const reason of [
      'NOT_ENROLLED_ON_COUNT_DATE',
      'UNDER_FOUR',
      'LATE_REGISTRATION',
      'LOCATION_NOT_ACTIVE',
      'OFFERED_PROGRAMME_NOT_ACTIVE',
      'DOUBLE_ENROLLMENT',
    ]) {
      expect(seen).toContain(reason);
    }
    expect([...byRules.values()].some((reasons) => reasons.length === 0)).toBe(true);
  });
});
