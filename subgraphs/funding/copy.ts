import { sql } from 'drizzle-orm';
import { insertRows, isEmpty, loadWithoutIndexes } from '../../kernel/bulk.ts';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { insertLastStates, payloadKey, type StoredEvent } from '../../kernel/events.ts';
import { today } from '../../kernel/scalars.ts';
import { latestRioStates, rioEventTypes } from '../../contracts/institutions.ts';
import {
  asLearnersEvent,
  enrollmentEventTypes,
  isEnrollmentEvent,
  isPersonEvent,
  mergesInBulk,
  mergesOf,
  personEventTypes,
  type EnrollmentState,
  type LearnersEvent,
  type Merge,
} from '../../contracts/learners.ts';
import { reassess } from './assess.ts';
import { openCurrentCountDate, provisionalCountDates } from './countDates.ts';
import { enrollment, enrollmentVersion, learner, rioObject } from './tables.ts';

/*
 * Funding's own copy of what it evaluates (docs/architecture.md, "Ownership"): enrollments with the
 * birth date delivered with each, and each learner's registered birth date, from the learners
 * stream; RIO periods and boards from the institutions stream. Each handler runs in the consumer's
 * transaction with its cursor (kernel/events.ts), and re-assesses exactly the learners the events
 * touch. No PGN: the rules do not need it (docs/domain.md §10); a person event names its learner.
 */

/** The registered birth date an event gives its learner: an enrollment's and a replaced PGN's at the time, a person's own. */
function registeredBirthDateOf(event: LearnersEvent): [learnerId: string, birthDate: string | null] | null {
  if (isEnrollmentEvent(event) || event.type === 'PgnReplaced') return [event.payload.learnerId, event.payload.registeredBirthDate];
  if (isPersonEvent(event) && event.payload.learnerId) return [event.payload.learnerId, event.payload.birthDate];
  return null;
}

/** Only the events of `learnersConsumer.types` reach it. */
export async function applyLearnerEvents(tx: Db, events: StoredEvent[]): Promise<void> {
  // Every state of each enrollment, in stream order, and the last registered birth date of each learner.
  const enrollments = new Map<string, EnrollmentInsert[]>();
  const birthDates = new Map<string, string | null>();
  for (const event of events.map(asLearnersEvent)) {
    const registered = registeredBirthDateOf(event);
    if (registered) birthDates.set(...registered);
    if (!isEnrollmentEvent(event)) continue;
    const states = enrollments.get(event.payload.enrollmentId) ?? [];
    const state = enrollmentRow(event.payload, new Date(event.occurredAt));
    // Two changes in one transaction of the learners register share a moment: the later one is the state stored then.
    if (states.at(-1)?.updatedAt.getTime() === state.updatedAt.getTime()) states.pop();
    enrollments.set(event.payload.enrollmentId, [...states, state]);
  }
  if (birthDates.size === 0) return;
  // Before the copy moves: a count date opened now is assessed on the state the events change,
  // so that the events' own changes are announced below like any other.
  await openCurrentCountDate(tx);
  await insertRows(
    tx,
    learner,
    [...birthDates].map(([id, registeredBirthDate]) => ({ id, registeredBirthDate })),
    sql`ON CONFLICT (id) DO UPDATE SET registered_birth_date = excluded.registered_birth_date`,
  );
  await keepReplacedStates(tx, enrollments);
  await insertRows(
    tx,
    enrollment,
    [...enrollments.values()].map((states) => states.at(-1)!),
    onEnrollment,
  );
  await foldMerged(tx, mergesOf(events));
  await reassess(tx, [...birthDates.keys()], await provisionalCountDates(tx));
}

type EnrollmentInsert = typeof enrollment.$inferInsert & { updatedAt: Date };

/** An enrollment's row from its state in an event that the register wrote at `updatedAt`. */
function enrollmentRow(state: EnrollmentState, updatedAt: Date): EnrollmentInsert {
  const registeredAt = new Date(state.registeredAt);
  return {
    id: state.enrollmentId,
    learnerId: state.learnerId,
    birthDate: state.birthDate,
    brin6: state.brin6,
    providerCode: state.providerCode,
    locationCode: state.locationCode,
    offeredProgrammeId: state.offeredProgrammeId,
    startDate: state.startDate,
    endDate: state.endDate,
    registeredAt,
    registeredOn: today(registeredAt),
    updatedAt,
    updatedOn: today(updatedAt),
  };
}

/**
 * Keeps each state that the events replace, with the moment it was stored (art 7.2: a count date is
 * assessed on what the register held by its deadline, rules.ts `asRegisteredBy`): the copy's current
 * state of each enrollment the events change, and every state of the events but the last.
 */
