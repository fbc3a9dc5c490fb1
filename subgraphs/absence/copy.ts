import { and, inArray, sql } from 'drizzle-orm';
import { insertRows, isEmpty, loadWithoutIndexes } from '../../kernel/bulk.ts';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { appendEvents, insertLastStates, type StoredEvent } from '../../kernel/events.ts';
import { today } from '../../kernel/scalars.ts';
import {
  asLearnersEvent,
  enrollmentEventTypes,
  isEnrollmentEvent,
  isPersonEvent,
  mergesInBulk,
  mergesOf,
  personEventTypes,
  type Merge,
} from '../../contracts/learners.ts';
import { latestRioStates } from '../../contracts/institutions.ts';
import { leerplichtChannel, noteCandidates, noteResidents } from './absoluteAbsence.ts';
import { exemptEnrollmentNoticed } from './events.ts';
import { noticedKinds } from './leerplicht.ts';
import { overlaps } from './rules.ts';
import { branch, enrollment, exemption, exemptionNotice, learner, location, resident, type ExemptionNoticeRow } from './tables.ts';

/*
 * Absence's own copy of the learners stream (docs/architecture.md, "Ownership"): where each learner
 * is enrolled, and their PGN, by which a municipality names a learner; each enrollment with the
 * municipality its school's delivery gives; and the residents the person source registers, by BSN,
 * with where they live (the leerplicht work reads them too). Runs in the consumer's transaction with
 * its cursor (kernel/events.ts). Every resident an event concerns is noted for the absolute-absence
 * signal (absoluteAbsence.ts), settled once the transaction commits.
 */

export async function applyLearnerEvents(tx: Db, events: StoredEvent[]): Promise<void> {
  const learners = new Map<string, typeof learner.$inferInsert>();
  const enrollments = new Map<string, typeof enrollment.$inferInsert>();
  const residents = new Map<string, typeof resident.$inferInsert>();
  const concerned = new Set<string>();
  for (const event of events.map(asLearnersEvent)) {
    if (event.type === 'PgnReplaced') concerned.add(event.payload.previousPgn);
    if ('pgn' in event.payload) concerned.add(event.payload.pgn);
    if (isPersonEvent(event)) {
      concerned.add(event.payload.bsn);
      const state = event.payload;
      residents.set(state.bsn, {
        bsn: state.bsn,
        municipalityCode: state.municipalityCode,
        birthDate: state.birthDate,
        deceasedOn: state.deceasedOn,
        emigratedOn: state.emigratedOn,
      });
      continue;
    }
    // Every other event names the learner by the PGN it holds then: an enrollment's, an identification's, a replacement's.
    if (!isEnrollmentEvent(event) && event.type !== 'LearnerIdentified' && event.type !== 'PgnReplaced') continue;
    learners.set(event.payload.learnerId, { id: event.payload.learnerId, pgn: event.payload.pgn });
    if (isEnrollmentEvent(event)) {
      const row = event.payload;
      enrollments.set(row.enrollmentId, {
        id: row.enrollmentId,
        learnerId: row.learnerId,
        brin6: row.brin6,
        startDate: row.startDate,
        endDate: row.endDate,
        municipalityCode: row.municipalityCode,
        endReason: row.endReason,
        destination: row.destination ?? null,
        birthDate: row.birthDate,
      });
    }
  }
  await insertRows(tx, resident, [...residents.values()], onResident);
  await insertRows(tx, learner, [...learners.values()], sql`ON CONFLICT (id) DO UPDATE SET pgn = excluded.pgn`);
  if (enrollments.size) await insertRows(tx, enrollment, [...enrollments.values()], onEnrollment);
  const merges = mergesOf(events);
  await foldMerged(tx, merges);
  await linkExemptions(tx, [...learners.keys()]);
  const enrolled = [...new Set([...enrollments.values()].map((row) => row.learnerId))];
  if (enrolled.length || merges.length) await noticeExemptEnrollments(tx, [...new Set([...enrolled, ...merges.map((merge) => merge.kept)])]);
  await noteResidents(tx, [...concerned]);
}

/**
 * An exemption registered for a child the register knew no learner of (LPW art 5, 5a: never
 * enrolled) is the learner's once one is known by its PGN: a school that enrolls the child then gets
 * the notice (`noticeExemptEnrollments`). All learners when `learnerIds` is undefined.
 */
