import { randomUUID } from 'node:crypto';
import { and, desc, eq, gte, ne, sql } from 'drizzle-orm';
import type { Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents, readYourWrites } from '../../kernel/events.ts';
import { covers, parsePgn, parseUuid } from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { parseOptionalText, textKinds } from '../../kernel/text.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { actorOf, type Actor } from './access.ts';
import { notFound, vestigingFor } from '../../kernel/reach.ts';
import { calendarOf } from './calendars.ts';
import { noteResidents } from './absoluteAbsence.ts';
import { absenceReported, absenceReportStatusChanged, exemptionRegistered } from './events.ts';
import { checkExemptionKind, checkWithinCompulsorySchoolAge, exemptionPeriod, lateNotice } from './leerplicht.ts';
import { learnersConsumer, noticeExemptEnrollments } from './copy.ts';
import {
  checkAbsenceDays,
  checkRecordedAbsence,
  checkReport,
  checkReportedPeriod,
  checkTransition,
  nextCountFrom,
  parseReportText,
  thresholdSignal,
  type Absence,
  type AbsenceKind,
  type ExemptionKind,
  type ReportStatus,
  type Warning,
} from './rules.ts';
import { checkHolidays, parseSchoolYear } from './schoolCalendar.ts';
import {
  absenceHours,
  document,
  enrollment,
  exemption,
  learner,
  report,
  reportDayPart,
  reportTransition,
  resident,
  schoolHoliday,
  type EnrollmentRow,
} from './tables.ts';

/*
 * The changes to the absence register, each one business document, once (kernel/documents.ts).
 * Before checking a change against the copy, the copy takes in every learners event
 * committed so far: a school reports on an enrollment it may have registered a moment ago.
 */

const takeInLearnerEvents = (db: Db) => readYourWrites(db, learnersConsumer);

/** The vendor's school: one vestiging (BRIN6) or a whole school (BRIN4); a report is at its enrollment's vestiging. */
function schoolOf(viewer: Viewer): Actor & { school: string } {
  if (viewer.role !== 'VENDOR') throw new RegisterError('FORBIDDEN', 'Only a vendor acting for a school reports absence');
  return { ...actorOf(viewer), school: viewer.school };
}

function municipalityOf(viewer: Viewer): Actor & { code: string } {
  if (viewer.role !== 'MUNICIPALITY') throw new RegisterError('FORBIDDEN', 'Only a municipality registers exemptions (Besluit ROD art 20)');
  return { ...actorOf(viewer), code: viewer.municipality };
}

async function schoolEnrollment(tx: Db, school: string, id: string) {
  // FOR SHARE: a learner being folded into another (copy.ts, foldMerged) waits for this report, or this for it.
  const [row] = await tx
    .select()
    .from(enrollment)
    .where(eq(enrollment.id, parseUuid(id, 'enrollmentId', 'an enrollment id')))
    .for('share');
  if (!row || !covers(school, row.brin6)) throw notFound(`enrollment ${id}`);
  return row;
}

/**
 * Where an enrollment's reports go: the municipality where the learner lives by the person source
 * (LPW art 21a; Besluit ROD art 4), else, for a learner it does not place, the one the school's
 * delivery with this enrollment gives (Wro art 9.4). Read when a report is made: a later move sends
 * the next report to the new municipality and leaves the earlier ones where they went.
 */
async function residenceOf(tx: Db, enrolled: EnrollmentRow): Promise<string | null> {
  const [place] = await tx
    .select({ registered: resident.municipalityCode })
    .from(learner)
    .innerJoin(resident, eq(resident.bsn, learner.pgn))
    .where(eq(learner.id, enrolled.learnerId));
  return place?.registered ?? enrolled.municipalityCode;
}

/**
 * Whom an exemption is for: a child who lives in the municipality, named by `pgn`. By the person
 * source, where it registers the BSN: enrolled or not (LPW art 5, 5a: an exempt child is typically
 * never enrolled). Else, for a learner the source does not place, by a school's delivery with one of
 * its enrollments. With the learner the register knows by `pgn` (null for a child never enrolled) and
 * the birth date its compulsory school age follows from. Null for a PGN unknown or living elsewhere:
 * one answer for both, so that no municipality learns who lives where.
 */
