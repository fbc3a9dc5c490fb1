import { bigserial, boolean, date, integer, jsonb, numeric, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { documentTable } from '../../kernel/documents.ts';
import { absenceKinds, exemptionKinds, reportStatuses } from './rules.ts';
import { absoluteAbsenceReasons, absoluteAbsenceResolutions, absoluteAbsenceStatuses } from './leerplicht.ts';

/** The absence subgraph's tables; migrations/absence/ is the contract they mirror. */
export const absence = pgSchema('absence');

const moment = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const hours = (name: string) => numeric(name, { precision: 4, scale: 2, mode: 'number' });
const dayPart = (name: string) => text(name, { enum: ['MORNING', 'AFTERNOON'] });

export const learner = absence.table('learner', {
  id: uuid('id').primaryKey(),
  pgn: text('pgn').notNull(),
});

/** A resident as the person source registers it, by BSN (migrations/absence/0004). */
export const resident = absence.table('resident', {
  bsn: text('bsn').primaryKey(),
  municipalityCode: text('municipality_code'),
  birthDate: date('birth_date').notNull(),
  deceasedOn: date('deceased_on'),
  emigratedOn: date('emigrated_on'),
});

export const enrollment = absence.table('enrollment', {
  id: uuid('id').primaryKey(),
  learnerId: uuid('learner_id').notNull(),
  brin6: text('brin6').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  /** The municipality of residence the school's delivery with this enrollment gives. */
  municipalityCode: text('municipality_code'),
  /** The learner this enrollment was of, when that learner was folded into `learnerId` since (projection.ts, foldMerged). */
  absorbedFrom: uuid('absorbed_from'),
  /** How it ended and where the learner went (contracts/learners.ts, EnrollmentState; migrations/absence/0007). */
  endReason: text('end_reason'),
  destination: text('destination'),
  /** The birth date the school delivered with this enrollment. */
  birthDate: date('birth_date'),
});

export interface SchoolContact {
  name: string;
  role: string | null;
  phone: string | null;
  email: string | null;
}

export const report = absence.table('report', {
  id: uuid('id').primaryKey(),
  learnerId: uuid('learner_id').notNull(),
  enrollmentId: uuid('enrollment_id').notNull(),
  brin6: text('brin6').notNull(),
  kind: text('kind', { enum: absenceKinds }).notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  suspectedReason: text('suspected_reason'),
  schoolAction: text('school_action'),
  municipalityActionWanted: boolean('municipality_action_wanted').notNull(),
  contact: jsonb('contact').$type<SchoolContact>().notNull(),
  municipalityCode: text('municipality_code').notNull(),
  status: text('status', { enum: reportStatuses }).notNull(),
  reportedBy: text('reported_by').notNull(),
  reportedAt: moment('reported_at').notNull(),
});

export const reportDayPart = absence.table('report_day_part', {
  reportId: uuid('report_id').notNull(),
  day: date('day').notNull(),
  dayPart: dayPart('day_part').notNull(),
  hours: hours('hours').notNull(),
});

export const reportTransition = absence.table('report_transition', {
  reportId: uuid('report_id').notNull(),
  seq: integer('seq').notNull(),
  fromStatus: text('from_status', { enum: reportStatuses }),
  toStatus: text('to_status', { enum: reportStatuses }).notNull(),
  actorRole: text('actor_role', { enum: ['VENDOR', 'MUNICIPALITY', 'BOARD', 'OPERATOR'] }).notNull(),
  actor: text('actor').notNull(),
  note: text('note'),
  at: moment('at').notNull(),
});

export const absenceHours = absence.table('absence_hours', {
  enrollmentId: uuid('enrollment_id').notNull(),
  day: date('day').notNull(),
  dayPart: dayPart('day_part').notNull(),
  hours: hours('hours').notNull(),
  recordedAt: moment('recorded_at').notNull(),
});

export const exemption = absence.table('exemption', {
  id: uuid('id').primaryKey(),
  /** Null while the register knows no learner by `pgn`: a child never enrolled (LPW art 5, 5a). */
  learnerId: uuid('learner_id'),
  /** The PGN the municipality named: a BSN of the person source for a child never enrolled. */
  pgn: text('pgn').notNull(),
  municipalityCode: text('municipality_code').notNull(),
  kind: text('kind', { enum: exemptionKinds }).notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  /** The day the parents' notice reached the municipality (LPW art 6); null for exemptions from before issue 19. */
  noticedOn: date('noticed_on'),
  /** A yearly claim (art 5 under b, c) noticed on or after 1 July preceding its school year (LPW art 6). */
  lateNotice: boolean('late_notice').notNull(),
  registeredAt: moment('registered_at').notNull(),
});

export const exemptionNotice = absence.table('exemption_notice', {
  id: uuid('id').primaryKey(),
  exemptionId: uuid('exemption_id').notNull(),
  enrollmentId: uuid('enrollment_id').notNull(),
  brin6: text('brin6').notNull(),
  issuedAt: moment('issued_at').notNull(),
});

/** A branch as RIO registers it, kept from the institutions stream: where it is (migrations/absence/0006). */
export const branch = absence.table('branch', {
  brin6: text('brin6').primaryKey(),
  locationCode: text('location_code').notNull(),
});

export const location = absence.table('location', {
  code: text('code').primaryKey(),
  municipalityCode: text('municipality_code'),
  postcode: text('postcode'),
});

/** A school's own holidays for a school year (setSchoolCalendar). */
export const schoolHoliday = absence.table('school_holiday', {
  brin6: text('brin6').notNull(),
  schoolYear: text('school_year').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date').notNull(),
  name: text('name'),
  registeredBy: text('registered_by').notNull(),
  registeredAt: moment('registered_at').notNull(),
});

/** A resident of compulsory school age without school or exemption, signalled to its municipality (migrations/absence/0007). */
export const absoluteAbsenceSignal = absence.table('absolute_absence_signal', {
  id: uuid('id').primaryKey(),
  bsn: text('bsn').notNull(),
  municipalityCode: text('municipality_code').notNull(),
  birthDate: date('birth_date').notNull(),
  reason: text('reason', { enum: absoluteAbsenceReasons }).notNull(),
  since: date('since').notNull(),
  dueOn: date('due_on').notNull(),
  lastEnrollmentId: uuid('last_enrollment_id'),
  status: text('status', { enum: absoluteAbsenceStatuses }).notNull(),
  resolution: text('resolution', { enum: absoluteAbsenceResolutions }),
  issuedAt: moment('issued_at').notNull(),
  acknowledgedAt: moment('acknowledged_at'),
  acknowledgedNote: text('acknowledged_note'),
  resolvedAt: moment('resolved_at'),
});

/** Residents to look at again for absolute absence, in the order noted. */
export const leerplichtPending = absence.table('leerplicht_pending', {
  bsn: text('bsn').primaryKey(),
  noted: bigserial('noted', { mode: 'number' }).notNull(),
});

export const document = documentTable(absence);

export type EnrollmentRow = typeof enrollment.$inferSelect;
export type ReportRow = typeof report.$inferSelect;
export type ExemptionRow = typeof exemption.$inferSelect;
export type ExemptionNoticeRow = typeof exemptionNotice.$inferSelect;
export type AbsoluteAbsenceSignalRow = typeof absoluteAbsenceSignal.$inferSelect;