async function keepReplacedStates(tx: Db, enrollments: ReadonlyMap<string, readonly EnrollmentInsert[]>): Promise<void> {
  if (enrollments.size === 0) return;
  await tx.execute(sql`INSERT INTO funding.enrollment_version (${sql.raw(versionColumns)})
    SELECT id, ${sql.raw(stateColumns)} FROM funding.enrollment WHERE id = ANY(${sql.param([...enrollments.keys()])}::uuid[])
    ON CONFLICT (enrollment_id, updated_at) DO NOTHING`);
  const replaced = [...enrollments.values()].flatMap((states) => states.slice(0, -1));
  await insertRows(
    tx,
    enrollmentVersion,
    replaced.map(({ id, updatedAt, updatedOn, birthDate, locationCode, offeredProgrammeId, startDate, endDate }) => ({
      enrollmentId: id!,
      updatedAt,
      updatedOn: updatedOn!,
      birthDate,
      locationCode,
      offeredProgrammeId,
      startDate,
      endDate,
    })),
    sql`ON CONFLICT (enrollment_id, updated_at) DO NOTHING`,
  );
}

/** An enrollment's state as `funding.enrollment` and `funding.enrollment_version` both hold it. */
const stateColumns = 'updated_at, updated_on, birth_date, location_code, offered_programme_id, start_date, end_date';
const versionColumns = `enrollment_id, ${stateColumns}`;

/**
 * A learner folded into another (learners/merge.ts: one child, one learner) is folded here too: its
 * enrollments become the kept learner's, so that the child counts once (Besluit bekostiging WPO 2022
 * art 7). Applying it again changes nothing. The kept learner is re-assessed by the caller: the
 * PgnReplaced event that folds names it.
 */
async function foldMerged(tx: Db, merges: readonly Merge[]): Promise<void> {
  for (const { absorbed, kept } of merges) {
    await tx.execute(sql`UPDATE funding.enrollment SET learner_id = ${kept} WHERE learner_id = ${absorbed}`);
    await tx.execute(sql`DELETE FROM funding.learner WHERE id = ${absorbed}`);
  }
}

const onEnrollment = sql`ON CONFLICT (id) DO UPDATE SET birth_date = excluded.birth_date, brin6 = excluded.brin6, provider_code = excluded.provider_code,
  location_code = excluded.location_code, offered_programme_id = excluded.offered_programme_id, start_date = excluded.start_date, end_date = excluded.end_date,
  updated_at = excluded.updated_at, updated_on = excluded.updated_on`;

/**
 * `applyLearnerEvents` for every unread event at once (kernel/events.ts, `consumeInBulk`): the last
 * state of each learner and enrollment, then the statuses. A count date opened here assesses every
 * enrollment unannounced, as any count date that begins (countDates.ts); one open already is
 * re-assessed for the learners the events touch, which announces what changed. Into an empty copy
 * with no count date open (a population loaded at once), the indexes are built after (kernel/bulk.ts).
 */
export async function applyLearnerEventsInBulk(tx: Db): Promise<void> {
  const open = await provisionalCountDates(tx);
  if (open.length === 0 && (await isEmpty(tx, ['funding.enrollment', 'funding.learner']))) {
    return loadWithoutIndexes(tx, ['funding.learner', 'funding.enrollment', 'funding.status'], async () => {
      await writeLastStates(tx, false);
      await foldMerged(tx, await mergesInBulk(tx));
      await openCurrentCountDate(tx);
    });
  }
  await writeLastStates(tx, true);
  await foldMerged(tx, await mergesInBulk(tx));
  if (open.length) {
    const touched = rowsOf<{ id: string }>(
      await tx.execute(sql`SELECT DISTINCT payload->>'learnerId' AS id FROM bulk_event WHERE payload->>'learnerId' IS NOT NULL`),
    );
    await reassess(
      tx,
      touched.map((row) => row.id),
      open,
    );
  }
  await openCurrentCountDate(tx);
}

/**
 * The last state of each learner and enrollment in `bulk_event`; `upsert` over rows the copy holds,
 * as `applyLearnerEvents` does (`registeredBirthDateOf` says which birth date each event gives), and
 * keeping every state replaced, as `keepReplacedStates` does.
 */