async function exemptOf(tx: Db, pgn: string, code: string): Promise<{ learnerId: string | null; birthDate: string | null } | null> {
  // FOR SHARE: a learner being folded into another (copy.ts, foldMerged) waits for this exemption, or this for it.
  const [held] = await tx.select({ id: learner.id }).from(learner).where(eq(learner.pgn, pgn)).for('share');
  const [registered] = await tx.select().from(resident).where(eq(resident.bsn, pgn));
  if (registered?.municipalityCode) return registered.municipalityCode === code ? { learnerId: held?.id ?? null, birthDate: registered.birthDate } : null;
  if (!held) return null;
  const [delivered] = await tx
    .select({ birthDate: enrollment.birthDate })
    .from(enrollment)
    .where(and(eq(enrollment.learnerId, held.id), eq(enrollment.municipalityCode, code)))
    .orderBy(desc(enrollment.startDate))
    .limit(1);
  return delivered ? { learnerId: held.id, birthDate: delivered.birthDate } : null;
}

const parseAbsences = (absences: readonly Absence[]) => absences.map((absence, i) => ({ ...absence, date: parseDay(absence.date, `absences.${i}.date`) }));

export interface ReportAbsenceInput {
  documentId: string;
  enrollmentId: string;
  kind: AbsenceKind;
  startDate: string;
  endDate?: string | null;
  absences: Absence[];
  suspectedReason?: string | null;
  schoolAction?: string | null;
  municipalityActionWanted: boolean;
  contact: { name: string; role?: string | null; phone?: string | null; email?: string | null };
}

/**
 * A school's verzuimmelding (Besluit ROD art 13-14; LPW art 21a): checked, stored with its day parts,
 * and routed to the municipality where the learner lives now (`residenceOf`; Besluit ROD art 46.2:
 * within one working day; here at once), which finds it in its inbox and in the absence stream. A
 * 16-hour report the school's calendar (calendars.ts) does not find within 4 teaching weeks is
 * registered with a warning, never refused for it: the school knows its calendar.
 */
export async function reportAbsence(db: Db, viewer: Viewer, input: ReportAbsenceInput): Promise<{ reportId: string; warnings: Warning[] }> {
  const school = schoolOf(viewer);
  await takeInLearnerEvents(db);
  return once(db, document, school.actor, 'reportAbsence', input, async (tx) => {
    const enrolled = await schoolEnrollment(tx, school.school, input.enrollmentId);
    // The calendar of the enrollment's vestiging: a vendor may act for the whole school.
    const { calendar } = await calendarOf(tx, enrolled.brin6);
    const absences = parseAbsences(input.absences);
    const facts = {
      kind: input.kind,
      startDate: parseDay(input.startDate, 'startDate'),
      endDate: input.endDate == null ? null : parseDay(input.endDate, 'endDate'),
      absences,
    };
    const warnings = checkReport(facts, enrolled, enrolled.brin6, calendar);
    checkReportedPeriod(facts.startDate, facts.endDate, today());
    checkAbsenceDays(absences, today());
    const text = parseReportText(input);
    const routedTo = await residenceOf(tx, enrolled);
    if (!routedTo)
      throw new RegisterError('CONFLICT', 'The register knows no municipality of residence for this learner, so the report cannot be routed', 'enrollmentId');
    const now = new Date();
    const [row] = await tx
      .insert(report)
      .values({
        id: randomUUID(),
        learnerId: enrolled.learnerId,
        enrollmentId: enrolled.id,
        brin6: enrolled.brin6,
        ...facts,
        ...text,
        municipalityActionWanted: input.municipalityActionWanted,
        municipalityCode: routedTo,
        status: 'REGISTERED',
        reportedBy: school.actor,
        reportedAt: now,
      })
      .returning();
    if (absences.length)
      await tx
        .insert(reportDayPart)
        .values(absences.map((absence) => ({ reportId: row!.id, day: absence.date, dayPart: absence.dayPart, hours: absence.hours })));
    await tx
      .insert(reportTransition)
      .values({ reportId: row!.id, seq: 1, fromStatus: null, toStatus: 'REGISTERED', actorRole: school.role, actor: school.actor, note: null, at: now });
    await appendEvents(tx, 'absence', [absenceReported(row!)]);
    return { reportId: row!.id, warnings };
  });
}

/**
 * A step in a report's workflow (rules.ts, `checkTransition`), by the school or the municipality it
 * was routed to, recorded with who and when. A report the viewer may not see is NOT_FOUND.
 */
