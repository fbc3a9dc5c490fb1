import { bigserial, date, integer, jsonb, pgSchema, serial, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { documentTable } from '../../kernel/documents.ts';
import { services } from '../../contracts/institutions.ts';

/** The institutions subgraph's tables; migrations/institutions/ is the contract they mirror. */
export const institutions = pgSchema('institutions');

const validity = {
  startDate: date('start_date'),
  endDate: date('end_date'),
};

export const board = institutions.table('board', {
  code: text('code').primaryKey(),
  competentAuthorityNumber: text('competent_authority_number').notNull(),
  name: text('name'),
  ...validity,
});

/** Who maintains an object (migration 0004): null for the school file, else `board/<code>`. */
const maintained = { maintainer: text('maintainer') };

export const provider = institutions.table('provider', {
  code: text('code').primaryKey(),
  brin4: text('brin4').notNull(),
  name: text('name').notNull(),
  nameInUse: text('name_in_use'),
  boardCode: text('board_code').notNull(),
  ...validity,
  ...maintained,
});

export const location = institutions.table('location', {
  code: text('code').primaryKey(),
  addressKey: text('address_key').notNull(),
  street: text('street').notNull(),
  houseNumber: text('house_number').notNull(),
  postcode: text('postcode').notNull(),
  city: text('city').notNull(),
  municipalityCode: text('municipality_code').notNull(),
  municipalityName: text('municipality_name'),
  ...validity,
  ...maintained,
});

export const branch = institutions.table('branch', {
  brin6: text('brin6').primaryKey(),
  providerCode: text('provider_code').notNull(),
  locationCode: text('location_code').notNull(),
  name: text('name').notNull(),
  denomination: text('denomination'),
  phone: text('phone'),
  website: text('website'),
  ...validity,
});

export const offeredProgramme = institutions.table('offered_programme', {
  id: uuid('id').primaryKey(),
  providerCode: text('provider_code').notNull(),
  locationCode: text('location_code').notNull(),
  kind: text('kind', { enum: ['BASISONDERWIJS', 'SPECIAAL_BASISONDERWIJS'] }).notNull(),
  name: text('name').notNull(),
  ...validity,
  ...maintained,
});

/** Onderwijslocatiegebruik: a vestiging teaching at a location besides its address in the school file. */
export const locationUse = institutions.table('location_use', {
  id: uuid('id').primaryKey(),
  brin6: text('brin6').notNull(),
  locationCode: text('location_code').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  maintainer: text('maintainer').notNull(),
});

export const importRun = institutions.table('import_run', {
  id: serial('id').primaryKey(),
  fileName: text('file_name').notNull(),
  sha256: text('sha256').notNull(),
  referenceDate: date('reference_date').notNull(),
  importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
  counts: jsonb('counts').notNull(),
});

/** Every change to an RIO object, by the school file, a board or the operator (history.ts). */
export const change = institutions.table('change', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  entity: text('entity').notNull(),
  key: text('key').notNull(),
  change: text('change').notNull(),
  before: jsonb('before'),
  after: jsonb('after'),
  effectiveOn: date('effective_on'),
  runId: integer('run_id'),
  actor: text('actor').notNull(),
  vendorOin: text('vendor_oin'),
  reason: text('reason'),
  recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type BoardRow = typeof board.$inferSelect;
export type ProviderRow = typeof provider.$inferSelect;
export type LocationRow = typeof location.$inferSelect;
export type BranchRow = typeof branch.$inferSelect;
export type OfferedProgrammeRow = typeof offeredProgramme.$inferSelect;
export type LocationUseRow = typeof locationUse.$inferSelect;
export type ChangeRow = typeof change.$inferSelect;

export const vendor = institutions.table('vendor', {
  oin: text('oin').primaryKey(),
  name: text('name').notNull(),
  registeredAt: timestamp('registered_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const mandate = institutions.table('mandate', {
  id: uuid('id').primaryKey(),
  /** The vestiging's BRIN6, or for a mandate for the whole school its BRIN4 (osr.ts; the column keeps its name). */
  brin6: text('brin6').notNull(),
  service: text('service', { enum: services }).notNull(),
  vendorOin: text('vendor_oin').notNull(),
  startDate: date('start_date').notNull(),
  endDate: date('end_date'),
  grantedBy: text('granted_by').notNull(),
  grantedAt: timestamp('granted_at', { withTimezone: true, mode: 'date' }).notNull(),
  endedBy: text('ended_by'),
  endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
});

export const document = documentTable(institutions);

export type VendorRow = typeof vendor.$inferSelect;
export type MandateRow = typeof mandate.$inferSelect;
