/*
 * The national population (npm run seed -- --national): every learner DUO counted at each branch,
 * registered at once, for benchmarks and demonstrations at the scale of the country (docs/architecture.md,
 * "Scale to plan for"). Written set-based in one transaction: the person source's persons (every
 * learner with a BSN, and some children of compulsory school age enrolled nowhere), learners,
 * enrollments with their schools' deliveries, transfer notices and their events, so that other
 * registers take it in from the learners stream like any change (kernel/events.ts, consumeInBulk).
 * Deterministic: the same counts and day give the same population.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { projectRoot } from '../../kernel/config.ts';
import { loadWithoutIndexes } from '../../kernel/bulk.ts';
import { splitLine } from '../../kernel/csv.ts';
import { allowLongWork, rowsOf, type Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { personChangeFields } from './persons.ts';
import { endRequiredReason } from './rules.ts';

/** DUO's "06. Historisch overzicht aantal leerlingen per schoolvestiging" (data/duo-open-onderwijsdata/README.md). */
export const bundledLearnerCounts = path.join(
  projectRoot,
  'data',
  'duo-open-onderwijsdata',
  '06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv',
);

/**
 * DUO masks counts below 5 since November 2023 (the AVG); such a branch gets this many learners:
 * the middle of 1 to 4, rounded up.
 */
export const maskedCount = 3;

/** Learners per branch (BRIN6) in the file's latest year, and that year. */
export async function readLearnerCounts(file = bundledLearnerCounts): Promise<{ year: number; counts: Map<string, number> }> {
  const lines = (await readFile(file, 'utf8'))
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const header = splitLine(lines[0] ?? '');
  const years = header.map((name) => /^LEERLINGEN_(\d{4})$/.exec(name)?.[1]).filter((year): year is string => year !== undefined);
  const branch = header.indexOf('VESTIGINGSCODE');
  if (branch < 0 || years.length === 0) throw new RegisterError('BAD_USER_INPUT', `${path.basename(file)} has no VESTIGINGSCODE or LEERLINGEN_<year> columns`);
  const year = Math.max(...years.map(Number));
  const column = header.indexOf(`LEERLINGEN_${year}`);
  const counts = new Map<string, number>();
  for (const [index, line] of lines.slice(1).entries()) {
    const fields = splitLine(line);
    const value = fields[column]?.trim() ?? '';
    const count = value === '<5' ? maskedCount : Number(value);
    if (!Number.isSafeInteger(count) || count < 0)
      throw new RegisterError('BAD_USER_INPUT', `${path.basename(file)} line ${index + 2}: LEERLINGEN_${year} is ${JSON.stringify(value)}, not a count`);
    if (count > 0) counts.set(fields[branch]!.trim(), count);
  }
  return { year, counts };
}

/** What the population holds besides each branch's own learners, as shares of all learners. */
export const populationShares = {
  /** Enrolled at another branch this school year: the old school got a transfer notice. */
  transferred: 0.03,
  /** Enrolled at a second branch at the same time (double enrollment). */
  doublyEnrolled: 0.005,
  /** Known by an onderwijsnummer: no BSN (WPO art 40b.3-4). */
  onderwijsnummer: 0.005,
  /** Children of compulsory school age (LPW art 3) in the person source who are enrolled nowhere. */
  notEnrolled: 0.01,
};

export interface PopulationResult {
  learners: number;
  /** In the person source: the learners with a BSN and the children enrolled nowhere. */
  persons: number;
  enrollments: number;
  transferNotices: number;
  /** Branches the counts name that the register cannot enroll at (unknown, closed, or offering nothing). */
  branchesSkipped: number;
}

/**
 * Registers the population for the branches in `counts` as the register stands on `day`, in the
 * caller's transaction: learners aged for their group, enrolled at their 4th birthday or on moving;
 * a share transferred this school year (old enrollment ended the day before, notice HANDLED; still
 * OPEN, with the old enrollment running, when the move was in the last 14 days), a share doubly
 * enrolled. Every learner has a valid BSN or onderwijsnummer. `scale` takes that share of each
 * branch's count (at least one learner), for tests. Refuses a register that holds learners already.
 */