export async function changeReportStatus(
  db: Db,
  viewer: Viewer,
  input: { documentId: string; reportId: string; status: ReportStatus; note?: string | null },
): Promise<{ reportId: string }> {
  const actor = actorOf(viewer);
  return once(db, document, actor.actor, 'changeAbsenceReportStatus', input, async (tx) => {
    const id = parseUuid(input.reportId, 'reportId', 'a report id');
    const [row] = await tx.select().from(report).where(eq(report.id, id)).for('update');
    const own =
      row && (viewer.role === 'VENDOR' ? covers(viewer.school, row.brin6) : viewer.role === 'MUNICIPALITY' && row.municipalityCode === viewer.municipality);
    if (!row || !own) throw notFound(`absence report ${input.reportId}`);
    checkTransition(row.status, input.status, actor.role);
    const note = parseOptionalText(input.note, 'note', textKinds.remark);
    const now = new Date();
    const [changed] = await tx.update(report).set({ status: input.status }).where(eq(report.id, id)).returning();
    const [last] = await tx
      .select({ seq: reportTransition.seq })
      .from(reportTransition)
      .where(eq(reportTransition.reportId, id))
      .orderBy(desc(reportTransition.seq))
      .limit(1);
    await tx.insert(reportTransition).values({
      reportId: id,
      seq: (last?.seq ?? 0) + 1,
      fromStatus: row.status,
      toStatus: input.status,
      actorRole: actor.role,
      actor: actor.actor,
      note,
      at: now,
    });
    await appendEvents(tx, 'absence', [absenceReportStatusChanged(changed!, row.status, actor, note)]);
    return { reportId: id };
  });
}

/**
 * Unauthorised absence per day part, sent by the school (a later sending of a day part replaces it),
 * and the threshold signal: counted from the day after the school's last 16-hour report on this
 * enrollment, and a proposed report once 16 hours within 4 teaching weeks of the school's calendar
 * (calendars.ts) are reached. Nothing is filed.
 */
export async function recordAbsence(db: Db, viewer: Viewer, input: { documentId: string; enrollmentId: string; absences: Absence[] }) {
  const school = schoolOf(viewer);
  await takeInLearnerEvents(db);
  return once(db, document, school.actor, 'recordAbsence', input, async (tx) => {
    const enrolled = await schoolEnrollment(tx, school.school, input.enrollmentId);
    const { calendar } = await calendarOf(tx, enrolled.brin6);
    const absences = parseAbsences(input.absences);
    checkRecordedAbsence(absences, enrolled);
    checkAbsenceDays(absences, today());
    const now = new Date();
    if (absences.length) {
      await tx
        .insert(absenceHours)
        .values(absences.map((absence) => ({ enrollmentId: enrolled.id, day: absence.date, dayPart: absence.dayPart, hours: absence.hours, recordedAt: now })))
        .onConflictDoUpdate({
          target: [absenceHours.enrollmentId, absenceHours.day, absenceHours.dayPart],
          set: { hours: sql`excluded.hours`, recordedAt: sql`excluded.recorded_at` },
        });
    }
    const [lastReport] = await tx
      .select({ endDate: report.endDate })
      .from(report)
      .where(and(eq(report.enrollmentId, enrolled.id), eq(report.kind, 'SIXTEEN_HOURS'), ne(report.status, 'WITHDRAWN')))
      .orderBy(desc(report.endDate))
      .limit(1);
    const countFrom = lastReport?.endDate ? nextCountFrom(lastReport.endDate) : null;
    const recorded = await tx
      .select()
      .from(absenceHours)
      .where(and(eq(absenceHours.enrollmentId, enrolled.id), countFrom ? gte(absenceHours.day, countFrom) : undefined));
    const signal = thresholdSignal(
      recorded.map((row) => ({ date: row.day, dayPart: row.dayPart, hours: row.hours })),
      countFrom,
      calendar,
    );
    return { enrollmentId: enrolled.id, countedFrom: countFrom, ...signal };
  });
}

export interface RegisterExemptionInput {
  documentId: string;
  pgn: string;
  kind: ExemptionKind;
  startDate: string;
  endDate?: string | null;
  noticedOn?: string | null;
}

