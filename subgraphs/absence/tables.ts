import { boolean, date, integer, jsonb, numeric, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { documentTable } from '../../kernel/documents.ts';
import { absenceKinds, exemptionKinds, reportStatuses } from './rules.ts';

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
  learnerId: uuid('learner_id').notNull(),
  municipalityCode: text('municipality_code').notNull(),
  kind: text('kind', { enum: exemptionKinds }).notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
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

export const document = documentTable(absence);

export type EnrollmentRow = typeof enrollment.$inferSelect;
export type ReportRow = typeof report.$inferSelect;
export type ExemptionRow = typeof exemption.$inferSelect;
export type ExemptionNoticeRow = typeof exemptionNotice.$inferSelect;