export async function registerPopulation(
  tx: Db,
  counts: Map<string, number>,
  options: { day: string; scale?: number; progress?(message: string): void },
): Promise<PopulationResult> {
  const progress = options.progress ?? (() => undefined);
  const [held] = rowsOf<{ any: boolean }>(await tx.execute(sql`SELECT EXISTS (SELECT 1 FROM learners.learner) AS any`));
  if (held!.any) throw new RegisterError('CONFLICT', 'The learners register holds learners already: a national population is loaded into an empty one');
  const timed = async (what: string, work: () => Promise<unknown>) => {
    const begun = performance.now();
    await work();
    progress(`${what} (${((performance.now() - begun) / 1000).toFixed(1)} s)`);
  };
  await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
  // 1.36 million learners in one transaction: 91 s on the bench's machine (docs/performance.md).
  await allowLongWork(tx);
  const branches = [...counts.keys()];
  const learnersPer = [...counts.values()].map((count) => Math.max(1, Math.round(count * (options.scale ?? 1))));
  await timed('places: each branch with its location and an offered programme', () => places(tx, branches, learnersPer, options.day));
  const [{ skipped }] = rowsOf<{ skipped: number }>(await tx.execute(sql`SELECT ${branches.length}::int - count(*)::int AS skipped FROM seed_place`)) as [
    { skipped: number },
  ];
  // Every table it writes starts empty: their indexes and keys are built once, after (kernel/bulk.ts).
  let loaded = 0;
  const tables = [
    'learners.person',
    'learners.learner',
    'learners.learner_pgn',
    'learners.enrollment',
    'learners.delivery',
    'learners.transfer_notice',
    'learners.outbox',
  ];
  await loadWithoutIndexes(tx, tables, async () => {
    await timed('learners', () => learnerRows(tx, options.day));
    await timed('persons', () => personRows(tx, options.day));
    await timed('enrollments and deliveries', () => enrollmentRows(tx, options.day));
    await timed('transfer notices', () => noticeRows(tx, options.day));
    await timed('events', () => eventRows(tx));
    loaded = performance.now();
  });
  progress(`indexes and keys (${((performance.now() - loaded) / 1000).toFixed(1)} s)`);
  const [result] = rowsOf<{ learners: number; persons: number; enrollments: number; notices: number }>(
    await tx.execute(sql`SELECT (SELECT count(*)::int FROM seed_learner) AS learners, (SELECT count(*)::int FROM learners.person) AS persons,
      (SELECT count(*)::int FROM seed_enrollment) AS enrollments, (SELECT count(*)::int FROM learners.transfer_notice) AS notices`),
  );
  return { learners: result!.learners, persons: result!.persons, enrollments: result!.enrollments, transferNotices: result!.notices, branchesSkipped: skipped };
}

/** A deterministic draw in [0, 1) per row `of` and purpose `salt`. */
const drawText = (salt: number, of = 'l.i') => `((hashint8extended(${of}, ${salt}) & 2147483647)::float8 / 2147483648)`;
const draw = (salt: number, of = 'l.i') => sql.raw(drawText(salt, of));

/**
 * `seed_place`: the branches to enroll at, from the register's own RIO copy (copy.ts), each with its
 * location's postcode and municipality (where its learners live) and one offered programme.
 */
async function places(tx: Db, branches: string[], learners: number[], day: string): Promise<void> {
  const active = (alias: string) =>
    sql.raw(`(${alias}.start_date IS NULL OR ${alias}.start_date <= '${day}') AND (${alias}.end_date IS NULL OR ${alias}.end_date >= '${day}')`);
  await tx.execute(sql`CREATE TEMP TABLE seed_place ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY c.brin6) - 1)::int AS n, c.brin6, c.learners, b.provider_code, b.location_code,
      loc.postcode, loc.municipality_code, prog.code::uuid AS offered_programme_id,
      (sum(c.learners) OVER (ORDER BY c.brin6) - c.learners)::int AS first_learner
    FROM unnest(${sql.param(branches)}::text[], ${sql.param(learners)}::int[]) AS c (brin6, learners)
    JOIN learners.rio_object b ON b.kind = 'BRANCH' AND b.code = c.brin6 AND ${active('b')}
    JOIN learners.rio_object loc ON loc.kind = 'LOCATION' AND loc.code = b.location_code AND ${active('loc')}
    CROSS JOIN LATERAL (SELECT min(op.code) AS code FROM learners.rio_object op
      WHERE op.kind = 'OFFERED_PROGRAMME' AND op.provider_code = b.provider_code AND op.location_code = b.location_code AND ${active('op')}) prog
    WHERE prog.code IS NOT NULL`);
  await tx.execute(sql`ALTER TABLE seed_place ADD PRIMARY KEY (n)`);
  await tx.execute(sql`ANALYZE seed_place`);
}