/**
 * An exemption (vrijstelling), registered by the municipality where the child lives (Besluit ROD art
 * 20), enrolled or not (LPW art 5, 5a): by its article (leerplicht.ts: no art 15 or 3a/3b at po ages;
 * a yearly claim under art 5 under b or c ends with its school year and is flagged when noticed after
 * 1 July, art 6), within the child's compulsory school age (art 3, 4). A school that enrolls the child
 * in its period gets a notice (LPW art 15a), now or once it enrolls; an absolute-absence signal it
 * answers is resolved.
 */
export async function registerExemption(db: Db, viewer: Viewer, input: RegisterExemptionInput) {
  const municipality = municipalityOf(viewer);
  await takeInLearnerEvents(db);
  return once(db, document, municipality.actor, 'registerExemption', input, async (tx) => {
    const pgn = parsePgn(input.pgn, 'pgn').value;
    checkExemptionKind(input.kind);
    const period = exemptionPeriod(input.kind, parseDay(input.startDate, 'startDate'), input.endDate == null ? null : parseDay(input.endDate, 'endDate'));
    const noticedOn = input.noticedOn == null ? today() : parseDay(input.noticedOn, 'noticedOn');
    if (noticedOn > today())
      throw badInput('noticedOn', `The notice reached the municipality on ${noticedOn}, after today, ${today()}: give the day it came in`);
    const exempt = await exemptOf(tx, pgn, municipality.code);
    if (!exempt) throw notFound(`child with PGN ${pgn} living in municipality ${municipality.code}`);
    if (exempt.birthDate) checkWithinCompulsorySchoolAge(exempt.birthDate, period.startDate, period.endDate);
    const [row] = await tx
      .insert(exemption)
      .values({
        id: randomUUID(),
        learnerId: exempt.learnerId,
        pgn,
        municipalityCode: municipality.code,
        kind: input.kind,
        ...period,
        noticedOn,
        lateNotice: lateNotice(input.kind, period.startDate, noticedOn),
        registeredAt: new Date(),
      })
      .returning();
    await appendEvents(tx, 'absence', [exemptionRegistered(row!)]);
    const notices = exempt.learnerId ? await noticeExemptEnrollments(tx, [exempt.learnerId]) : [];
    await noteResidents(tx, [pgn]);
    return { exemptionId: row!.id, noticeCount: notices.length };
  });
}

export interface SetSchoolCalendarInput {
  documentId: string;
  /** The vestiging whose calendar this is: needed when the vendor acts for a whole school (a BRIN4). */
  brin6?: string | null;
  schoolYear: string;
  holidays: { name?: string | null; startDate: string; endDate: string }[];
}

/**
 * A school registers its own holidays for a school year: they replace its region's recommended
 * holidays for that year (Regeling vaststelling schoolvakanties: the autumn and spring holidays are
 * advice, and a school may deviate), and a second registration replaces the first. The school is the
 * one the vendor acts for, with its VERZUIM mandate (index.ts); no one else sets a school's calendar.
 */
export async function setSchoolCalendar(db: Db, viewer: Viewer, input: SetSchoolCalendarInput): Promise<{ brin6: string; schoolYear: string }> {
  if (viewer.role !== 'VENDOR') throw new RegisterError('FORBIDDEN', "Only a vendor acting for a school registers the school's holidays");
  const school = { ...actorOf(viewer), brin6: vestigingFor(viewer.school, input.brin6) };
  return once(db, document, school.actor, 'setSchoolCalendar', input, async (tx) => {
    const schoolYear = parseSchoolYear(input.schoolYear);
    const holidays = input.holidays.map((holiday, i) => ({
      name: parseOptionalText(holiday.name, `holidays.${i}.name`, textKinds.label),
      startDate: parseDay(holiday.startDate, `holidays.${i}.startDate`),
      endDate: parseDay(holiday.endDate, `holidays.${i}.endDate`),
    }));
    checkHolidays(holidays, schoolYear);
    const now = new Date();
    await tx.delete(schoolHoliday).where(and(eq(schoolHoliday.brin6, school.brin6), eq(schoolHoliday.schoolYear, schoolYear)));
    await tx
      .insert(schoolHoliday)
      .values(holidays.map((holiday) => ({ brin6: school.brin6, schoolYear, ...holiday, registeredBy: school.actor, registeredAt: now })));
    return { brin6: school.brin6, schoolYear };
  });
}
