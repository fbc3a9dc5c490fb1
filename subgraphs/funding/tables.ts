import { date, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { documentTable } from '../../kernel/documents.ts';

/** The funding subgraph's tables; migrations/funding/ is the contract they mirror. */
export const funding = pgSchema('funding');

const moment = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const rioObject = funding.table('rio_object', {
  kind: text('kind', { enum: ['PROVIDER', 'LOCATION', 'OFFERED_PROGRAMME'] }).notNull(),
  code: text('code').notNull(),
  boardCode: text('board_code'),
  /** A provider's BRIN4: the school it is (Besluit bekostiging WPO 2022 art 8.5); null for other kinds. */
  brin4: text('brin4'),
  startDate: date('start_date'),
  endDate: date('end_date'),
});

/** A learner, with the birth date the person source registers; null when the register has none. */
export const learner = funding.table('learner', {
  id: uuid('id').primaryKey(),
  registeredBirthDate: date('registered_birth_date'),
});

export const enrollment = funding.table('enrollment', {
  id: uuid('id').primaryKey(),
  learnerId: uuid('learner_id').notNull(),
  brin6: text('brin6').notNull(),
  providerCode: text('provider_code').notNull(),
  locationCode: text('location_code').notNull(),
  offeredProgrammeId: uuid('offered_programme_id').notNull(),
  /** As the school delivered it with this enrollment. */
  birthDate: date('birth_date').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  /** When the register first stored it, and that day in the Netherlands. */
  registeredAt: moment('registered_at').notNull(),
  registeredOn: date('registered_on').notNull(),
  /** When the register stored this state of it (the moment of its learners event), and that day. */
  updatedAt: moment('updated_at').notNull(),
  updatedOn: date('updated_on').notNull(),
});

/** The states an enrollment's current one replaced, each as stored at `updatedAt` (art 7.2, rules.ts `asRegisteredBy`). */
export const enrollmentVersion = funding.table('enrollment_version', {
  enrollmentId: uuid('enrollment_id').notNull(),
  updatedAt: moment('updated_at').notNull(),
  updatedOn: date('updated_on').notNull(),
  birthDate: date('birth_date').notNull(),
  locationCode: text('location_code').notNull(),
  offeredProgrammeId: uuid('offered_programme_id').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
});

/** A registration term the minister extended for a school (Besluit bekostiging WPO 2022 art 7.3), as the operator recorded it. */
export const registrationExtension = funding.table('registration_extension', {
  id: uuid('id').primaryKey(),
  countDate: date('count_date').notNull(),
  brin4: text('brin4').notNull(),
  until: date('until').notNull(),
  reason: text('reason').notNull(),
  documentId: text('document_id').notNull(),
  grantedAt: moment('granted_at').notNull(),
});

export const document = documentTable(funding);

export const countDate = funding.table('count_date', {
  countDate: date('count_date').primaryKey(),
  phase: text('phase', { enum: ['PROVISIONAL', 'FINAL'] }).notNull(),
  openedAt: moment('opened_at').notNull().defaultNow(),
  finalisedAt: moment('finalised_at'),
});

export const status = funding.table('status', {
  countDate: date('count_date').notNull(),
  enrollmentId: uuid('enrollment_id').notNull(),
  reasons: text('reasons').array().notNull(),
  evaluatedAt: moment('evaluated_at').notNull(),
});

export const countOverview = funding.table('count_overview', {
  countDate: date('count_date').notNull(),
  boardCode: text('board_code').notNull(),
  counted: integer('counted').notNull(),
  notCounted: integer('not_counted').notNull(),
  byReason: jsonb('by_reason').$type<Record<string, number>>().notNull(),
});

export type EnrollmentRow = typeof enrollment.$inferSelect;
export type StatusRow = typeof status.$inferSelect;
export type CountDateRow = typeof countDate.$inferSelect;
export type RegistrationExtensionRow = typeof registrationExtension.$inferSelect;