/**
 * `seed_learner` and the learners: groups 1 to 8 alike; group g (2 to 8) born in the calendar year
 * the school year starts minus 3 + g, group 1 from 1 January after that up to the 4th birthdays of
 * today (a child starts on its 4th birthday, WPO art 39.1). BSNs pass the 11-proof and
 * onderwijsnummers DUO's check (docs/domain.md §3); onderwijsnummers are taken from the top of the serial
 * range, which the register's own issuing reaches last (changes.ts skips a number held).
 */
async function learnerRows(tx: Db, day: string): Promise<void> {
  const year = Number(day.slice(0, 4)) - (day.slice(5) < '08-01' ? 1 : 0);
  // Eight digits, then the check digit: the weighted sum mod 11 (BSN: a sum of 10 takes the next base).
  const weighted = (digits: string) => sql.raw([9, 8, 7, 6, 5, 4, 3, 2].map((weight, at) => `${weight} * substr(${digits}, ${at + 1}, 1)::int`).join(' + '));
  await tx.execute(sql`CREATE TEMP TABLE seed_learner ON COMMIT DROP AS
    WITH numbered AS (
      SELECT (p.first_learner + k)::int AS i, p.n AS place, k FROM seed_place p, generate_series(1, p.learners) AS k
    )
    SELECT l.i, l.place, l.k, g.school_group, md5('national learner ' || l.i)::uuid AS id,
      CASE WHEN g.school_group = 1 THEN make_date(${year - 4}, 1, 1) + floor(${draw(2)} * ((${day}::date - interval '4 years')::date - make_date(${year - 4}, 1, 1) + 1))::int
        ELSE make_date(${year - 3} - g.school_group, 1, 1) + floor(${draw(2)} * 365)::int END AS birth_date,
      CASE WHEN ${draw(3)} < 0.001 THEN 'UNDETERMINED' WHEN ${draw(3)} < 0.5 THEN 'FEMALE' ELSE 'MALE' END AS gender,
      CASE WHEN ${draw(4)} < ${populationShares.onderwijsnummer} THEN 'ONDERWIJSNUMMER' ELSE 'BSN' END AS pgn_kind,
      CASE WHEN ${draw(5)} < ${populationShares.transferred} THEN 'TRANSFERRED' WHEN ${draw(5)} < ${populationShares.transferred + populationShares.doublyEnrolled} THEN 'DOUBLE' ELSE 'STAYED' END AS history,
      ${familyName('l.i')} AS family_name, ${givenName('l.i')} AS given_names, 1 + floor(${draw(13)} * 200)::int AS house_number,
      b.digits || (${weighted('b.digits')}) % 11 AS pgn
    FROM numbered l CROSS JOIN LATERAL (SELECT 1 + floor(${draw(1)} * 8)::int AS school_group) g
    CROSS JOIN LATERAL (SELECT (20000000 + 2 * l.i)::text AS even) e
    CROSS JOIN LATERAL (SELECT CASE WHEN (${weighted('e.even')}) % 11 = 10 THEN (20000001 + 2 * l.i)::text ELSE e.even END AS digits) b`);
  await tx.execute(sql`ALTER TABLE seed_learner ADD PRIMARY KEY (i)`);
  await tx.execute(sql`UPDATE seed_learner s SET pgn = o.number
    FROM (SELECT i, row_number() OVER (ORDER BY i) AS nth FROM seed_learner WHERE pgn_kind = 'ONDERWIJSNUMMER') l
    JOIN (SELECT row_number() OVER (ORDER BY serial DESC) AS nth, digits || ((${weighted('digits')}) % 11 - 5) AS number
      -- About 6 serials in 11 give a valid number: three times as many as needed is plenty.
      FROM (SELECT serial, '10' || lpad(serial::text, 6, '0') AS digits
        FROM generate_series(greatest(0, 999999 - 3 * (SELECT count(*) FROM seed_learner WHERE pgn_kind = 'ONDERWIJSNUMMER')::int - 100), 999999) AS serial) d
      WHERE (${weighted('digits')}) % 11 >= 5) o ON o.nth = l.nth
    WHERE s.i = l.i`);
  await tx.execute(sql`ANALYZE seed_learner`);
  await tx.execute(sql`INSERT INTO learners.learner (id, pgn, pgn_kind) SELECT id, pgn, pgn_kind FROM seed_learner`);
  await tx.execute(sql`INSERT INTO learners.learner_pgn (pgn, learner_id, kind) SELECT pgn, id, pgn_kind FROM seed_learner`);
}