async function linkExemptions(tx: Db, learnerIds?: string[]): Promise<void> {
  if (learnerIds?.length === 0) return;
  await tx.execute(sql`UPDATE absence.exemption x SET learner_id = l.id FROM absence.learner l
    WHERE x.learner_id IS NULL AND l.pgn = x.pgn ${learnerIds ? sql`AND l.id = ANY(${sql.param(learnerIds)}::uuid[])` : sql``}`);
}

/**
 * A learner folded into another (learners/merge.ts: one child, one learner) is folded here too: its
 * enrollments, reports and exemptions become the kept learner's, and each enrollment that was the
 * absorbed learner's remembers it (`absorbed_from`, by which its school knows the learner: resolvers.ts).
 * Applying it again changes nothing. The enrollment and the learner go first: their row locks wait
 * for a report or an exemption being made for the absorbed learner (changes.ts reads them FOR SHARE),
 * so that it is moved too.
 */
async function foldMerged(tx: Db, merges: readonly Merge[]): Promise<void> {
  for (const { absorbed, kept, enrollmentIds } of merges) {
    await tx.execute(sql`UPDATE absence.enrollment SET learner_id = ${kept}, absorbed_from = coalesce(absorbed_from, ${absorbed})
      WHERE learner_id = ${absorbed} OR id = ANY(${sql.param(enrollmentIds)}::uuid[])`);
    await tx.execute(sql`DELETE FROM absence.learner WHERE id = ${absorbed}`);
    await tx.execute(sql`UPDATE absence.report SET learner_id = ${kept} WHERE learner_id = ${absorbed}`);
    await tx.execute(sql`UPDATE absence.exemption SET learner_id = ${kept} WHERE learner_id = ${absorbed}`);
  }
}

const onResident = sql`ON CONFLICT (bsn) DO UPDATE SET municipality_code = excluded.municipality_code, birth_date = excluded.birth_date,
  deceased_on = excluded.deceased_on, emigrated_on = excluded.emigrated_on`;
const onEnrollment = sql`ON CONFLICT (id) DO UPDATE SET brin6 = excluded.brin6, start_date = excluded.start_date, end_date = excluded.end_date,
  municipality_code = excluded.municipality_code, end_reason = excluded.end_reason, destination = excluded.destination, birth_date = excluded.birth_date`;

/**
 * `applyLearnerEvents` for every unread event at once (kernel/events.ts, `consumeInBulk`): each
 * learner's last PGN, each enrollment's last state, each resident's last state; then the exemption
 * notices for the learners enrolled, and every resident that may be without school is noted (a
 * population's worth of residents, chosen in one statement). Into an empty copy (a population loaded
 * at once), the indexes are built after (kernel/bulk.ts).
 */
export async function applyLearnerEventsInBulk(tx: Db): Promise<void> {
  const copy = ['absence.learner', 'absence.enrollment', 'absence.resident'];
  if (await isEmpty(tx, copy)) await loadWithoutIndexes(tx, copy, () => writeLastStates(tx, false));
  else await writeLastStates(tx, true);
  const merges = await mergesInBulk(tx);
  await foldMerged(tx, merges);
  await linkExemptions(tx);
  await noteCandidates(tx, today());
  await tx.execute(sql`SELECT pg_notify(${leerplichtChannel}, '')`);
  const exempt = rowsOf<{ id: string }>(
    await tx.execute(sql`SELECT DISTINCT learner_id::text AS id FROM absence.exemption
      WHERE learner_id IN (SELECT (payload->>'learnerId')::uuid FROM bulk_event WHERE type = ANY(${sql.param([...enrollmentEventTypes])}::text[]))
        OR learner_id = ANY(${sql.param(merges.map((merge) => merge.kept))}::uuid[])`),
  );
  if (exempt.length)
    await noticeExemptEnrollments(
      tx,
      exempt.map((row) => row.id),
    );
}

