import { DateScalar, DateTimeScalar, today } from '../../kernel/scalars.ts';
import { dependsOn, type ResolverMap, type SubgraphContext } from '../../kernel/subgraph.ts';
import { notFound } from '../../kernel/reach.ts';
import { canSee, mustOperate, readReach } from './access.ts';
import { keptCountDates } from './countDates.ts';
import { fundingCounts, type CountGroup, type FundingCount } from './counts.ts';
import type { FundingLoaders, FundingStatusValue } from './loaders.ts';
import { runCountDate } from './run.ts';
import { extensionsFor, type ExtensionValue } from './extensions.ts';
import { grantRegistrationExtension, type GrantExtensionInput } from './grant.ts';
import { currentCountDate, explain, fundingYearOf, parseCountDate, registrationDeadline } from './rules.ts';
import type { CountDateRow } from './tables.ts';
import { eventSubscription } from '../../kernel/feed.ts';

type Context = SubgraphContext<FundingLoaders>;

/** A count date from the API: a day, and 1 February; none is the current count date (rules.ts). */
function countDateArgument(value: string | null | undefined): string {
  if (value != null) return parseCountDate(value);
  // Every fundingStatus asks (220 times for a whole school), and the answer changes once a day.
  const day = today();
  if (current.day !== day) current = { day, countDate: currentCountDate(day) };
  return current.countDate;
}

let current = { day: '', countDate: '' };

const countId = (count: FundingCount) => `${count.countDate.countDate}/${count.groupBy}/${count.code}`;

export const resolvers: ResolverMap<Context> = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  Query: {
    fundingCounts: async (_, args: { countDate?: string | null; groupBy: CountGroup; code?: string | null }, context) =>
      fundingCounts(context.db, readReach(context.viewer), countDateArgument(args.countDate), args.groupBy, args.code ?? undefined),
    countDates: async (_, __, context) => {
      readReach(context.viewer);
      return keptCountDates(context.db);
    },
    registrationExtensions: async (_, args: { countDate?: string | null }, context) =>
      extensionsFor(context.db, readReach(context.viewer), args.countDate == null ? undefined : parseCountDate(args.countDate)),
  },
  Mutation: {
    runCountDate: async (_, args: { countDate: string }, context) => {
      mustOperate(context.viewer);
      return runCountDate(context.db, countDateArgument(args.countDate), context.log);
    },
    grantRegistrationExtension: async (_, args: { input: GrantExtensionInput }, context) => {
      const { id } = await grantRegistrationExtension(context.db, context.viewer, args.input);
      // Its count date's grants only: whether it is in force is decided among those of its school.
      return (await extensionsFor(context.db, { kind: 'all' }, parseCountDate(args.input.countDate))).find((extension) => extension.id === id);
    },
  },
  Enrollment: {
    __resolveReference: (ref: { id: string }) => ref,
    fundingStatus: async (enrollment: { id: string }, args: { countDate?: string | null }, context, info) => {
      const reach = readReach(context.viewer);
      const day = countDateArgument(args.countDate);
      const place = await context.loaders.whereabouts.load(enrollment.id);
      if (!place) return null;
      // What the status reads: every enrollment of the learner, and the learner (assess.ts).
      dependsOn(context, info, `learner:${place.learnerId}`);
      // What a viewer may not see does not exist for it, as in the learners register.
      if (!canSee(reach, place)) throw notFound(`enrollment ${enrollment.id}`);
      const status = await context.loaders.status.load(`${day}/${enrollment.id}`);
      // An enrollment's status on a count date is one object in a client's cache (README, Clients).
      return status && { ...status, id: `${enrollment.id}/${day}` };
    },
  },
  FundingStatus: {
    fundingYear: (status: FundingStatusValue) => fundingYearOf(status.countDate),
    outcome: (status: FundingStatusValue) => (status.reasons.length ? 'NOT_FUNDABLE' : 'FUNDABLE'),
    explanation: (status: FundingStatusValue) => explain(status.reasons, status.countDate, status.birthDateSource, status.deadline, today()),
  },
  // The ids a client's cache knows these by (README, Clients): what picks each out.
  FundingCount: {
    id: (count: FundingCount) => countId(count),
    byReason: (count: FundingCount) => count.byReason.map((each) => ({ id: `${countId(count)}/${each.reason}`, ...each })),
    countDate: (count: FundingCount) => count.countDate.countDate,
    fundingYear: (count: FundingCount) => fundingYearOf(count.countDate.countDate),
    phase: (count: FundingCount) => count.countDate.phase,
  },
  CountDate: {
    id: (row: CountDateRow) => row.countDate,
    fundingYear: (row: CountDateRow) => fundingYearOf(row.countDate),
    registrationDeadline: (row: CountDateRow) => registrationDeadline(row.countDate),
  },
  RegistrationExtension: {
    school: (extension: ExtensionValue) => extension.brin4,
    fundingYear: (extension: ExtensionValue) => fundingYearOf(extension.countDate),
  },
  Subscription: {
    fundingStatusChanged: eventSubscription<Context>({
      stream: 'funding',
      types: ['FundingStatusChanged'],
      keys: { school: 'brin6' },
      resolve: ({ payload }) => ({
        enrollment: { id: payload.enrollmentId },
        countDate: payload.countDate,
        fundingYear: payload.fundingYear,
        phase: payload.phase,
        previous: payload.previous,
        current: payload.current,
      }),
    }),
  },
};
