import { and, count, desc, eq, gt, gte, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { auditLog } from '../../kernel/audit.ts';
import { anyOf } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { covers, parseBrin6, parsePgn, parseUuid, pgnOrNull } from '../../kernel/ids/index.ts';
import { connectionOf, decodeCursor, decodeDayKey, newestFirst, pageSize, totalOf } from '../../kernel/pages.ts';
import { DateScalar, DateTimeScalar, parseDay } from '../../kernel/scalars.ts';
import type { ResolverMap, SubgraphContext } from '../../kernel/subgraph.ts';
import { canSee, listReach, readReach, schoolOf } from './access.ts';
import { coveredBy, notFound } from '../../kernel/reach.ts';
import { acknowledgeTransfer, changeEnrollment, deregisterLearner, recordResult } from './changes.ts';
import { decideExpulsion, executeExpulsion, intendExpulsion, recordExpulsionHearing, withdrawExpulsion } from './expulsions.ts';
import { expulsionsOf, expulsionsPage, residentConditions, residentEnrollmentChanged, type EnrollmentFilterInput } from './residents.ts';
import { enroll, type EnrollInput, type Outcome } from './enroll.ts';
import { identifyLearner, replacePgn } from './identify.ts';
import type { LearnerLoaders } from './loaders.ts';
import { actionFor } from './reconciliation.ts';
import { schoolPostcodeAreas } from './residence.ts';
import { acknowledgeSignal } from './signals.ts';
import {
  enrollment,
  learnerPgn,
  signal,
  transferNotice,
  type EnrollmentRow,
  type ExpulsionRow,
  type LearnerRow,
  type SignalRow,
  type TransferNoticeRow,
} from './tables.ts';
import { factOf, learnerView, residenceOf, seesEnrollment, visibleEnrollment, visibleLearner } from './views.ts';
import { eventSubscription } from '../../kernel/feed.ts';

type Context = SubgraphContext<LearnerLoaders>;

async function visibleNotice(context: Context, id: string): Promise<TransferNoticeRow | null> {
  const row = await context.loaders.transferNotice.load(id);
  return row && canSee(readReach(context.viewer), row.brin6) ? row : null;
}

async function enrollmentsPage(context: Context, args: { filter?: EnrollmentFilterInput | null; first?: number | null; after?: string | null }) {
  // A municipality lists its residents' enrollments (LPW art 19; residents.ts).
  const reach = readReach(context.viewer);
  const size = pageSize(args.first);
  const conditions: SQL[] = residentConditions(context, args.filter);
  if (reach.kind === 'school') conditions.push(coveredBy(enrollment.brin6, reach.school));
  if (args.filter?.brin6 != null) conditions.push(eq(enrollment.brin6, parseBrin6(args.filter.brin6, 'filter.brin6')));
  if (args.filter?.activeOn != null) {
    const day = parseDay(args.filter.activeOn, 'filter.activeOn');
    conditions.push(lte(enrollment.startDate, day), or(isNull(enrollment.endDate), gte(enrollment.endDate, day))!);
  }
  const after: SQL[] = [];
  if (args.after != null) {
    const [startDate, id] = decodeDayKey(args.after);
    after.push(or(gt(enrollment.startDate, startDate), and(eq(enrollment.startDate, startDate), gt(enrollment.id, id)))!);
  }
  const rows = await context.db
    .select()
    .from(enrollment)
    .where(and(...conditions, ...after))
    .orderBy(enrollment.startDate, enrollment.id)
    .limit(size + 1);
  const total = await totalOf(rows, size, args.after, async () => {
    const [counted] = await context.db
      .select({ value: count() })
      .from(enrollment)
      .where(and(...conditions));
    return counted?.value ?? 0;
  });
  return connectionOf(rows, size, (row) => `${row.startDate}|${row.id}`, total);
}

async function signalsPage(context: Context, args: { status?: SignalRow['status'] | null; first?: number | null; after?: string | null }) {
  const reach = listReach(context.viewer);
  const conditions: SQL[] = [];
  if (reach.kind === 'school') conditions.push(coveredBy(signal.brin6, reach.school));
  if (args.status != null) conditions.push(eq(signal.status, args.status));
  return newestFirst<SignalRow>(context.db, signal, { moment: signal.issuedAt, id: signal.id }, (row) => row.issuedAt, conditions, args);
}

async function noticesPage(context: Context, args: { status?: 'OPEN' | 'HANDLED' | null; first?: number | null; after?: string | null }) {
  const reach = listReach(context.viewer);
  const conditions: SQL[] = [];
  if (reach.kind === 'school') conditions.push(coveredBy(transferNotice.brin6, reach.school));
  if (args.status != null) conditions.push(eq(transferNotice.status, args.status));
  return newestFirst<TransferNoticeRow>(
    context.db,
    transferNotice,
    { moment: transferNotice.issuedAt, id: transferNotice.id },
    (row) => row.issuedAt,
    conditions,
    args,
  );
}

/** Enrollments, each logged with its PGN and whether it was stored; a refusal of the whole call too. */
async function enrollAudited(context: Context, items: EnrollInput[]) {
  try {
    const outcomes = await enroll(context.db, schoolOf(context.viewer), items, await schoolPostcodeAreas(context.db));
    outcomes.forEach((outcome, i) => context.audit.record('ENROLL', pgnOrNull(items[i]!.learner.pgn), outcome.ok ? 'ALLOWED' : 'REFUSED'));
    return outcomes;
  } catch (error) {
    for (const item of items) context.audit.record('ENROLL', pgnOrNull(item.learner.pgn), 'REFUSED');
    throw error;
  }
}

/**
 * The enrollments of the items stored, in the order of the call: each new one as this call wrote it,
 * without reading it back; a resent document's as it stands now, as it may have changed since.
 */
async function enrollmentsOf(context: Context, outcomes: Outcome[]): Promise<EnrollmentRow[]> {
  const resent = outcomes.flatMap((outcome) => (outcome.ok && !outcome.written ? [outcome.value.enrollmentId] : []));
  const rows = resent.length ? await context.db.select().from(enrollment).where(anyOf(enrollment.id, resent)) : [];
  const read = new Map(rows.map((row) => [row.id, row]));
  return outcomes.flatMap((outcome) => (outcome.ok ? [outcome.written ?? read.get(outcome.value.enrollmentId)!] : []));
}

/** The audit log, newest first; `pgn` finds the lines about one PGN by its keyed hash. */
async function auditPage(context: Context, args: { pgn?: string | null; first?: number | null; after?: string | null }) {
  const size = pageSize(args.first);
  const conditions: SQL[] = [];
  if (args.pgn != null) conditions.push(eq(auditLog.object, context.audit.digest(parsePgn(args.pgn, 'pgn').value)));
  const [total] = await context.db
    .select({ value: count() })
    .from(auditLog)
    .where(and(...conditions));
  if (args.after != null) {
    const seq = Number(decodeCursor(args.after));
    if (!Number.isSafeInteger(seq)) throw new RegisterError('BAD_USER_INPUT', 'The cursor is malformed: pass an endCursor from an earlier page', 'after');
    conditions.push(lt(auditLog.seq, seq));
  }
  const rows = await context.db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.seq))
    .limit(size + 1);
  return connectionOf(
    rows.map((row) => ({ ...row, id: String(row.seq) })),
    size,
    (row) => row.id,
    total?.value ?? 0,
  );
}