const familyNames = [
  'de Jong',
  'Jansen',
  'de Vries',
  'van den Berg',
  'van Dijk',
  'Bakker',
  'Janssen',
  'Visser',
  'Smit',
  'Meijer',
  'de Boer',
  'Mulder',
  'de Groot',
  'Bos',
  'Vos',
  'Peters',
  'Hendriks',
  'van Leeuwen',
  'Dekker',
  'Brouwer',
];
const givenNames = ['Emma', 'Julia', 'Mila', 'Tess', 'Sophie', 'Sara', 'Nora', 'Noah', 'Sem', 'Liam', 'Lucas', 'Daan', 'Finn', 'Levi'];
/** One of `names`, drawn as `draw` draws. */
const pickFrom = (names: readonly string[], salt: number, of: string) =>
  sql.raw(`(ARRAY[${names.map((name) => `'${name}'`).join(', ')}])[1 + floor(${drawText(salt, of)} * ${names.length})::int]`);
const familyName = (of: string) => pickFrom(familyNames, 11, of);
const givenName = (of: string) => pickFrom(givenNames, 12, of);

/**
 * The person source (persons.ts): every learner with a BSN as the population has them, living at the
 * postcode of their school's location, and children of compulsory school age (LPW art 3: 5 and
 * older; here 5 to 11) enrolled nowhere, with BSNs from a range of their own, living near a school.
 */
async function personRows(tx: Db, day: string): Promise<void> {
  const weighted = (digits: string) => sql.raw([9, 8, 7, 6, 5, 4, 3, 2].map((weight, at) => `${weight} * substr(${digits}, ${at + 1}, 1)::int`).join(' + '));
  await tx.execute(sql`INSERT INTO learners.person (bsn, family_name, given_names, birth_date, gender, postcode, house_number, municipality_code, updated_at)
    SELECT l.pgn, l.family_name, l.given_names, l.birth_date, l.gender, p.postcode, l.house_number, p.municipality_code, now()
    FROM seed_learner l JOIN seed_place p ON p.n = l.place WHERE l.pgn_kind = 'BSN'`);
  await tx.execute(sql`INSERT INTO learners.person (bsn, family_name, given_names, birth_date, gender, postcode, house_number, municipality_code, updated_at)
    SELECT b.digits || (${weighted('b.digits')}) % 11, ${familyName('c.k')}, ${givenName('c.k')},
      (${day}::date - interval '5 years')::date - floor(${draw(14, 'c.k')} * 365 * 6)::int,
      CASE WHEN ${draw(15, 'c.k')} < 0.5 THEN 'FEMALE' ELSE 'MALE' END, p.postcode, 1 + floor(${draw(16, 'c.k')} * 200)::int, p.municipality_code, now()
    FROM generate_series(1, ceil((SELECT count(*) FROM seed_learner) * ${populationShares.notEnrolled}::float8)::int) AS c (k)
    JOIN seed_place p ON p.n = c.k % (SELECT count(*) FROM seed_place)
    CROSS JOIN LATERAL (SELECT (60000000 + 2 * c.k)::text AS even) e
    CROSS JOIN LATERAL (SELECT CASE WHEN (${weighted('e.even')}) % 11 = 10 THEN (60000001 + 2 * c.k)::text ELSE e.even END AS digits) b`);
}

/**
 * `seed_enrollment`, the enrollments and each one's delivery: what the school delivered, which is
 * what the person source holds (a learner lives at its own school's location postcode). Each learner is enrolled at its branch from its 4th birthday
 * (or 1 August 2018, the register's oldest school year here). One that transferred was there since
 * then and moved between 1 August and yesterday; its old school ends the enrollment the day before
 * the new one starts (Besluit bekostiging WPO 2022 art 10), unless the move is under 14 days old and
 * the notice still open. One doubly enrolled also has an enrollment at another branch that began
 * later. The other branch is a quarter to three quarters of the list away: another school. Each is
 * registered 1 to 6 days after it starts, in office hours, never after now.
 */
