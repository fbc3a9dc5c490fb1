import { date, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The funding subgraph's tables; migrations/funding/ is the contract they mirror. */
export const funding = pgSchema('funding');

const moment = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const rioObject = funding.table('rio_object', {
  kind: text('kind', { enum: ['PROVIDER', 'LOCATION', 'OFFERED_PROGRAMME'] }).notNull(),
  code: text('code').notNull(),
  boardCode: text('board_code'),
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
  registeredAt: moment('registered_at').notNull(),
  registeredOn: date('registered_on').notNull(),
});

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
