import { eq, sql, type SQL } from 'drizzle-orm';
import { RegisterError } from '../../kernel/errors.ts';
import { covers, parseBrin6, parseUuid, pgnOrNull } from '../../kernel/ids/index.ts';
import { newestFirst } from '../../kernel/pages.ts';
import { DateScalar, DateTimeScalar, parseDay } from '../../kernel/scalars.ts';
import type { ResolverMap, SubgraphContext } from '../../kernel/subgraph.ts';
import { canSeeReport, readReach } from './access.ts';
import { coveredBy, notFound } from '../../kernel/reach.ts';
import { calendarOf } from './calendars.ts';
import { changeReportStatus, recordAbsence, registerExemption, reportAbsence, setSchoolCalendar, type ReportAbsenceInput } from './changes.ts';
import type { AbsenceLoaders } from './loaders.ts';
import type { Absence, Reached, ReportFacts, ReportStatus } from './rules.ts';
import { holidayWeeks, parseSchoolYear } from './schoolCalendar.ts';
import { acknowledgeSignal } from './absoluteAbsence.ts';
import type { AbsoluteAbsenceStatus } from './leerplicht.ts';
import {
  absoluteAbsenceSignal,
  exemption,
  exemptionNotice,
  report,
  type AbsoluteAbsenceSignalRow,
  type ExemptionNoticeRow,
  type ExemptionRow,
  type ReportRow,
} from './tables.ts';
import { eventSubscription } from '../../kernel/feed.ts';

type Context = SubgraphContext<AbsenceLoaders>;

async function visibleReport(context: Context, id: string): Promise<ReportRow | null> {
  const row = await context.loaders.report.load(id);
  return row && canSeeReport(readReach(context.viewer), row) ? row : null;
}

async function loadReport(context: Context, id: string): Promise<ReportRow> {
  return (await context.loaders.report.load(id))!;
}

async function reportsPage(
  context: Context,
  args: {
    filter?: { status?: ReportStatus | null; reportedFrom?: string | null; reportedTo?: string | null } | null;
    first?: number | null;
    after?: string | null;
  },
) {
  const reach = readReach(context.viewer);
  const conditions: (SQL | undefined)[] = [];
  if (reach.kind === 'school') conditions.push(coveredBy(report.brin6, reach.school));
  if (reach.kind === 'municipality') conditions.push(eq(report.municipalityCode, reach.code));
  if (args.filter?.status != null) conditions.push(eq(report.status, args.filter.status));
  // A day is a day in the Netherlands, where reports are made and read.
  const reportedOn = sql`(${report.reportedAt} AT TIME ZONE 'Europe/Amsterdam')::date`;
  if (args.filter?.reportedFrom != null) conditions.push(sql`${reportedOn} >= ${parseDay(args.filter.reportedFrom, 'filter.reportedFrom')}::date`);
  if (args.filter?.reportedTo != null) conditions.push(sql`${reportedOn} <= ${parseDay(args.filter.reportedTo, 'filter.reportedTo')}::date`);
  return newestFirst<ReportRow>(context.db, report, { moment: report.reportedAt, id: report.id }, (row) => row.reportedAt, conditions, args);
}

/**
 * A school's calendar for a school year: the school sees its own, a municipality and the operator any
 * school's (a school's holidays are public, in its schoolgids); a board none (access.ts). A school the
 * register does not know, or another school asked by a school, is NOT_FOUND.
 */
async function schoolCalendarOf(context: Context, brin6Input: string, schoolYearInput: string) {
  const reach = readReach(context.viewer);
  const brin6 = parseBrin6(brin6Input);
  const schoolYear = parseSchoolYear(schoolYearInput);
  if (reach.kind === 'school' && !covers(reach.school, brin6)) throw notFound(`school ${brin6}`);
  const { known, calendar } = await calendarOf(context.db, brin6, schoolYear);
  if (!known) throw notFound(`school ${brin6}`);
  const year = calendar.year(schoolYear);
  const id = `${brin6}/${schoolYear}`;
  return {
    id,
    branch: { brin6 },
    schoolYear,
    source: year.source,
    region: year.region?.toUpperCase() ?? null,
    // In order, so a holiday's place in it names it while the calendar stands (README, Clients).
    holidays: year.holidays.map((holiday, i) => ({ id: `${id}/${i}`, ...holiday })),
    holidayWeeks: holidayWeeks(calendar, schoolYear),
  };
}

/**
 * Absolute-absence signals are the municipality's (LPW art 16: the municipality sees to it that the
 * duty is kept), and the operator's: a school never reads one, a board reads no absence at all.
 */