async function enrollmentRows(tx: Db, day: string): Promise<void> {
  const yearStart = `${Number(day.slice(0, 4)) - (day.slice(5) < '08-01' ? 1 : 0)}-08-01`;
  await tx.execute(sql`CREATE TEMP TABLE seed_enrollment ON COMMIT DROP AS
    WITH size AS (SELECT count(*)::int AS places FROM seed_place),
    learner AS (
      SELECT l.*, greatest((l.birth_date + interval '4 years')::date, date '2018-08-01') AS first_day,
        ((l.place + s.places / 4 + floor(${draw(6)} * greatest(s.places / 2, 1))::int) % s.places) AS other_place
      FROM seed_learner l, size s
    ),
    moved AS (
      SELECT l.*, greatest(${yearStart}::date, l.first_day + 7) + floor(${draw(7)} * greatest(${day}::date - greatest(${yearStart}::date, l.first_day + 7), 1))::int AS moved_on
      FROM learner l WHERE l.history = 'TRANSFERRED' AND l.first_day + 7 < ${day}::date
    ),
    spans AS (
      SELECT l.i, 'home' AS kind, l.place, l.first_day AS start_date, NULL::date AS end_date, l.k::text AS number FROM learner l WHERE l.history <> 'TRANSFERRED' OR l.first_day + 7 >= ${day}::date
      UNION ALL SELECT m.i, 'old', m.other_place, m.first_day, CASE WHEN m.moved_on < ${day}::date - 14 THEN m.moved_on - 1 END, 'T' || m.i FROM moved m
      UNION ALL SELECT m.i, 'new', m.place, m.moved_on, NULL, m.k::text FROM moved m
      UNION ALL SELECT l.i, 'second', l.other_place, least(l.first_day + 14 + floor(${draw(8)} * 60)::int, ${day}::date), NULL, 'D' || l.i FROM learner l WHERE l.history = 'DOUBLE'
    )
    SELECT md5('national enrollment ' || sp.i || '/' || sp.kind)::uuid AS id, sp.i, sp.kind, l.id AS learner_id, p.brin6, p.provider_code, p.location_code, p.offered_programme_id,
      sp.start_date, sp.end_date, CASE WHEN sp.end_date IS NOT NULL THEN 'TRANSFER' END AS end_reason, l.school_group, sp.number,
      l.school_group <= 2 AND ${draw(9, 'sp.i')} < 0.15 AS vve,
      least(now(), (sp.start_date + 1 + floor(${draw(10, 'sp.i')} * 6)::int + make_interval(secs => 28800 + floor(${draw(11, 'sp.i')} * 36000)))::timestamp AT TIME ZONE 'Europe/Amsterdam') AS registered_at
    FROM spans sp JOIN seed_learner l ON l.i = sp.i JOIN seed_place p ON p.n = sp.place`);
  await tx.execute(sql`INSERT INTO learners.enrollment (id, learner_id, brin6, provider_code, location_code, offered_programme_id, start_date, end_date, end_reason,
      destination, school_group, school_enrollment_number, vve, registered_at, updated_at)
    SELECT id, learner_id, brin6, provider_code, location_code, offered_programme_id, start_date, end_date, end_reason,
      CASE WHEN end_reason = 'TRANSFER' THEN 'OTHER_SCHOOL' END, school_group, number, vve, registered_at, registered_at
    FROM seed_enrollment`);
  await tx.execute(sql`INSERT INTO learners.delivery (id, learner_id, brin6, enrollment_id, pgn, birth_date, gender, postcode, family_name, given_names,
      municipality_code, delivered_at)
    SELECT md5('national delivery ' || e.id)::uuid, e.learner_id, e.brin6, e.id, l.pgn, l.birth_date, l.gender, p.postcode, l.family_name, l.given_names,
      p.municipality_code, e.registered_at
    FROM seed_enrollment e JOIN seed_learner l ON l.i = e.i JOIN seed_place p ON p.n = l.place`);
}

/** A notice to the old school of every transfer (po-informatiediensten), handled when its enrollment ended. */
async function noticeRows(tx: Db, day: string): Promise<void> {
  // The old enrollment was open when the new one was registered: the notice requires its end (rules.ts, transfersFor).
  const reason = sql`replace(${endRequiredReason(null, '', '{day}', true)}, '{day}', (new.start_date - 1)::text)`;
  await tx.execute(sql`INSERT INTO learners.transfer_notice (id, enrollment_id, new_enrollment_id, brin6, new_provider_code, new_location_code, new_start_date,
      proposed_end_date, end_required, end_required_reason, status, issued_at, handled_at)
    SELECT md5('national notice ' || old.i)::uuid, old.id, new.id, old.brin6, new.provider_code, new.location_code, new.start_date, new.start_date - 1, true, ${reason},
      CASE WHEN old.end_date IS NULL THEN 'OPEN' ELSE 'HANDLED' END, new.registered_at,
      CASE WHEN old.end_date IS NOT NULL THEN least(now(), new.registered_at + interval '2 days') END
    FROM seed_enrollment old JOIN seed_enrollment new ON new.i = old.i AND new.kind = 'new'
    WHERE old.kind = 'old' AND new.start_date <= ${day}::date`);
}

