import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { readEvents } from '../kernel/events.ts';
import { migrate } from '../kernel/migrations.ts';
import { sweep } from '../subgraphs/absence/absoluteAbsence.ts';
import { bsnFor, testDatabase } from './harness.ts';

/*
 * The absolute-absence sweep (subgraphs/absence/absoluteAbsence.ts) on absence's own tables, as its
 * copy of the learners stream fills them: which residents its one-statement preselection notes and
 * `dutyOn` signals, that a day passing is enough to make a signal due, and that sweeping again issues
 * nothing twice. Runs on PGlite, and on PostgreSQL with DATABASE_URL. Each case starts from a database
 * of its own with the same residents, and sweeps the days it asserts on itself.
 */

let serial = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++serial).padStart(12, '0')}`;

describe('the absolute-absence sweep', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await database.db.execute(statement));
  const child = {
    never: bsnFor(93_001),
    enrolled: bsnFor(93_002),
    leftPrimary: bsnFor(93_003),
    lost: bsnFor(93_004),
    noReason: bsnFor(93_005),
    abroad: bsnFor(93_006),
    exempt: bsnFor(93_007),
    exemptionEnded: bsnFor(93_008),
    deceased: bsnFor(93_009),
    emigrated: bsnFor(93_010),
    toddler: bsnFor(93_011),
    transferred: bsnFor(93_012),
  };

  async function resident(bsn: string, birthDate: string, facts: { deceasedOn?: string; emigratedOn?: string } = {}) {
    await database.db.execute(sql`INSERT INTO absence.resident (bsn, municipality_code, birth_date, deceased_on, emigrated_on)
      VALUES (${bsn}, '0114', ${birthDate}, ${facts.deceasedOn ?? null}, ${facts.emigratedOn ?? null})`);
  }
  async function enrollment(bsn: string, endDate: string | null, endReason: string | null, destination: string | null = null) {
    const learner = uuid();
    await database.db.execute(sql`INSERT INTO absence.learner (id, pgn) VALUES (${learner}, ${bsn})`);
    await database.db.execute(sql`INSERT INTO absence.enrollment (id, learner_id, brin6, start_date, end_date, end_reason, destination)
      VALUES (${uuid()}, ${learner}, '16AH00', '2024-08-01', ${endDate}, ${endReason}, ${destination})`);
  }
  async function exemption(bsn: string, startDate: string, endDate: string | null) {
    await database.db.execute(sql`INSERT INTO absence.exemption (id, pgn, municipality_code, kind, start_date, end_date, late_notice, registered_at)
      VALUES (${uuid()}, ${bsn}, '0114', 'UNFIT', ${startDate}, ${endDate}, false, now())`);
  }
  const signals = () =>
    query<{ bsn: string; municipality_code: string; reason: string; since: string; due_on: string; status: string; resolution: string | null }>(
      sql`SELECT bsn, municipality_code, reason, since::text, due_on::text, status, resolution FROM absence.absolute_absence_signal ORDER BY bsn, issued_at`,
    );

  beforeEach(async () => {
    database = await testDatabase();
    await migrate(database, 'absence');
    for (const bsn of Object.values(child)) await resident(bsn, bsn === child.leftPrimary ? '2013-01-01' : '2019-01-15');
    await database.db.execute(sql`UPDATE absence.resident SET birth_date = '2022-06-01' WHERE bsn = ${child.toddler}`);
    await database.db.execute(sql`UPDATE absence.resident SET deceased_on = '2026-09-01' WHERE bsn = ${child.deceased}`);
    await database.db.execute(sql`UPDATE absence.resident SET emigrated_on = '2026-09-01' WHERE bsn = ${child.emigrated}`);
    await enrollment(child.enrolled, null, null);
    await enrollment(child.leftPrimary, '2025-07-31', 'END_OF_PRIMARY_EDUCATION');
    await enrollment(child.lost, '2026-10-02', 'OTHER');
    await enrollment(child.noReason, '2026-10-02', null);
    await enrollment(child.abroad, '2026-10-02', 'OTHER', 'ABROAD');
    await enrollment(child.transferred, '2026-10-02', 'TRANSFER');
    await exemption(child.exempt, '2026-01-01', null);
    await exemption(child.exemptionEnded, '2025-08-01', '2026-11-06');
  });
  afterEach(() => database?.drop());

  it('signals the residents of compulsory school age without school or exemption, and only those', async () => {
    await sweep(database.db, { schoolDays: 20, day: '2026-12-04' });
    expect(await signals()).toEqual(
      [
        { bsn: child.never, reason: 'NEVER_ENROLLED', since: '2024-02-01', due_on: '2024-02-29' },
        { bsn: child.lost, reason: 'DEREGISTERED', since: '2026-10-03', due_on: '2026-11-02' },
        { bsn: child.noReason, reason: 'DEREGISTERED', since: '2026-10-03', due_on: '2026-11-02' },
      ]
        .map((signal) => ({ ...signal, municipality_code: '0114', status: 'OPEN', resolution: null }))
        .sort((a, b) => (a.bsn < b.bsn ? -1 : 1)),
    );
  });

  it('signals an exemption that ended once a day passing has made it due, and issues nothing twice', async () => {
    // Without an exemption since Saturday 7 November 2026: the 21st school day after it is Monday 7 December.
    await sweep(database.db, { schoolDays: 20, day: '2026-12-04' });
    await sweep(database.db, { schoolDays: 20, day: '2026-12-07' });
    await sweep(database.db, { schoolDays: 20, day: '2026-12-07' });
    const all = await signals();
    expect(all).toHaveLength(4);
    expect(all.find((signal) => signal.bsn === child.exemptionEnded)).toMatchObject({ reason: 'EXEMPTION_ENDED', since: '2026-11-07', due_on: '2026-12-07' });
    const issued = (await readEvents(database.db, 'absence', null, 100)).filter((event) => event.type === 'AbsoluteAbsenceSignalIssued');
    expect(issued).toHaveLength(4);
  });

  it('resolves a signal when the child moves, and signals the municipality moved to', async () => {
    await sweep(database.db, { schoolDays: 20, day: '2026-12-04' });
    await database.db.execute(sql`UPDATE absence.resident SET municipality_code = '0363' WHERE bsn = ${child.never}`);
    await enrollment(child.lost, null, null);
    await sweep(database.db, { schoolDays: 20, day: '2026-12-07' });
    const of = (bsn: string) =>
      signals().then((all) =>
        all.filter((signal) => signal.bsn === bsn).map(({ municipality_code, status, resolution }) => ({ municipality_code, status, resolution })),
      );
    expect(await of(child.never)).toEqual([
      { municipality_code: '0114', status: 'RESOLVED', resolution: 'MOVED_AWAY' },
      { municipality_code: '0363', status: 'OPEN', resolution: null },
    ]);
    expect(await of(child.lost)).toEqual([{ municipality_code: '0114', status: 'RESOLVED', resolution: 'ENROLLED' }]);
  });
});