function signalReach(context: Context) {
  const reach = readReach(context.viewer);
  if (reach.kind === 'school')
    throw new RegisterError('FORBIDDEN', 'Absolute-absence signals are for the municipality where the child lives; a school does not read them');
  return reach;
}

async function loadSignal(context: Context, id: string): Promise<AbsoluteAbsenceSignalRow> {
  return (await context.loaders.absoluteAbsenceSignal.load(id))!;
}

const signalChanges: Record<string, 'ISSUED' | 'ACKNOWLEDGED' | 'RESOLVED'> = {
  AbsoluteAbsenceSignalIssued: 'ISSUED',
  AbsoluteAbsenceSignalAcknowledged: 'ACKNOWLEDGED',
  AbsoluteAbsenceSignalResolved: 'RESOLVED',
};

const reachedValue = (reached: Reached | null) => reached && { startDate: reached.startDate, reachedOn: reached.reachedOn, hours: reached.hours };
/** The proposed report's day parts are the enrollment's absence on each: that names them in a client's cache. */
const proposalValue = (enrollmentId: string, proposal: ReportFacts | null) =>
  proposal && {
    ...proposal,
    absences: proposal.absences.map((absence: Absence) => ({ id: `${enrollmentId}/${absence.date}/${absence.dayPart}`, ...absence })),
  };

