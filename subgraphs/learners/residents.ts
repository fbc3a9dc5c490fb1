import { eq, gte, isNotNull, isNull, type SQL } from 'drizzle-orm';
import { enrollmentEventTypes, type PersonState } from '../../contracts/learners.ts';
import { RegisterError } from '../../kernel/errors.ts';
import type { StoredEvent } from '../../kernel/events.ts';
import { eventSubscription, type FeedEvents, type SubscriptionField } from '../../kernel/feed.ts';
import { newestFirst } from '../../kernel/pages.ts';
import { coveredBy, reachOf } from '../../kernel/reach.ts';
import { covers } from '../../kernel/ids/index.ts';
import type { SubgraphContext } from '../../kernel/subgraph.ts';
import { readReach } from './access.ts';
import { residentEnrollment } from './leerplicht.ts';
import type { LearnerLoaders } from './loaders.ts';
import { enrollment, expulsion, type EnrollmentRow, type ExpulsionRow } from './tables.ts';
import { visibleEnrollment, visibleLearner } from './views.ts';

/*
 * The municipality's side of the learners register (LPW art 18.1, 19; README, "Leerplicht for
 * municipalities"): its residents' enrollments, listed and followed live, and the decisions to expel
 * them. A resident is a learner the person source places in the municipality, or one it does not
 * place whose enrollment's delivery does (views.ts, residenceOf). What a municipality reads of an
 * enrollment is what leerplicht needs: the school, the dates, group, end reason and destination; not
 * the doorstroomtoets results or the educational concept a school delivered (resolvers.ts).
 */

type Context = SubgraphContext<LearnerLoaders>;

export interface EnrollmentFilterInput {
  activeOn?: string | null;
  brin6?: string | null;
  deregistered?: boolean | null;
  /** Parsed by the DateTime scalar. */
  changedSince?: Date | null;
}

/** The conditions of a page of enrollments that are the viewer's reach's own: a municipality's are its residents'. */
export function residentConditions(context: Context, filter: EnrollmentFilterInput | null | undefined): SQL[] {
  const reach = readReach(context.viewer);
  const conditions: SQL[] = [];
  if (reach.kind === 'municipality') conditions.push(residentEnrollment(enrollment.id, reach.code));
  if (filter?.deregistered != null) conditions.push(filter.deregistered ? isNotNull(enrollment.endDate) : isNull(enrollment.endDate));
  if (filter?.changedSince != null) conditions.push(gte(enrollment.updatedAt, filter.changedSince));
  return conditions;
}

/** Whether the viewer may see the expulsion: its school; the municipality of residence once it is decided (LPW art 18.1); the operator. */
export async function visibleExpulsion(context: Context, row: ExpulsionRow | null): Promise<ExpulsionRow | null> {
  if (!row) return null;
  const reach = readReach(context.viewer);
  if (reach.kind === 'school') return covers(reach.school, row.brin6) ? row : null;
  if (reach.kind === 'municipality') {
    if (row.decidedOn === null) return null;
    return (await visibleEnrollment(context, await context.loaders.enrollment.load(row.enrollmentId))) ? row : null;
  }
  return row;
}

/** The expulsions the viewer may see, newest first. */
export function expulsionsPage(context: Context, args: { status?: ExpulsionRow['status'] | null; first?: number | null; after?: string | null }) {
  const reach = readReach(context.viewer);
  const conditions: SQL[] = [];
  if (reach.kind === 'school') conditions.push(coveredBy(expulsion.brin6, reach.school));
  if (reach.kind === 'municipality') conditions.push(isNotNull(expulsion.decidedOn), residentEnrollment(expulsion.enrollmentId, reach.code));
  if (args.status != null) conditions.push(eq(expulsion.status, args.status));
  return newestFirst<ExpulsionRow>(context.db, expulsion, { moment: expulsion.startedAt, id: expulsion.id }, (row) => row.startedAt, conditions, args);
}

/** The enrollment's expulsions the viewer may see, oldest first. */
export async function expulsionsOf(context: Context, row: EnrollmentRow): Promise<ExpulsionRow[]> {
  const all = await context.loaders.expulsionsOfEnrollment.load(row.id);
  const seen = await Promise.all(all.map((each) => visibleExpulsion(context, each)));
  return all.filter((_, i) => seen[i]);
}

const changes: Record<string, string> = {
  EnrollmentRegistered: 'ENROLLED',
  EnrollmentChanged: 'CHANGED',
  LearnerDeregistered: 'DEREGISTERED',
  ExpulsionDecided: 'EXPULSION_DECIDED',
  ExpulsionWithdrawn: 'EXPULSION_WITHDRAWN',
  PersonRegistered: 'MOVED_IN',
  PersonMoved: 'MOVED_IN',
};

/**
 * Whether a municipality's follower is told of the event: one keyed by a municipality of residence,
 * of an enrollment, of an expulsion's decision or its withdrawal after it, or of a learner the person
 * source now places in a municipality (a move, or a first registration). An address change within
 * the municipality is not news to it. Decided by the event alone, so a replay from any cursor skips
 * the same events.
 */
function residentsEvent(event: StoredEvent): boolean {
  if (!event.keys.municipalityCode) return false;
  if (event.type === 'PersonMoved') return Boolean(event.keys.learnerId) && (event.payload as unknown as PersonState).changed.includes('municipalityCode');
  if (event.type === 'PersonRegistered') return Boolean(event.keys.learnerId);
  return true;
}

/** The events of `events` that `keep` keeps; where it starts, and its end, stay those of `events`. */
function only(events: FeedEvents, keep: (event: StoredEvent) => boolean): FeedEvents {
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      for (;;) {
        const next = await events.next();
        if (next.done || keep(next.value)) return next;
      }
    },
    return: () => events.return!(),
    throw: (error?: unknown) => events.throw!(error),
    start: () => events.start(),
  };
}

const following = eventSubscription<Context>({
  stream: 'learners',
  types: [...enrollmentEventTypes, 'ExpulsionDecided', 'ExpulsionWithdrawn', 'PersonRegistered', 'PersonMoved'],
  keys: { municipality: 'municipalityCode' },
  resolve: async ({ type, keys }, context) => {
    const reach = readReach(context.viewer);
    const { loaders } = context;
    return {
      change: changes[type],
      learner: keys.learnerId ? await visibleLearner(context, reach, await loaders.learner.load(keys.learnerId)) : null,
      enrollment: keys.enrollmentId && type !== 'PersonMoved' ? await visibleEnrollment(context, await loaders.enrollment.load(keys.enrollmentId)) : null,
      expulsion: keys.expulsionId ? await visibleExpulsion(context, await loaders.expulsion.load(keys.expulsionId)) : null,
    };
  },
});

/**
 * residentEnrollmentChanged: a municipality follows its residents' enrollments (the operator: every
 * municipality's), resumable from a cursor with nothing skipped or doubled (kernel/feed.ts). Each
 * event was keyed by the residence when it happened; what it resolves to is read now, for the
 * viewer: a learner who moved away since is null to the municipality they left.
 */
export const residentEnrollmentChanged: SubscriptionField<Context> = {
  subscribe: (parent, args, context) => {
    const reach = reachOf(context.viewer);
    if (reach.kind !== 'municipality' && reach.kind !== 'all')
      throw new RegisterError('FORBIDDEN', "Only a municipality (or the operator) follows its residents' enrollments");
    return only(following.subscribe(parent, args, context) as FeedEvents, residentsEvent);
  },
  resolve: following.resolve,
};