/** The last states in `bulk_event`; `upsert` over rows the copy holds, as `applyLearnerEvents` does. */
async function writeLastStates(tx: Db, upsert: boolean): Promise<void> {
  const persons = sql`${sql.param([...personEventTypes])}::text[]`;
  const enrollments = sql`${sql.param([...enrollmentEventTypes])}::text[]`;
  await insertLastStates(
    tx,
    sql`absence.resident (bsn, municipality_code, birth_date, deceased_on, emigrated_on)`,
    {
      key: 'bsn',
      values: sql`payload->>'bsn', payload->>'municipalityCode', (payload->>'birthDate')::date, (payload->>'deceasedOn')::date, (payload->>'emigratedOn')::date`,
      where: sql`type = ANY(${persons})`,
    },
    upsert ? onResident : undefined,
  );
  await insertLastStates(
    tx,
    sql`absence.learner (id, pgn)`,
    { key: 'learnerId', values: sql`(payload->>'learnerId')::uuid, payload->>'pgn'`, where: sql`NOT type = ANY(${persons})` },
    upsert ? sql`ON CONFLICT (id) DO UPDATE SET pgn = excluded.pgn` : undefined,
  );
  await insertLastStates(
    tx,
    sql`absence.enrollment (id, learner_id, brin6, start_date, end_date, municipality_code, end_reason, destination, birth_date)`,
    {
      key: 'enrollmentId',
      values: sql`(payload->>'enrollmentId')::uuid, (payload->>'learnerId')::uuid, payload->>'brin6', (payload->>'startDate')::date, (payload->>'endDate')::date,
        payload->>'municipalityCode', payload->>'endReason', payload->>'destination', (payload->>'birthDate')::date`,
      where: sql`type = ANY(${enrollments})`,
    },
    upsert ? onEnrollment : undefined,
  );
}

/**
 * LPW art 15a [S:7]: when the register sees a learner with an exemption under art 5, 5a or 15 enrolled
 * in its period, the school is told (`noticedKinds`). Once per exemption and enrollment, whichever of
 * the two arrives last.
 */
export async function noticeExemptEnrollments(tx: Db, learnerIds: string[]): Promise<ExemptionNoticeRow[]> {
  const exemptions = await tx
    .select()
    .from(exemption)
    .where(and(inArray(exemption.learnerId, learnerIds), inArray(exemption.kind, noticedKinds)));
  if (exemptions.length === 0) return [];
  const enrollments = await tx.select().from(enrollment).where(inArray(enrollment.learnerId, learnerIds));
  const now = new Date();
  const candidates = exemptions.flatMap((exempt) =>
    enrollments
      .filter((row) => row.learnerId === exempt.learnerId && overlaps(row, exempt))
      .map((row) => ({ id: crypto.randomUUID(), exemptionId: exempt.id, enrollmentId: row.id, brin6: row.brin6, issuedAt: now })),
  );
  if (candidates.length === 0) return [];
  const issued = await tx.insert(exemptionNotice).values(candidates).onConflictDoNothing().returning();
  const learnerOf = new Map(exemptions.map((exempt) => [exempt.id, exempt.learnerId!]));
  await appendEvents(
    tx,
    'absence',
    issued.map((notice) => exemptEnrollmentNoticed(notice, learnerOf.get(notice.exemptionId)!)),
  );
  return issued;
}

export const learnersConsumer = {
  stream: 'learners',
  consumer: 'absence.learners',
  cursorSchema: 'absence',
  types: [...enrollmentEventTypes, 'LearnerIdentified', 'PgnReplaced', ...personEventTypes],
  handle: applyLearnerEvents,
  bulk: applyLearnerEventsInBulk,
};

/** Absence's copy of RIO's branches and locations, from the institutions stream: each object's last state. */
export async function applyRioEvents(tx: Db, events: StoredEvent[]): Promise<void> {
  const states = latestRioStates(events);
  const branches = states.filter((state) => state.kind === 'BRANCH' && state.locationCode !== null);
  const locations = states.filter((state) => state.kind === 'LOCATION');
  await insertRows(
    tx,
    branch,
    branches.map((state) => ({ brin6: state.code, locationCode: state.locationCode! })),
    sql`ON CONFLICT (brin6) DO UPDATE SET location_code = excluded.location_code`,
  );
  await insertRows(
    tx,
    location,
    locations.map((state) => ({ code: state.code, municipalityCode: state.municipalityCode, postcode: state.postcode })),
    sql`ON CONFLICT (code) DO UPDATE SET municipality_code = excluded.municipality_code, postcode = excluded.postcode`,
  );
}

export const rioConsumer = {
  stream: 'institutions',
  consumer: 'absence.rio',
  cursorSchema: 'absence',
  types: ['BranchChanged', 'LocationChanged'],
  handle: applyRioEvents,
};
