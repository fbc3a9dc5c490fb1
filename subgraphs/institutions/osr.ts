import { randomUUID } from 'node:crypto';
import { and, eq, gte, inArray, isNull, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { institutionsEvent, mandateEventTypes, services, type Service } from '../../contracts/institutions.ts';
import { insertRows } from '../../kernel/bulk.ts';
import type { Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents, type NewEvent } from '../../kernel/events.ts';
import { parseBrin4, parseBrin6, parseOin, parseUuid, schoolsCovering } from '../../kernel/ids/index.ts';
import { parseDay } from '../../kernel/scalars.ts';
import { parseText, textKinds } from '../../kernel/text.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { branch, document, location, mandate, provider, vendor, type MandateRow } from './tables.ts';

/*
 * The Onderwijsserviceregister (docs/domain.md §8 [S:16, S:40]): a board lets a software vendor exchange a
 * service (ROD_PO, VERZUIM, RIO) with the registers for one of its schools, from a start date to an
 * optional end date. Anyone may ask whether a mandate holds (OK or NOK); its details go only to that
 * vendor, the school's board and the operator. A mandate is for one vestiging (its `brin6` holds a
 * BRIN6) or for a whole school, its main vestiging with all its other vestigingen, present and future
 * (Besluit bekostiging WPO 2022 art 8.5, 11.2; `brin6` holds the school's BRIN4: contracts/institutions.ts).
 */

/** The mandate in force for a vestiging (by itself or by its whole school), service and vendor on a day, if there is one. */
export async function mandateInForce(db: Db, brin6: string, service: Service, vendorOin: string, day: string): Promise<MandateRow | undefined> {
  const [row] = await db
    .select()
    .from(mandate)
    .where(
      and(
        inArray(mandate.brin6, schoolsCovering(brin6)),
        eq(mandate.service, service),
        eq(mandate.vendorOin, vendorOin),
        lte(mandate.startDate, day),
        or(isNull(mandate.endDate), gte(mandate.endDate, day)),
      ),
    )
    .limit(1);
  return row;
}

/** Which mandates a viewer may see in detail: a vendor its own, a board its schools', the operator all. */
export function mandatesVisibleTo(viewer: Viewer): SQL | undefined {
  switch (viewer.role) {
    case 'VENDOR':
      return eq(mandate.vendorOin, viewer.vendorOin);
    case 'BOARD':
      return sql`(${mandate.brin6} IN (SELECT b.brin6 FROM ${branch} b JOIN ${provider} p ON p.code = b.provider_code WHERE p.board_code = ${viewer.board})
        OR ${mandate.brin6} IN (SELECT p.brin4 FROM ${provider} p WHERE p.board_code = ${viewer.board}))`;
    case 'OPERATOR':
      return undefined;
    default:
      throw new RegisterError('FORBIDDEN', 'A municipality may ask whether a mandate holds (mandateCheck), not see mandates');
  }
}

export function parseService(value: string, field = 'service'): Service {
  if (!(services as readonly string[]).includes(value)) throw badInput(field, `${JSON.stringify(value)} is not a service: ${services.join(', ')}`);
  return value as Service;
}

function mandateEvent(type: (typeof mandateEventTypes)[number], row: MandateRow): NewEvent {
  const state = { id: row.id, brin6: row.brin6, service: row.service, vendorOin: row.vendorOin, startDate: row.startDate, endDate: row.endDate };
  return institutionsEvent(type, { mandateId: row.id, brin6: row.brin6, vendorOin: row.vendorOin }, state);
}

/** Vendors are admitted by the register operator (Kennisnet conditions and qualification test, docs/domain.md §8). */
export async function registerVendor(db: Db, viewer: Viewer, input: { documentId: string; oin: string; name: string }): Promise<{ oin: string }> {
  if (viewer.role !== 'OPERATOR') throw new RegisterError('FORBIDDEN', 'Only the register operator registers software vendors');
  return once(db, document, 'operator', 'registerVendor', input, async (tx) => {
    const oin = parseOin(input.oin, 'oin');
    const name = parseText(input.name, 'name', textKinds.organisationName);
    if (!name) throw badInput('name', 'A vendor needs a name');
    const [known] = await tx.select().from(vendor).where(eq(vendor.oin, oin));
    if (known) throw new RegisterError('CONFLICT', `Vendor ${oin} is registered already, as ${known.name}`, 'oin');
    await tx.insert(vendor).values({ oin, name });
    return { oin };
  });
}

/** The board of a vestiging (a BRIN6) or a whole school (a BRIN4), for the check that a board grants only for its own schools. */
export async function boardOf(tx: Db, school: string): Promise<string | undefined> {
  if (school.length === 4) {
    const [row] = await tx.select({ board: provider.boardCode }).from(provider).where(eq(provider.brin4, school));
    return row?.board;
  }
  const [row] = await tx
    .select({ board: provider.boardCode })
    .from(branch)
    .innerJoin(provider, eq(provider.code, branch.providerCode))
    .where(eq(branch.brin6, school));
  return row?.board;
}

/** What a grant is for: one vestiging (`brin6`) or a whole school (`brin4`), exactly one of the two. */
function grantedFor(input: GrantInput): string {
  if ((input.brin6 == null) === (input.brin4 == null)) {
    throw badInput('brin6', 'Give brin6 for a mandate for one vestiging, or brin4 for one for the whole school with all its vestigingen: one of the two');
  }
  return input.brin6 != null ? parseBrin6(input.brin6, 'brin6') : parseBrin4(input.brin4!, 'brin4');
}

function boardFor(viewer: Viewer): string {
  if (viewer.role !== 'BOARD') throw new RegisterError('FORBIDDEN', "Mandates are granted and ended by the school's board");
  return viewer.board;
}

export interface GrantInput {
  documentId: string;
  brin6?: string | null;
  brin4?: string | null;
  service: string;
  vendorOin: string;
  startDate: string;
  endDate?: string | null;
}

export async function grantMandate(db: Db, viewer: Viewer, input: GrantInput): Promise<{ mandateId: string }> {
  const board = boardFor(viewer);
  return once(db, document, `board/${board}`, 'grantMandate', input, async (tx) => {
    const school = grantedFor(input);
    const service = parseService(input.service);
    const vendorOin = parseOin(input.vendorOin, 'vendorOin');
    const startDate = parseDay(input.startDate, 'startDate');
    const endDate = input.endDate == null ? null : parseDay(input.endDate, 'endDate');
    if (endDate !== null && endDate < startDate) throw badInput('endDate', `The end date ${endDate} is before the start date ${startDate}`);
    if ((await boardOf(tx, school)) !== board)
      throw new RegisterError('NOT_FOUND', `No school ${school} of board ${board}`, school.length === 4 ? 'brin4' : 'brin6');
    const [known] = await tx.select().from(vendor).where(eq(vendor.oin, vendorOin));
    if (!known) throw new RegisterError('NOT_FOUND', `No registered vendor ${vendorOin}`, 'vendorOin');
    const [row] = await tx
      .insert(mandate)
      .values({ id: randomUUID(), brin6: school, service, vendorOin, startDate, endDate, grantedBy: `board/${board}`, grantedAt: new Date() })
      .returning();
    await appendEvents(tx, 'institutions', [mandateEvent('MandateGranted', row!)]);
    return { mandateId: row!.id };
  });
}

/**
 * Ends a mandate on a day (its last day in force). It can be ended earlier, never extended: an
 * extension is a new mandate (docs/domain.md §8 gives no rule; this is ours, so that a vendor's period of
 * authority is never widened after the fact).
 */
export async function endMandate(db: Db, viewer: Viewer, input: { documentId: string; mandateId: string; endDate: string }): Promise<{ mandateId: string }> {
  const board = boardFor(viewer);
  return once(db, document, `board/${board}`, 'endMandate', input, async (tx) => {
    const id = parseUuid(input.mandateId, 'mandateId', 'a mandate id');
    const endDate = parseDay(input.endDate, 'endDate');
    const [row] = await tx.select().from(mandate).where(eq(mandate.id, id)).for('update');
    if (!row || (await boardOf(tx, row.brin6)) !== board)
      throw new RegisterError('NOT_FOUND', `No mandate ${input.mandateId} for a school of board ${board}`, 'mandateId');
    if (endDate < row.startDate) throw badInput('endDate', `The mandate starts on ${row.startDate}; it cannot end before that`);
    if (row.endDate !== null && endDate > row.endDate)
      throw new RegisterError('CONFLICT', `The mandate ends on ${row.endDate} already; grant a new one to extend it`, 'endDate');
    const [ended] = await tx
      .update(mandate)
      .set({ endDate, endedBy: `board/${board}`, endedAt: new Date() })
      .where(eq(mandate.id, id))
      .returning();
    await appendEvents(tx, 'institutions', [mandateEvent('MandateEnded', ended!)]);
    return { mandateId: id };
  });
}

/** The demo vendor of the embedded seed: its token is in the README. */
export const demoVendor = { oin: '00000001800866472000', name: 'Demo Leerlingadministratie B.V.' };

/** The municipalities whose schools the demo vendor serves: Emmen and Borger-Odoorn, in Drenthe. */
export const demoMunicipalities = ['0114', '1681'];

/**
 * The demo seed's mandates: the demo vendor may exchange every service for every school in the demo
 * municipalities (or every school, or the schools named, for the national population and the
 * benchmarks) from the start of the 2000s, as granted by the operator; a real board grants its own.
 * Not every school in the country by default: each mandate is an event that every register takes in
 * on start. A school mandated already is skipped.
 */
export async function seedDemoMandates(tx: Db, scope: 'demo' | 'everywhere' | readonly string[] = 'demo'): Promise<number> {
  await tx.insert(vendor).values(demoVendor).onConflictDoNothing();
  const mandated = tx.select({ brin6: mandate.brin6 }).from(mandate).where(eq(mandate.vendorOin, demoVendor.oin));
  const schools = await tx
    .select({ brin6: branch.brin6 })
    .from(branch)
    .innerJoin(location, eq(location.code, branch.locationCode))
    .where(and(scopeOf(scope), notInArray(branch.brin6, mandated)));
  const grantedAt = new Date();
  const rows = schools.flatMap(({ brin6 }) =>
    services.map((service) => ({
      id: randomUUID(),
      brin6,
      service,
      vendorOin: demoVendor.oin,
      startDate: '2000-01-01',
      endDate: null,
      grantedBy: 'operator',
      grantedAt,
      endedBy: null,
      endedAt: null,
    })),
  );
  await insertRows(tx, mandate, rows);
  await appendEvents(
    tx,
    'institutions',
    rows.map((row) => mandateEvent('MandateGranted', row)),
  );
  return rows.length;
}

function scopeOf(scope: 'demo' | 'everywhere' | readonly string[]): SQL | undefined {
  if (scope === 'everywhere') return undefined;
  if (scope === 'demo') return inArray(location.municipalityCode, demoMunicipalities);
  return inArray(branch.brin6, [...scope]);
}