/** A signal's value; a PGN it carries is read as any PGN is, into the audit log. */
function pgnValue(context: Context, row: SignalRow, value: string | null): string | null {
  if (row.field === 'pgn' && value !== null) context.audit.record('READ_PGN', value);
  return value;
}

const forMunicipality = (context: Context) => context.viewer.role === 'MUNICIPALITY';

/** The answer to a step of an expulsion: the expulsion and its enrollment as they now stand. */
async function expulsionPayload(context: Context, done: { expulsionId: string }) {
  const row = (await context.loaders.expulsion.load(done.expulsionId))!;
  return { expulsion: row, enrollment: await loadEnrollment(context, row.enrollmentId) };
}

/**
 * The id a viewer knows a learner by. A school whose learner was folded into another (merge.ts) keeps
 * knowing it by the id it had: that two learners were one child is no news of other schools to it.
 */
async function learnerIdFor(context: Context, row: LearnerRow): Promise<string> {
  const reach = readReach(context.viewer);
  if (reach.kind !== 'school') return row.id;
  // Its enrollments decide where it has any (as absence's copy decides, which knows only those).
  const own = (await context.loaders.deliveriesOfLearner.load(row.id)).filter((each) => covers(reach.school, each.brin6));
  const deciding = own.some((each) => each.enrollmentId !== null) ? own.filter((each) => each.enrollmentId !== null) : own;
  return deciding.find((each) => each.absorbedFrom !== null)?.absorbedFrom ?? row.id;
}