export const resolvers: ResolverMap<Context> = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  Query: {
    absenceReport: async (_, args: { id: string }, context) => {
      const row = await visibleReport(context, parseUuid(args.id, 'id', 'a report id'));
      if (!row) throw notFound(`absence report ${args.id}`);
      return row;
    },
    absenceReports: (_, args, context) => reportsPage(context, args),
    exemptions: async (_, args: { first?: number | null; after?: string | null }, context) => {
      const reach = readReach(context.viewer);
      if (reach.kind === 'school') throw new RegisterError('FORBIDDEN', 'A school learns of exemptions through its exemption notices (LPW art 15a)');
      const conditions = reach.kind === 'municipality' ? [eq(exemption.municipalityCode, reach.code)] : [];
      return newestFirst<ExemptionRow>(
        context.db,
        exemption,
        { moment: exemption.registeredAt, id: exemption.id },
        (row) => row.registeredAt,
        conditions,
        args,
      );
    },
    schoolCalendar: (_, args: { brin6: string; schoolYear: string }, context) => schoolCalendarOf(context, args.brin6, args.schoolYear),
    absoluteAbsenceSignals: (_, args: { filter?: { status?: AbsoluteAbsenceStatus | null } | null; first?: number | null; after?: string | null }, context) => {
      const reach = signalReach(context);
      const conditions = [
        reach.kind === 'municipality' ? eq(absoluteAbsenceSignal.municipalityCode, reach.code) : undefined,
        args.filter?.status != null ? eq(absoluteAbsenceSignal.status, args.filter.status) : undefined,
      ];
      return newestFirst<AbsoluteAbsenceSignalRow>(
        context.db,
        absoluteAbsenceSignal,
        { moment: absoluteAbsenceSignal.issuedAt, id: absoluteAbsenceSignal.id },
        (row) => row.issuedAt,
        conditions,
        args,
      );
    },
    exemptionNotices: async (_, args: { first?: number | null; after?: string | null }, context) => {
      const reach = readReach(context.viewer);
      if (reach.kind === 'municipality') throw new RegisterError('FORBIDDEN', 'Exemption notices go to schools; a municipality reads its exemptions');
      const conditions = reach.kind === 'school' ? [coveredBy(exemptionNotice.brin6, reach.school)] : [];
      return newestFirst<ExemptionNoticeRow>(
        context.db,
        exemptionNotice,
        { moment: exemptionNotice.issuedAt, id: exemptionNotice.id },
        (row) => row.issuedAt,
        conditions,
        args,
      );
    },
  },
  Mutation: {
    reportAbsence: async (_, { input }: { input: ReportAbsenceInput }, context) => {
      // A report received before warnings were answered is answered again without them (kernel/documents.ts keeps the first answer).
      const { reportId, warnings = [] } = await reportAbsence(context.db, context.viewer, input);
      return { report: await loadReport(context, reportId), warnings };
    },
    changeAbsenceReportStatus: async (_, { input }, context) => ({
      report: await loadReport(context, (await changeReportStatus(context.db, context.viewer, input)).reportId),
      warnings: [],
    }),
    setSchoolCalendar: async (_, { input }, context) => {
      const { brin6, schoolYear } = await setSchoolCalendar(context.db, context.viewer, input);
      return { calendar: await schoolCalendarOf(context, brin6, schoolYear) };
    },
    recordAbsence: async (_, { input }, context) => {
      const signal = await recordAbsence(context.db, context.viewer, input);
      return {
        enrollment: { id: signal.enrollmentId },
        countedFrom: signal.countedFrom,
        reached: reachedValue(signal.reached),
        proposal: proposalValue(signal.enrollmentId, signal.proposal),
      };
    },
    registerExemption: async (_, { input }, context) => {
      // A municipality names the learner by PGN: an access the audit log records, refused or not.
      const pgn = pgnOrNull(input.pgn);
      try {
        const { exemptionId, noticeCount } = await registerExemption(context.db, context.viewer, input);
        context.audit.record('REGISTER_EXEMPTION', pgn);
        return { exemption: await context.loaders.exemption.load(exemptionId), noticeCount };
      } catch (error) {
        context.audit.record('REGISTER_EXEMPTION', pgn, 'REFUSED');
        throw error;
      }
    },
    acknowledgeAbsoluteAbsenceSignal: async (_, { input }, context) => ({
      signal: await loadSignal(context, (await acknowledgeSignal(context.db, context.viewer, input)).signalId),
    }),
  },
  AbsenceReport: {
    __resolveReference: (ref: { id: string }, context) => visibleReport(context, ref.id),
    // The reporting school knows the learner by the id it enrolled it under, also after that learner was
    // folded into another (learners/merge.ts): the learners register answers it by that id too.
    learner: async (row: ReportRow, _, context) => ({
      id: (context.viewer.role === 'VENDOR' && (await context.loaders.absorbedLearnerAt.load(`${row.learnerId}/${row.brin6}`))) || row.learnerId,
    }),
    enrollment: (row: ReportRow) => ({ id: row.enrollmentId }),
    branch: (row: ReportRow) => ({ brin6: row.brin6 }),
    absences: async (row: ReportRow, _, context) =>
      (await context.loaders.dayPartsOfReport.load(row.id)).map((part) => ({
        id: `${row.id}/${part.day}/${part.dayPart}`,
        date: part.day,
        dayPart: part.dayPart,
        hours: part.hours,
      })),
    // A report's contact, day parts and steps are the report's: their ids in a client's cache say so (README, Clients).
    contact: (row: ReportRow) => ({ id: row.id, ...row.contact }),
    totalHours: async (row: ReportRow, _, context) => (await context.loaders.dayPartsOfReport.load(row.id)).reduce((sum, part) => sum + part.hours, 0),
    history: async (row: ReportRow, _, context) =>
      (await context.loaders.historyOfReport.load(row.id)).map((step, i) => ({
        id: `${row.id}/${i}`,
        from: step.fromStatus,
        to: step.toStatus,
        at: step.at,
        byRole: step.actorRole,
        by: step.actor,
        note: step.note,
      })),
  },
  Exemption: {
    learner: (row: ExemptionRow) => row.learnerId && { id: row.learnerId },
    // Only the registering municipality and the operator list exemptions; reading the PGN is logged.
    pgn: (row: ExemptionRow, _, context) => {
      context.audit.record('READ_PGN', row.pgn);
      return row.pgn;
    },
  },
  AbsoluteAbsenceSignal: {
    // Only its municipality and the operator read a signal; reading the BSN is logged.
    bsn: (row: AbsoluteAbsenceSignalRow, _, context) => {
      context.audit.record('READ_PGN', row.bsn);
      return row.bsn;
    },
    lastEnrollment: (row: AbsoluteAbsenceSignalRow) => row.lastEnrollmentId && { id: row.lastEnrollmentId },
  },
  ExemptionNotice: {
    enrollment: (row: ExemptionNoticeRow) => ({ id: row.enrollmentId }),
    kind: async (row: ExemptionNoticeRow, _, context) => (await context.loaders.exemption.load(row.exemptionId))!.kind,
    startDate: async (row: ExemptionNoticeRow, _, context) => (await context.loaders.exemption.load(row.exemptionId))!.startDate,
    endDate: async (row: ExemptionNoticeRow, _, context) => (await context.loaders.exemption.load(row.exemptionId))!.endDate,
  },
  Subscription: {
    absenceReportUpdated: eventSubscription<Context>({
      stream: 'absence',
      types: ['AbsenceReported', 'AbsenceReportStatusChanged'],
      keys: { school: 'brin6', municipality: 'municipalityCode' },
      resolve: async ({ type, keys }, context) => ({
        change: type === 'AbsenceReported' ? 'REPORTED' : 'STATUS_CHANGED',
        report: await loadReport(context, keys.reportId!),
      }),
    }),
    absoluteAbsenceSignalUpdated: eventSubscription<Context>({
      stream: 'absence',
      types: Object.keys(signalChanges),
      keys: { municipality: 'municipalityCode' },
      resolve: async ({ type, keys }, context) => ({ change: signalChanges[type], signal: await loadSignal(context, keys.signalId!) }),
    }),
  },
};
