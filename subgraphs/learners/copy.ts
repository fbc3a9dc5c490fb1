import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { insertRows } from '../../kernel/bulk.ts';
import type { Db } from '../../kernel/db.ts';
import { RegisterError } from '../../kernel/errors.ts';
import type { StoredEvent } from '../../kernel/events.ts';
import { latestRioStates, rioEventTypes } from '../../contracts/institutions.ts';
import { rioObject, type RioObjectRow } from './tables.ts';

/**
 * The learners register's own copy of RIO, kept from the institutions stream (docs/architecture.md,
 * "Ownership"): enrollments must reference RIO (docs/domain.md §7(d): RIO codes are required in
 * enrollment exchanges from January 2022 [S:20]), and this subgraph may not read institutions' tables.
 */
export async function applyRioEvents(tx: Db, events: StoredEvent[]): Promise<void> {
  const rows = latestRioStates(events).map(({ boardCode: _board, brin4: _brin4, ...state }) => state);
  await insertRows(
    tx,
    rioObject,
    rows,
    sql`ON CONFLICT (kind, code) DO UPDATE SET provider_code = excluded.provider_code, location_code = excluded.location_code, brin6 = excluded.brin6, postcode = excluded.postcode,
      municipality_code = excluded.municipality_code, start_date = excluded.start_date, end_date = excluded.end_date`,
  );
}

/** The stream the learners register keeps its copy of RIO from; its cursor in `learners.consumer_cursor`. */
export const rioConsumer = { stream: 'institutions', consumer: 'learners.rio', cursorSchema: 'learners', types: rioEventTypes, handle: applyRioEvents };

export interface RioReference {
  providerCode: string;
  locationCode: string;
  offeredProgrammeId: string;
}

/**
 * The RIO objects a set of enrollments refers to, the branches at their provider and location, and the
 * uses of their locations by vestigingen (a location a board registered) with those vestigingen, in one query.
 */
export async function loadRio(db: Db, references: RioReference[]): Promise<RioObjectRow[]> {
  if (references.length === 0) return [];
  const providers = [...new Set(references.map((reference) => reference.providerCode))];
  const locations = [...new Set(references.map((reference) => reference.locationCode))];
  const programmes = [...new Set(references.map((reference) => reference.offeredProgrammeId))];
  return db
    .select()
    .from(rioObject)
    .where(
      or(
        and(eq(rioObject.kind, 'PROVIDER'), inArray(rioObject.code, providers)),
        and(eq(rioObject.kind, 'LOCATION'), inArray(rioObject.code, locations)),
        and(eq(rioObject.kind, 'OFFERED_PROGRAMME'), inArray(rioObject.code, programmes)),
        and(eq(rioObject.kind, 'BRANCH'), inArray(rioObject.providerCode, providers), inArray(rioObject.locationCode, locations)),
        and(eq(rioObject.kind, 'LOCATION_USE'), inArray(rioObject.locationCode, locations)),
        and(
          eq(rioObject.kind, 'BRANCH'),
          inArray(
            rioObject.code,
            db
              .select({ brin6: sql<string>`${rioObject.brin6}` })
              .from(rioObject)
              .where(and(eq(rioObject.kind, 'LOCATION_USE'), inArray(rioObject.locationCode, locations))),
          ),
        ),
      ),
    );
}

const activeOn = (row: RioObjectRow, day: string) => (row.startDate === null || row.startDate <= day) && (row.endDate === null || row.endDate >= day);

/**
 * The branch (BRIN6) an enrollment is at, after checking that every RIO reference exists, belongs
 * together and is active on the start date (docs/architecture.md, journey 1); the error names the one
 * that is not.
 */
export function resolveBranch(rio: RioObjectRow[], reference: RioReference, startDate: string): string {
  const find = (kind: RioObjectRow['kind'], code: string) => rio.find((row) => row.kind === kind && row.code === code);
  const checks: [RioObjectRow['kind'], string, string][] = [
    ['PROVIDER', reference.providerCode, 'providerCode'],
    ['LOCATION', reference.locationCode, 'locationCode'],
    ['OFFERED_PROGRAMME', reference.offeredProgrammeId, 'offeredProgrammeId'],
  ];
  for (const [kind, code, field] of checks) {
    const row = find(kind, code);
    const name = kind.toLowerCase().replace('_', ' ');
    if (!row) throw new RegisterError('BAD_USER_INPUT', `RIO knows no ${name} ${code}`, field);
    if (!activeOn(row, startDate)) throw new RegisterError('BAD_USER_INPUT', `RIO ${name} ${code} is not active on ${startDate}`, field);
  }
  const programme = find('OFFERED_PROGRAMME', reference.offeredProgrammeId)!;
  if (programme.providerCode !== reference.providerCode || programme.locationCode !== reference.locationCode) {
    throw new RegisterError(
      'BAD_USER_INPUT',
      `Offered programme ${reference.offeredProgrammeId} is not offered by provider ${reference.providerCode} at location ${reference.locationCode}`,
      'offeredProgrammeId',
    );
  }
  const branch = branchAt(rio, reference, startDate);
  if (!branch)
    throw new RegisterError(
      'BAD_USER_INPUT',
      `No recognised branch of provider ${reference.providerCode} at location ${reference.locationCode} is active on ${startDate}`,
      'locationCode',
    );
  return branch.code;
}

/** The vestiging of the provider active at the location on the day: by its address, or by a use of the location a board registered. */
function branchAt(rio: RioObjectRow[], reference: RioReference, day: string): RioObjectRow | undefined {
  const active = (row: RioObjectRow) => row.kind === 'BRANCH' && row.providerCode === reference.providerCode && activeOn(row, day);
  const byAddress = rio.find((row) => active(row) && row.locationCode === reference.locationCode);
  if (byAddress) return byAddress;
  const uses = rio.filter((row) => row.kind === 'LOCATION_USE' && row.locationCode === reference.locationCode && activeOn(row, day));
  return rio.find((row) => active(row) && uses.some((use) => use.brin6 === row.code));
}

/** The school postcodes and their municipalities: what a learner's residence is derived from. */
export async function loadSchoolPostcodes(db: Db): Promise<{ postcode: string; municipalityCode: string }[]> {
  const rows = await db
    .select({ postcode: rioObject.postcode, municipalityCode: rioObject.municipalityCode })
    .from(rioObject)
    .where(eq(rioObject.kind, 'LOCATION'));
  return rows.filter((row): row is { postcode: string; municipalityCode: string } => row.postcode !== null && row.municipalityCode !== null);
}