const loadEnrollment = async (context: Context, id: string) => (await context.loaders.enrollment.load(id))!;
const loadLearner = async (context: Context, id: string) => (await context.loaders.learner.load(id))!;

export const resolvers: ResolverMap<Context> = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  Query: {
    learner: async (_, args: { pgn: string }, context) => {
      const reach = readReach(context.viewer);
      const pgn = parsePgn(args.pgn, 'pgn').value;
      // A school's question is one statement, whether or not anyone knows the PGN: not even the time
      // of the answer tells it whether another school does.
      const own =
        reach.kind === 'school'
          ? sql`AND EXISTS (SELECT 1 FROM learners.delivery d WHERE d.learner_id = ${learnerPgn.learnerId} AND ${coveredBy(sql`d.brin6`, reach.school)})`
          : sql``;
      const [held] = await context.db
        .select({ learnerId: learnerPgn.learnerId })
        .from(learnerPgn)
        .where(sql`${learnerPgn.pgn} = ${pgn} ${own}`);
      const row = await visibleLearner(context, reach, held ? await context.loaders.learner.load(held.learnerId) : null);
      context.audit.record('FIND_LEARNER', pgn, row ? 'ALLOWED' : 'REFUSED');
      if (!row) throw notFound(`learner with PGN ${pgn}`);
      return row;
    },
    auditLog: async (_, args: { pgn?: string | null; first?: number | null; after?: string | null }, context) => {
      if (context.viewer.role !== 'OPERATOR') throw new RegisterError('FORBIDDEN', 'Only the register operator reads the audit log');
      return auditPage(context, args);
    },
    enrollment: async (_, args: { id: string }, context) => {
      const row = await visibleEnrollment(context, await context.loaders.enrollment.load(parseUuid(args.id, 'id', 'an enrollment id')));
      if (!row) throw notFound(`enrollment ${args.id}`);
      return row;
    },
    enrollments: (_, args, context) => enrollmentsPage(context, args),
    transferNotices: (_, args, context) => noticesPage(context, args),
    signals: (_, args, context) => signalsPage(context, args),
    expulsions: (_, args, context) => expulsionsPage(context, args),
  },
  Mutation: {
    identifyLearner: async (_, { input }, context) => {
      const learner = await loadLearner(
        context,
        (await identifyLearner(context.db, schoolOf(context.viewer), input, await schoolPostcodeAreas(context.db))).learnerId,
      );
      context.audit.record('IDENTIFY_LEARNER', learner.pgn);
      return { learner };
    },
    replacePgn: async (_, { input }: { input: { documentId: string; onderwijsnummer: string; bsn: string } }, context) => {
      // Both numbers are the learner's: the change reads one and writes the other.
      const record = (result: 'ALLOWED' | 'REFUSED') =>
        [input.onderwijsnummer, input.bsn].forEach((pgn) => context.audit.record('REPLACE_PGN', pgnOrNull(pgn), result));
      try {
        const learner = await loadLearner(context, (await replacePgn(context.db, schoolOf(context.viewer), input)).learnerId);
        record('ALLOWED');
        return { learner };
      } catch (error) {
        record('REFUSED');
        throw error;
      }
    },
    enrollLearner: async (_, { input }: { input: EnrollInput }, context) => {
      const [outcome] = await enrollAudited(context, [input]);
      if (!outcome!.ok) throw outcome!.error;
      const { enrollmentId, learnerId, noticeIds } = outcome!.value;
      return {
        enrollment: await loadEnrollment(context, enrollmentId),
        learner: await loadLearner(context, learnerId),
        transferNoticeCount: noticeIds.length,
      };
    },
    enrollLearners: async (_, { input }: { input: { items: EnrollInput[] } }, context) => {
      const outcomes = await enrollAudited(context, input.items);
      return {
        enrollments: await enrollmentsOf(context, outcomes),
        failures: outcomes.flatMap((outcome, index) =>
          outcome.ok ? [] : [{ index, code: outcome.error.code, field: outcome.error.field ?? null, message: outcome.error.message }],
        ),
      };
    },
    changeEnrollment: async (_, { input }, context) => ({
      enrollment: await loadEnrollment(
        context,
        (await changeEnrollment(context.db, schoolOf(context.viewer), input, await schoolPostcodeAreas(context.db))).enrollmentId,
      ),
    }),
    deregisterLearner: async (_, { input }, context) => ({
      enrollment: await loadEnrollment(context, (await deregisterLearner(context.db, schoolOf(context.viewer), input)).enrollmentId),
    }),
    recordResult: async (_, { input }, context) => {
      const { resultId, enrollmentId } = await recordResult(context.db, schoolOf(context.viewer), input);
      const results = await context.loaders.resultsOfEnrollment.load(enrollmentId);
      return { result: results.find((row) => row.id === resultId), enrollment: await loadEnrollment(context, enrollmentId) };
    },
    acknowledgeTransfer: async (_, { input }, context) => {
      const { noticeId, enrollmentId } = await acknowledgeTransfer(context.db, schoolOf(context.viewer), input);
      return { notice: await context.loaders.transferNotice.load(noticeId), enrollment: await loadEnrollment(context, enrollmentId) };
    },
    intendExpulsion: async (_, { input }, context) => expulsionPayload(context, await intendExpulsion(context.db, schoolOf(context.viewer), input)),
    recordExpulsionHearing: async (_, { input }, context) =>
      expulsionPayload(context, await recordExpulsionHearing(context.db, schoolOf(context.viewer), input)),
    decideExpulsion: async (_, { input }, context) => expulsionPayload(context, await decideExpulsion(context.db, schoolOf(context.viewer), input)),
    executeExpulsion: async (_, { input }, context) => expulsionPayload(context, await executeExpulsion(context.db, schoolOf(context.viewer), input)),
    withdrawExpulsion: async (_, { input }, context) => expulsionPayload(context, await withdrawExpulsion(context.db, schoolOf(context.viewer), input)),
    acknowledgeSignal: async (_, { input }, context) => ({
      signal: await context.loaders.signal.load((await acknowledgeSignal(context.db, schoolOf(context.viewer), input)).signalId),
    }),
  },
  Learner: {
    __resolveReference: async (ref: { id: string }, context) => visibleLearner(context, readReach(context.viewer), await context.loaders.learner.load(ref.id)),
    id: (row: LearnerRow, _, context) => learnerIdFor(context, row),
    pgn: (row: LearnerRow, _, context) => {
      context.audit.record('READ_PGN', row.pgn);
      return row.pgn;
    },
    formerPgns: async (row: LearnerRow, _, context) => {
      // A school sees the former PGNs it delivered under: not one it never knew the learner by.
      const reach = readReach(context.viewer);
      const delivered =
        reach.kind === 'school'
          ? new Set((await context.loaders.deliveriesOfLearner.load(row.id)).filter((each) => covers(reach.school, each.brin6)).map((each) => each.pgn))
          : null;
      return (await context.loaders.formerPgnsOfLearner.load(row.id))
        .filter((former) => !delivered || delivered.has(former.pgn))
        .map((former) => {
          context.audit.record('READ_PGN', former.pgn);
          // A former PGN is its own id in a client's cache: a PGN is never issued twice.
          return { id: former.pgn, pgn: former.pgn, kind: former.kind, replacedAt: former.replacedAt };
        });
    },
    birthDate: async (row: LearnerRow, _, context) => factOf(await learnerView(context, row), 'birthDate'),
    gender: async (row: LearnerRow, _, context) => factOf(await learnerView(context, row), 'gender'),
    postcode: async (row: LearnerRow, _, context) => factOf(await learnerView(context, row), 'postcode'),
    familyName: async (row: LearnerRow, _, context) => factOf(await learnerView(context, row), 'familyName'),
    givenNames: async (row: LearnerRow, _, context) => factOf(await learnerView(context, row), 'givenNames'),
    residence: async (row: LearnerRow, _, context) => {
      const view = await learnerView(context, row);
      const residence = residenceOf(view.person, view.delivery);
      // The learner's own id in a client's cache, as this viewer knows the learner.
      return residence && { id: await learnerIdFor(context, row), ...residence };
    },
    enrollments: async (row: LearnerRow, _, context) => {
      const reach = readReach(context.viewer);
      const all = await context.loaders.enrollmentsOfLearner.load(row.id);
      const seen = await Promise.all(all.map((each) => seesEnrollment(context, reach, each)));
      return all.filter((_, i) => seen[i]);
    },
  },
  Enrollment: {
    __resolveReference: async (ref: { id: string }, context) => visibleEnrollment(context, await context.loaders.enrollment.load(ref.id)),
    learner: (row: EnrollmentRow, _, context) => loadLearner(context, row.learnerId),
    branch: (row: EnrollmentRow) => ({ brin6: row.brin6 }),
    provider: (row: EnrollmentRow) => ({ code: row.providerCode }),
    location: (row: EnrollmentRow) => ({ code: row.locationCode }),
    offeredProgramme: (row: EnrollmentRow) => ({ id: row.offeredProgrammeId }),
    // A school's results and educational concept are no municipality's business (residents.ts): leerplicht needs neither.
    results: (row: EnrollmentRow, _, context) => (forMunicipality(context) ? [] : context.loaders.resultsOfEnrollment.load(row.id)),
    educationalConcept: (row: EnrollmentRow, _, context) => (forMunicipality(context) ? null : row.educationalConcept),
    expulsions: (row: EnrollmentRow, _, context) => expulsionsOf(context, row),
  },
  Expulsion: {
    enrollment: (row: ExpulsionRow, _, context) => loadEnrollment(context, row.enrollmentId),
    // The school's grounds are its own record; the municipality is told of the decision (LPW art 18.1).
    grounds: (row: ExpulsionRow, _, context) => (forMunicipality(context) ? null : row.grounds),
    receivingSchool: (row: ExpulsionRow) =>
      row.receivingSchool === null
        ? null
        : { id: row.id, school: row.receivingSchool, destination: row.receivingDestination, willingOn: row.receivingSchoolWillingOn },
  },
  TransferNotice: {
    __resolveReference: (ref: { id: string }, context) => visibleNotice(context, ref.id),
    enrollment: (row: TransferNoticeRow, _, context) => loadEnrollment(context, row.enrollmentId),
    learnerPgn: async (row: TransferNoticeRow, _, context) => {
      const { pgn } = await loadLearner(context, (await loadEnrollment(context, row.enrollmentId)).learnerId);
      context.audit.record('READ_PGN', pgn);
      return pgn;
    },
    newProvider: (row: TransferNoticeRow) => ({ code: row.newProviderCode }),
    newLocation: (row: TransferNoticeRow) => ({ code: row.newLocationCode }),
  },
  Signal: {
    enrollment: (row: SignalRow, _, context) => loadEnrollment(context, row.enrollmentId),
    deliveredValue: (row: SignalRow, _, context) => pgnValue(context, row, row.deliveredValue),
    registeredValue: (row: SignalRow, _, context) => pgnValue(context, row, row.registeredValue),
    action: (row: SignalRow) => actionFor(row),
  },
  Subscription: {
    residentEnrollmentChanged,
    signalIssued: eventSubscription<Context>({
      stream: 'learners',
      types: ['SignalIssued'],
      keys: { school: 'brin6' },
      resolve: async ({ keys }, context) => ({ signal: await context.loaders.signal.load(keys.signalId!) }),
    }),
    transferNoticeIssued: eventSubscription<Context>({
      stream: 'learners',
      types: ['TransferNoticeIssued'],
      keys: { school: 'brin6' },
      resolve: async ({ keys }, context) => ({ notice: await context.loaders.transferNotice.load(keys.noticeId!) }),
    }),
  },
};