async function writeLastStates(tx: Db, upsert: boolean): Promise<void> {
  await insertLastStates(
    tx,
    sql`funding.learner (id, registered_birth_date)`,
    {
      key: 'learnerId',
      values: sql`(payload->>'learnerId')::uuid,
        (CASE WHEN type = ANY(${sql.param([...personEventTypes])}::text[]) THEN payload->>'birthDate' ELSE payload->>'registeredBirthDate' END)::date`,
      where: sql`payload->>'learnerId' IS NOT NULL`,
    },
    upsert ? sql`ON CONFLICT (id) DO UPDATE SET registered_birth_date = excluded.registered_birth_date` : undefined,
  );
  const enrollments = sql`type = ANY(${sql.param([...enrollmentEventTypes])}::text[])`;
  const day = (moment: string) => sql.raw(`(${moment} AT TIME ZONE 'Europe/Amsterdam')::date`);
  const stored = `date_trunc('milliseconds', occurred_at)`;
  const at = sql.raw(stored);
  if (upsert) {
    await tx.execute(sql`INSERT INTO funding.enrollment_version (${sql.raw(versionColumns)})
      SELECT id, ${sql.raw(stateColumns)} FROM funding.enrollment WHERE id IN (SELECT (payload->>'enrollmentId')::uuid FROM bulk_event WHERE ${enrollments})
      ON CONFLICT (enrollment_id, updated_at) DO NOTHING`);
  }
  // Every state but each enrollment's last; of two with one moment (one transaction), the later. A
  // moment to the millisecond, as `applyLearnerEvents` reads it from an event (kernel/events.ts).
  const id = payloadKey('enrollmentId');
  await tx.execute(sql`WITH state AS (
      SELECT payload, ${at} AS at, txid, position, first_value(${at}) OVER (PARTITION BY ${id} ORDER BY txid DESC, position DESC) AS last_at
      FROM bulk_event WHERE ${enrollments}
    )
    INSERT INTO funding.enrollment_version (${sql.raw(versionColumns)})
    SELECT DISTINCT ON (${id}, at) (payload->>'enrollmentId')::uuid, at, ${day('at')}, (payload->>'birthDate')::date,
      payload->>'locationCode', (payload->>'offeredProgrammeId')::uuid, (payload->>'startDate')::date, (payload->>'endDate')::date
    FROM state WHERE at <> last_at
    ORDER BY ${id}, at, txid DESC, position DESC
    ON CONFLICT (enrollment_id, updated_at) DO NOTHING`);
  await insertLastStates(
    tx,
    sql`funding.enrollment (id, learner_id, birth_date, brin6, provider_code, location_code, offered_programme_id, start_date, end_date,
      registered_at, registered_on, updated_at, updated_on)`,
    {
      key: 'enrollmentId',
      values: sql`(payload->>'enrollmentId')::uuid, (payload->>'learnerId')::uuid, (payload->>'birthDate')::date, payload->>'brin6',
        payload->>'providerCode', payload->>'locationCode', (payload->>'offeredProgrammeId')::uuid, (payload->>'startDate')::date,
        (payload->>'endDate')::date, (payload->>'registeredAt')::timestamptz, ${day("(payload->>'registeredAt')::timestamptz")}, ${at}, ${day(stored)}`,
      where: enrollments,
    },
    upsert ? onEnrollment : undefined,
  );
}

export async function applyRioEvents(tx: Db, events: StoredEvent[]): Promise<void> {
  // Funding evaluates providers, locations and programmes; which vestiging teaches where is the learners register's.
  const states = latestRioStates(events).filter((state) => state.kind !== 'BRANCH' && state.kind !== 'LOCATION_USE');
  if (states.length === 0) return;
  await insertRows(
    tx,
    rioObject,
    states.map(({ kind, code, boardCode, brin4, startDate, endDate }) => ({ kind: kind as 'PROVIDER', code, boardCode, brin4, startDate, endDate })),
    sql`ON CONFLICT (kind, code) DO UPDATE SET board_code = excluded.board_code, brin4 = excluded.brin4, start_date = excluded.start_date, end_date = excluded.end_date`,
  );
  // A provider's board does not change a status, only the overviews it is counted in.
  const locations = states.filter((state) => state.kind === 'LOCATION').map((state) => state.code);
  const programmes = states.filter((state) => state.kind === 'OFFERED_PROGRAMME').map((state) => state.code);
  const touched = rowsOf<{ learner_id: string }>(
    await tx.execute(sql`SELECT DISTINCT learner_id FROM funding.enrollment
      WHERE location_code = ANY(${sql.param(locations)}::text[]) OR offered_programme_id::text = ANY(${sql.param(programmes)}::text[])`),
  );
  await reassess(
    tx,
    touched.map((row) => row.learner_id),
    await provisionalCountDates(tx),
  );
}

/** The streams funding keeps its copy from; cursors in `funding.consumer_cursor`. */
export const learnersConsumer = {
  stream: 'learners',
  consumer: 'funding.enrollments',
  cursorSchema: 'funding',
  types: [...enrollmentEventTypes, 'PgnReplaced', ...personEventTypes],
  handle: applyLearnerEvents,
  bulk: applyLearnerEventsInBulk,
};
export const rioConsumer = { stream: 'institutions', consumer: 'funding.rio', cursorSchema: 'funding', types: rioEventTypes, handle: applyRioEvents };