/**
 * The learners stream, as the register's own changes write it (events.ts): PersonRegistered per
 * person, EnrollmentRegistered per enrollment with its state when registered, TransferNoticeIssued
 * per notice, and LearnerDeregistered for each old enrollment that was ended, each at the moment it
 * happened. In the stream the kinds follow one another in that order, which keeps each learner's
 * events in the order they happened; sorting 1.4 million events by time as well would cost seconds
 * and tell no reader more.
 */
async function eventRows(tx: Db): Promise<void> {
  const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const state = (endDate: string, endReason: string, destination: string) =>
    sql.raw(`jsonb_build_object('enrollmentId', e.id, 'learnerId', l.id, 'pgn', l.pgn, 'birthDate', l.birth_date, 'municipalityCode', p.municipality_code,
      'registeredBirthDate', CASE WHEN l.pgn_kind = 'BSN' THEN l.birth_date END, 'brin6', e.brin6, 'providerCode', e.provider_code, 'locationCode', e.location_code, 'offeredProgrammeId', e.offered_programme_id,
      'startDate', e.start_date, 'endDate', ${endDate}, 'endReason', ${endReason}, 'destination', ${destination}, 'group', e.school_group, 'registeredAt', ${iso('e.registered_at')})`);
  // The municipality of residence, by which a municipality follows its residents' enrollments.
  const keys = sql.raw(`jsonb_build_object('enrollmentId', e.id, 'learnerId', l.id, 'brin6', e.brin6, 'municipalityCode', p.municipality_code)`);
  await tx.execute(sql`INSERT INTO learners.outbox (type, keys, payload, occurred_at)
    SELECT type, keys, payload, at FROM (
      SELECT 'PersonRegistered' AS type, jsonb_strip_nulls(jsonb_build_object('bsn', s.bsn, 'learnerId', l.id, 'municipalityCode', s.municipality_code)) AS keys,
        jsonb_build_object('bsn', s.bsn, 'learnerId', l.id, 'birthDate', s.birth_date, 'municipalityCode', s.municipality_code, 'deceasedOn', NULL, 'emigratedOn', NULL,
          'changed', ${sql.param(JSON.stringify(personChangeFields))}::jsonb) AS payload, s.updated_at AS at
      FROM learners.person s LEFT JOIN seed_learner l ON l.pgn = s.bsn
      UNION ALL
      SELECT 'EnrollmentRegistered', ${keys} AS keys, ${state("CASE WHEN e.kind = 'old' THEN NULL ELSE e.end_date END", "CASE WHEN e.kind = 'old' THEN NULL ELSE e.end_reason END", "CASE WHEN e.kind = 'old' OR e.end_reason IS NULL THEN NULL ELSE 'OTHER_SCHOOL' END")} AS payload, e.registered_at AS at
      FROM seed_enrollment e JOIN seed_learner l ON l.i = e.i JOIN seed_place p ON p.n = l.place
      UNION ALL
      SELECT 'TransferNoticeIssued', jsonb_build_object('noticeId', t.id, 'enrollmentId', t.enrollment_id, 'learnerId', l.id, 'brin6', t.brin6),
        jsonb_build_object('noticeId', t.id, 'enrollmentId', t.enrollment_id, 'brin6', t.brin6, 'learnerPgn', l.pgn, 'newProviderCode', t.new_provider_code,
          'newLocationCode', t.new_location_code, 'newStartDate', t.new_start_date, 'proposedEndDate', t.proposed_end_date,
          'endRequired', t.end_required, 'endRequiredReason', t.end_required_reason), t.issued_at
      FROM learners.transfer_notice t JOIN seed_enrollment e ON e.id = t.enrollment_id JOIN seed_learner l ON l.i = e.i
      UNION ALL
      SELECT 'LearnerDeregistered', ${keys}, ${state('e.end_date', 'e.end_reason', "'OTHER_SCHOOL'")}, t.handled_at
      FROM seed_enrollment e JOIN seed_learner l ON l.i = e.i JOIN seed_place p ON p.n = l.place JOIN learners.transfer_notice t ON t.enrollment_id = e.id
      WHERE e.end_date IS NOT NULL
    ) happened`);
}
