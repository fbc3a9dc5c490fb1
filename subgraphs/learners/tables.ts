import { documentTable } from '../../kernel/documents.ts';
import { boolean, date, integer, pgSchema, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The learners subgraph's tables; migrations/learners/ is the contract they mirror. */
export const learners = pgSchema('learners');

const moment = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const rioObject = learners.table('rio_object', {
  kind: text('kind', { enum: ['PROVIDER', 'LOCATION', 'BRANCH', 'OFFERED_PROGRAMME', 'LOCATION_USE'] }).notNull(),
  code: text('code').notNull(),
  providerCode: text('provider_code'),
  locationCode: text('location_code'),
  /** A location use's vestiging (migration 0010). */
  brin6: text('brin6'),
  postcode: text('postcode'),
  municipalityCode: text('municipality_code'),
  startDate: date('start_date'),
  endDate: date('end_date'),
});

/** The register's own part of a learner: the PGN. What schools delivered is in `delivery`. */
export const learner = learners.table('learner', {
  id: uuid('id').primaryKey(),
  pgn: text('pgn').notNull(),
  pgnKind: text('pgn_kind', { enum: ['BSN', 'ONDERWIJSNUMMER'] }).notNull(),
  createdAt: moment('created_at').notNull().defaultNow(),
  updatedAt: moment('updated_at').notNull().defaultNow(),
});

const gender = (name: string) => text(name, { enum: ['MALE', 'FEMALE', 'UNDETERMINED'] });

/** What one school delivered about a learner, with its enrollment or (enrollmentId null) its identification. */
export const delivery = learners.table('delivery', {
  id: uuid('id').primaryKey(),
  learnerId: uuid('learner_id').notNull(),
  brin6: text('brin6').notNull(),
  enrollmentId: uuid('enrollment_id'),
  pgn: text('pgn').notNull(),
  birthDate: date('birth_date').notNull(),
  gender: gender('gender').notNull(),
  postcode: text('postcode').notNull(),
  familyName: text('family_name'),
  givenNames: text('given_names'),
  municipalityOverride: text('municipality_override'),
  municipalityCode: text('municipality_code'),
  deliveredAt: moment('delivered_at').notNull(),
  /** The learner this delivery was made about, when that learner was folded into this one since (merge.ts). */
  absorbedFrom: uuid('absorbed_from'),
});

/** The person source, standing in for the BRP (Besluit ROD art 4). */
export const person = learners.table('person', {
  bsn: text('bsn').primaryKey(),
  familyName: text('family_name').notNull(),
  givenNames: text('given_names'),
  birthDate: date('birth_date').notNull(),
  gender: gender('gender').notNull(),
  postcode: text('postcode'),
  houseNumber: integer('house_number'),
  houseNumberAddition: text('house_number_addition'),
  municipalityCode: text('municipality_code'),
  deceasedOn: date('deceased_on'),
  emigratedOn: date('emigrated_on'),
  updatedAt: moment('updated_at').notNull(),
});

export const signalCodes = ['UNKNOWN_BSN', 'DIFFERS', 'DECEASED', 'EMIGRATED', 'PGN_REPLACED'] as const;
export const signalStatuses = ['OPEN', 'RESOLVED', 'ACKNOWLEDGED'] as const;

export const signal = learners.table('signal', {
  id: uuid('id').primaryKey(),
  enrollmentId: uuid('enrollment_id').notNull(),
  learnerId: uuid('learner_id').notNull(),
  brin6: text('brin6').notNull(),
  code: text('code', { enum: signalCodes }).notNull(),
  field: text('field'),
  deliveredValue: text('delivered_value'),
  registeredValue: text('registered_value'),
  status: text('status', { enum: signalStatuses }).notNull(),
  issuedAt: moment('issued_at').notNull(),
  closedAt: moment('closed_at'),
});

export const learnerPgn = learners.table('learner_pgn', {
  pgn: text('pgn').primaryKey(),
  learnerId: uuid('learner_id').notNull(),
  kind: text('kind', { enum: ['BSN', 'ONDERWIJSNUMMER'] }).notNull(),
  assignedAt: moment('assigned_at').notNull().defaultNow(),
  replacedAt: moment('replaced_at'),
});

/** A learner folded into another, one child (merge.ts): its id still finds the learner it became. */
export const mergedLearner = learners.table('merged_learner', {
  id: uuid('id').primaryKey(),
  intoLearnerId: uuid('into_learner_id').notNull(),
  mergedAt: moment('merged_at').notNull(),
});

export const endReasons = ['TRANSFER', 'END_OF_PRIMARY_EDUCATION', 'MOVED_ABROAD', 'DECEASED', 'EXPELLED', 'OTHER'] as const;
export const destinations = ['OTHER_SCHOOL', 'ABROAD', 'SPECIAL_EDUCATION', 'UNKNOWN'] as const;

export const enrollment = learners.table('enrollment', {
  id: uuid('id').primaryKey(),
  learnerId: uuid('learner_id').notNull(),
  brin6: text('brin6').notNull(),
  providerCode: text('provider_code').notNull(),
  locationCode: text('location_code').notNull(),
  offeredProgrammeId: uuid('offered_programme_id').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  endReason: text('end_reason', { enum: endReasons }),
  /** Where the learner goes after this enrollment (leerplicht.ts); null while enrolled and when the learner died. */
  destination: text('destination', { enum: destinations }),
  group: smallint('school_group').notNull(),
  schoolEnrollmentNumber: text('school_enrollment_number').notNull(),
  vve: boolean('vve').notNull(),
  educationalConcept: text('educational_concept'),
  registeredAt: moment('registered_at').notNull().defaultNow(),
  updatedAt: moment('updated_at').notNull().defaultNow(),
});

export const result = learners.table('result', {
  id: uuid('id').primaryKey(),
  enrollmentId: uuid('enrollment_id').notNull(),
  schoolYear: text('school_year').notNull(),
  testLevel: text('test_level'),
  noTestReason: text('no_test_reason'),
  schoolAdvice: text('school_advice').notNull(),
  recordedAt: moment('recorded_at').notNull().defaultNow(),
});

export const transferNotice = learners.table('transfer_notice', {
  id: uuid('id').primaryKey(),
  enrollmentId: uuid('enrollment_id').notNull(),
  newEnrollmentId: uuid('new_enrollment_id').notNull(),
  brin6: text('brin6').notNull(),
  newProviderCode: text('new_provider_code').notNull(),
  newLocationCode: text('new_location_code').notNull(),
  newStartDate: date('new_start_date').notNull(),
  proposedEndDate: date('proposed_end_date').notNull(),
  /** Whether the old school must end its enrollment on `proposedEndDate` (art 10.2), and why (rules.ts, `transfersFor`). */
  endRequired: boolean('end_required').notNull(),
  endRequiredReason: text('end_required_reason').notNull(),
  status: text('status', { enum: ['OPEN', 'HANDLED'] }).notNull(),
  issuedAt: moment('issued_at').notNull().defaultNow(),
  handledAt: moment('handled_at'),
});

export const expulsionStatuses = ['INTENDED', 'DECIDED', 'EXECUTED', 'WITHDRAWN'] as const;

/** An expulsion (verwijdering, WPO art 40.11) and its steps (expulsions.ts). */
export const expulsion = learners.table('expulsion', {
  id: uuid('id').primaryKey(),
  enrollmentId: uuid('enrollment_id').notNull(),
  learnerId: uuid('learner_id').notNull(),
  brin6: text('brin6').notNull(),
  status: text('status', { enum: expulsionStatuses }).notNull(),
  grounds: text('grounds').notNull(),
  groupTeacherHeardOn: date('group_teacher_heard_on'),
  parentsHeardOn: date('parents_heard_on'),
  decidedOn: date('decided_on'),
  receivingSchool: text('receiving_school'),
  receivingDestination: text('receiving_destination', { enum: ['OTHER_SCHOOL', 'SPECIAL_EDUCATION'] }),
  receivingSchoolWillingOn: date('receiving_school_willing_on'),
  endDate: date('end_date'),
  startedAt: moment('started_at').notNull(),
  updatedAt: moment('updated_at').notNull(),
});

export const document = documentTable(learners);

export type LearnerRow = typeof learner.$inferSelect;
export type EnrollmentRow = typeof enrollment.$inferSelect;
export type ResultRow = typeof result.$inferSelect;
export type TransferNoticeRow = typeof transferNotice.$inferSelect;
export type RioObjectRow = typeof rioObject.$inferSelect;
export type DeliveryRow = typeof delivery.$inferSelect;
export type PersonRow = typeof person.$inferSelect;
export type SignalRow = typeof signal.$inferSelect;
export type ExpulsionRow = typeof expulsion.$inferSelect;
