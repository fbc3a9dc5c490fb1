import { randomUUID } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import { appendEvents } from '../../kernel/events.ts';
import type { Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import {
  covers,
  parseBoardCode,
  parseBrin6,
  parseLocationCode,
  parseMunicipalityCode,
  parseOfferedProgrammeId,
  parsePostcode,
  parseProviderCode,
} from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { parseOptionalText, parseText, textKinds } from '../../kernel/text.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { addressKeyOf, locationCodeFor } from './codes.ts';
import { eventsOf, type Writes } from './events.ts';
import { changesOf, lastEffective, recordChanges, type Author, type NewChange } from './history.ts';
import { lockRio } from './import.ts';
import { boardOf, mandateInForce } from './osr.ts';
import { addDays } from '../../kernel/calendar.ts';
import { isActiveOn } from './rules.ts';
import {
  board,
  branch,
  document,
  location,
  locationUse,
  offeredProgramme,
  provider,
  type BranchRow,
  type LocationRow,
  type LocationUseRow,
  type OfferedProgrammeRow,
  type ProviderRow,
} from './tables.ts';

/*
 * RIO as boards keep it (docs/domain.md §2.1 and §7(d) [S:11, S:13, S:39]): a board, or a software vendor it
 * mandated in the OSR for the service RIO, registers locations for its vestigingen, the programmes it
 * offers there, its providers' names and their board. Each change is one business document (idempotent
 * per documentId), validated whole before anything is written, recorded in the history with who made it,
 * and written to the outbox as the school file's changes are, so that learners, funding and absence
 * follow. An object a board changed is maintained by it from then on (rules.ts, `planImport`).
 */

/** Who acts: the board, and the vendor acting for one of its schools, if it is one. */
interface Acting {
  board: string;
  vendorOin: string | null;
  /** The school (BRIN6 or BRIN4) a vendor acts for; null for the board itself. */
  school: string | null;
}

/** The sender of a board's documents: documentIds are unique per sender, as for every change (docs/domain.md §9). */
function senderOf(viewer: Viewer): string {
  if (viewer.role === 'BOARD') return `board/${viewer.board}`;
  if (viewer.role === 'VENDOR') return `${viewer.vendorOin}/${viewer.school}`;
  throw new RegisterError('FORBIDDEN', "RIO is changed by a school's board, or by a software vendor it mandated for RIO; the operator corrects (correctRio)");
}

/** A vendor acts for its school's board only with a mandate for RIO in force today (OSR, docs/domain.md §8 [S:20]). */
async function actingIn(tx: Db, viewer: Viewer): Promise<Acting> {
  if (viewer.role === 'BOARD') return { board: viewer.board, vendorOin: null, school: null };
  if (viewer.role !== 'VENDOR') throw new RegisterError('FORBIDDEN', 'Only a board or a vendor it mandated changes RIO');
  const mandate = await mandateInForce(tx, viewer.school, 'RIO', viewer.vendorOin, today());
  const schoolBoard = mandate ? await boardOf(tx, viewer.school) : undefined;
  if (!schoolBoard) throw new RegisterError('FORBIDDEN', `Vendor ${viewer.vendorOin} has no mandate for RIO from school ${viewer.school} today (OSR)`);
  return { board: schoolBoard, vendorOin: viewer.vendorOin, school: viewer.school };
}

/**
 * One board's change as one business document: received once, after every other RIO write (the
 * import's lock, so that issued codes stay unique), by the board or the vendor acting for it.
 */
function asActing<Result>(db: Db, viewer: Viewer, mutation: string, input: { documentId: string }, work: (tx: Db, acting: Acting) => Promise<Result>) {
  return once(db, document, senderOf(viewer), mutation, input, async (tx) => {
    await lockRio(tx);
    return work(tx, await actingIn(tx, viewer));
  });
}

const authorOf = (acting: Acting): Author => ({ actor: `board/${acting.board}`, vendorOin: acting.vendorOin });
const maintainerOf = (acting: Acting) => `board/${acting.board}`;

/** A board changes its own providers only; a vendor those of the school it acts for. */
function checkProvider(acting: Acting, row: ProviderRow): void {
  // A school is a vestiging (BRIN6) or a whole school (BRIN4): either way its first four characters are its BRIN4.
  const own = acting.school === null ? row.boardCode === acting.board : row.brin4 === acting.school.slice(0, 4);
  if (!own) {
    const who = acting.school === null ? `board ${acting.board}` : `a vendor acting for ${acting.school}`;
    throw new RegisterError('FORBIDDEN', `Provider ${row.code} (${row.brin4}) is of board ${row.boardCode}; ${who} changes its own only`);
  }
}

/**
 * A provider's names and board are its whole school's: a vendor changes them only when it acts for the
 * whole school (a BRIN4 token, with a mandate for the whole school), not for one vestiging.
 */
function checkWholeSchool(acting: Acting): void {
  if (acting.school !== null && acting.school.length !== 4) {
    throw new RegisterError(
      'FORBIDDEN',
      `A provider's names and board are the whole school's; a vendor acting for vestiging ${acting.school} changes that vestiging's locations and programmes only`,
    );
  }
}

/** Whether the acting party may act at a place a vestiging teaches at: a vendor acting for one vestiging, at that vestiging's only. */
const actsFor = (acting: Acting, parent: Parent) => acting.school === null || covers(acting.school, parent.brin6);

async function ownProvider(tx: Db, acting: Acting, code: string, field: string): Promise<ProviderRow> {
  const [row] = await tx.select().from(provider).where(eq(provider.code, code)).for('update');
  if (!row) throw new RegisterError('NOT_FOUND', `RIO knows no provider ${code}`, field);
  checkProvider(acting, row);
  return row;
}

async function ownBranch(tx: Db, acting: Acting, brin6: string): Promise<{ branch: BranchRow; provider: ProviderRow }> {
  const [row] = await tx.select().from(branch).innerJoin(provider, eq(provider.code, branch.providerCode)).where(eq(branch.brin6, brin6));
  if (!row) throw new RegisterError('NOT_FOUND', `RIO knows no vestiging ${brin6}`, 'brin6');
  if (acting.school !== null && !covers(acting.school, brin6)) {
    throw new RegisterError('FORBIDDEN', `Vestiging ${brin6} is not of school ${acting.school}, which the vendor acts for`, 'brin6');
  }
  checkProvider(acting, row.provider);
  return row;
}

interface Period {
  startDate: string | null;
  endDate: string | null;
}

/** Whether `inner` lies within `outer`; a null start is "since before the register knew", a null end "open". */
const within = (inner: Period, outer: Period) =>
  (outer.startDate === null || (inner.startDate !== null && inner.startDate >= outer.startDate)) &&
  (outer.endDate === null || (inner.endDate !== null && inner.endDate <= outer.endDate));

const overlaps = (a: Period, b: Period) =>
  (a.endDate === null || b.startDate === null || a.endDate >= b.startDate) && (b.endDate === null || a.startDate === null || b.endDate >= a.startDate);

const spanOf = (period: Period) => `${period.startDate ?? 'the start'} to ${period.endDate ?? 'open end'}`;

function periodOf(input: { startDate: string; endDate?: string | null }): { startDate: string; endDate: string | null } {
  const startDate = parseDay(input.startDate, 'startDate');
  const endDate = input.endDate == null ? null : parseDay(input.endDate, 'endDate');
  if (endDate !== null && endDate < startDate) throw badInput('endDate', `The end date ${endDate} is before the start date ${startDate}`);
  return { startDate, endDate };
}

/** A change to a provider's names or board takes effect on a day not after today, and not before the provider's last change. */
async function effectiveDay(tx: Db, row: ProviderRow, value: string): Promise<string> {
  const day = parseDay(value, 'startDate');
  if (day > today()) throw badInput('startDate', `A change takes effect from a day not after today (${today()}); register it on that day`);
  if (row.startDate !== null && day < row.startDate) throw badInput('startDate', `Provider ${row.code} starts on ${row.startDate}`);
  const last = lastEffective(await changesOf(tx, 'providers', row.code));
  if (last !== null && day < last) {
    throw new RegisterError(
      'CONFLICT',
      `Provider ${row.code} changed with effect from ${last}; a later change cannot take effect before it (the operator corrects)`,
      'startDate',
    );
  }
  return day;
}

/** Records what a change wrote, its history and its events, in the caller's transaction; returns the history's ids. */
export async function commit(tx: Db, acting: Acting | Author, writes: Writes, changes: NewChange[]): Promise<number[]> {
  const ids = await recordChanges(tx, 'actor' in acting ? acting : authorOf(acting), changes);
  await appendEvents(tx, 'institutions', eventsOf(writes));
  return ids;
}

export interface AddressInput {
  street: string;
  houseNumber: string;
  postcode: string;
  city: string;
  municipalityCode: string;
}

// BAG: a house number of 1 to 99999, then an optional letter and an addition of up to four letters or digits.
const houseNumberPattern = /^[1-9][0-9]{0,4}(?:[ -]?[A-Za-z])?(?:[ -]?[A-Za-z0-9]{1,4})?$/;

export function parseHouseNumber(value: string, field: string): string {
  const houseNumber = value.trim();
  if (!houseNumberPattern.test(houseNumber)) throw badInput(field, 'A house number is 1 to 99999 with an optional letter and addition, e.g. 3, 3A or 3-2');
  return houseNumber;
}

export function parseAddress(input: AddressInput, prefix = 'address') {
  const houseNumber = parseHouseNumber(input.houseNumber, `${prefix}.houseNumber`);
  const street = parseText(input.street, `${prefix}.street`, textKinds.placeName);
  const city = parseText(input.city, `${prefix}.city`, textKinds.placeName);
  if (!street) throw badInput(`${prefix}.street`, 'An address needs a street');
  if (!city) throw badInput(`${prefix}.city`, 'An address needs a town');
  return {
    street,
    houseNumber,
    postcode: parsePostcode(input.postcode, `${prefix}.postcode`),
    city,
    municipalityCode: parseMunicipalityCode(input.municipalityCode, `${prefix}.municipalityCode`),
  };
}

export interface RegisterLocationInput {
  documentId: string;
  brin6: string;
  address: AddressInput;
  startDate: string;
  endDate?: string | null;
}

/**
 * A vestiging teaches at a location besides its address in the school file, for a period
 * (onderwijslocatiegebruik; in po a location is registered for a BRIN6 [S:11]). One code per address
 * (docs/domain.md §2.1 [S:11]): a known address keeps its code, a new one gets a code the register issues
 * (codes.ts), never one that any location had.
 */
export async function registerLocation(db: Db, viewer: Viewer, input: RegisterLocationInput): Promise<{ locationUseId: string }> {
  return asActing(db, viewer, 'registerLocation', input, async (tx, acting) => {
    const { branch: vestiging } = await ownBranch(tx, acting, parseBrin6(input.brin6, 'brin6'));
    const period = periodOf(input);
    const address = parseAddress(input.address);
    if (!within(period, vestiging))
      throw badInput('startDate', `Vestiging ${vestiging.brin6} is recognised from ${spanOf(vestiging)}; the use must fall within it`);
    const addressKey = addressKeyOf(address.postcode, address.houseNumber);
    const [known] = await tx.select().from(location).where(eq(location.addressKey, addressKey)).for('update');
    if (known?.code === vestiging.locationCode) {
      throw new RegisterError(
        'CONFLICT',
        `${address.postcode} ${address.houseNumber} is the address of vestiging ${vestiging.brin6} already (location ${known.code})`,
        'address',
      );
    }
    const changes: NewChange[] = [];
    const place = known ? await widen(tx, acting, known, period, changes) : await issueLocation(tx, acting, addressKey, address, period, changes);
    const uses = await tx
      .select()
      .from(locationUse)
      .where(and(eq(locationUse.brin6, vestiging.brin6), eq(locationUse.locationCode, place.code)));
    const overlapping = uses.find((use) => overlaps(use, period));
    if (overlapping)
      throw new RegisterError('CONFLICT', `Vestiging ${vestiging.brin6} uses location ${place.code} from ${spanOf(overlapping)} already`, 'startDate');
    const use: LocationUseRow = { id: randomUUID(), brin6: vestiging.brin6, locationCode: place.code, ...period, maintainer: maintainerOf(acting) };
    await tx.insert(locationUse).values(use);
    changes.push({ entity: 'locationUses', key: use.id, change: 'created', before: null, after: use, effectiveOn: use.startDate });
    await commit(tx, acting, { locations: [place], locationUses: [use] }, changes);
    return { locationUseId: use.id };
  });
}

async function issueLocation(tx: Db, acting: Acting, addressKey: string, address: ReturnType<typeof parseAddress>, period: Period, changes: NewChange[]) {
  const taken = new Set((await tx.select({ code: location.code }).from(location)).map((row) => row.code));
  const [named] = await tx
    .select({ name: location.municipalityName })
    .from(location)
    .where(and(eq(location.municipalityCode, address.municipalityCode), ne(location.municipalityName, '')))
    .limit(1);
  const row: LocationRow = {
    code: locationCodeFor(addressKey, (code) => taken.has(code)),
    addressKey,
    ...address,
    municipalityName: named?.name ?? null,
    ...period,
    maintainer: maintainerOf(acting),
  };
  await tx.insert(location).values(row);
  changes.push({ entity: 'locations', key: row.code, change: 'created', before: null, after: row, effectiveOn: period.startDate });
  return row;
}

/** A known location whose period does not hold the use is widened to hold it; the board maintains it from then on. */
async function widen(tx: Db, acting: Acting, row: LocationRow, period: Period, changes: NewChange[]): Promise<LocationRow> {
  if (within(period, row)) return row;
  const next = {
    startDate: row.startDate === null || period.startDate === null ? null : row.startDate < period.startDate ? row.startDate : period.startDate,
    endDate: row.endDate === null || period.endDate === null ? null : row.endDate > period.endDate ? row.endDate : period.endDate,
    maintainer: maintainerOf(acting),
  };
  await tx.update(location).set(next).where(eq(location.code, row.code));
  const change = row.endDate !== null && next.endDate === null ? 'reopened' : 'updated';
  changes.push({
    entity: 'locations',
    key: row.code,
    change,
    before: { startDate: row.startDate, endDate: row.endDate },
    after: { startDate: next.startDate, endDate: next.endDate },
    effectiveOn: period.startDate,
  });
  return { ...row, ...next };
}

/**
 * A vestiging stops teaching at a location it registered: its use ends on `endDate`, its last day.
 * Earlier, never later (a new registration extends), and not while a programme of its provider runs
 * there after that day with nothing else to hold it. A location a board maintains ends with its last use.
 */
export async function endLocation(
  db: Db,
  viewer: Viewer,
  input: { documentId: string; brin6: string; locationCode: string; endDate: string },
): Promise<{ locationUseId: string }> {
  return asActing(db, viewer, 'endLocation', input, async (tx, acting) => {
    const { branch: vestiging } = await ownBranch(tx, acting, parseBrin6(input.brin6, 'brin6'));
    const code = parseLocationCode(input.locationCode, 'locationCode');
    const endDate = parseDay(input.endDate, 'endDate');
    if (code === vestiging.locationCode) {
      throw new RegisterError(
        'CONFLICT',
        `Location ${code} is the address of vestiging ${vestiging.brin6} in DUO's school file, which ends with its recognition; a board ends the locations it registered`,
        'locationCode',
      );
    }
    const uses = await tx
      .select()
      .from(locationUse)
      .where(and(eq(locationUse.brin6, vestiging.brin6), eq(locationUse.locationCode, code)))
      .for('update');
    const use = uses.filter((row) => row.startDate <= endDate).sort((a, b) => (a.startDate < b.startDate ? 1 : -1))[0];
    if (!use) throw new RegisterError('NOT_FOUND', `Vestiging ${vestiging.brin6} has no use of location ${code} begun by ${endDate}`, 'locationCode');
    if (use.endDate !== null && endDate >= use.endDate) {
      throw new RegisterError('CONFLICT', `The use of location ${code} ends on ${use.endDate} already; register the location again to extend it`, 'endDate');
    }
    const ended = { ...use, endDate };
    const [place] = await tx.select().from(location).where(eq(location.code, code)).for('update');
    const others = await parentsAt(tx, code, use.id);
    await refuseOrphanedProgrammes(tx, vestiging.providerCode, code, endDate, others);
    await tx.update(locationUse).set({ endDate }).where(eq(locationUse.id, use.id));
    const changes: NewChange[] = [
      { entity: 'locationUses', key: use.id, change: 'closed', before: { endDate: use.endDate }, after: { endDate }, effectiveOn: addDays(endDate, 1) },
    ];
    const writes: Writes = { locationUses: [ended] };
    const lastOfAll = others.every((other) => other.endDate !== null && other.endDate <= endDate);
    if (place!.maintainer !== null && lastOfAll && (place!.endDate === null || place!.endDate > endDate)) {
      const last = others.reduce((day, other) => (other.endDate! > day ? other.endDate! : day), endDate);
      await tx.update(location).set({ endDate: last }).where(eq(location.code, code));
      changes.push({
        entity: 'locations',
        key: code,
        change: 'closed',
        before: { endDate: place!.endDate },
        after: { endDate: last },
        effectiveOn: addDays(last, 1),
      });
      writes.locations = [{ ...place!, endDate: last }];
    }
    await commit(tx, acting, writes, changes);
    return { locationUseId: use.id };
  });
}

/** A vestiging teaching at a location, by its address or a use of it, over the period both hold. */
type Parent = Period & { providerCode: string; brin6: string };

/** What holds a location besides one use: the other uses of it, and the vestigingen whose address it is. */
async function parentsAt(tx: Db, code: string, except: string | null): Promise<Parent[]> {
  const uses = await tx
    .select({
      providerCode: branch.providerCode,
      brin6: branch.brin6,
      startDate: locationUse.startDate,
      endDate: locationUse.endDate,
      id: locationUse.id,
      branchStart: branch.startDate,
      branchEnd: branch.endDate,
    })
    .from(locationUse)
    .innerJoin(branch, eq(branch.brin6, locationUse.brin6))
    .where(eq(locationUse.locationCode, code));
  const addresses = await tx
    .select({ providerCode: branch.providerCode, brin6: branch.brin6, startDate: branch.startDate, endDate: branch.endDate })
    .from(branch)
    .where(eq(branch.locationCode, code));
  return [
    ...uses
      .filter((use) => use.id !== except)
      .map((use) => ({
        providerCode: use.providerCode,
        brin6: use.brin6,
        startDate: use.branchStart !== null && use.branchStart > use.startDate ? use.branchStart : use.startDate,
        endDate: use.endDate === null ? use.branchEnd : use.branchEnd === null || use.endDate < use.branchEnd ? use.endDate : use.branchEnd,
      })),
    ...addresses,
  ];
}

async function refuseOrphanedProgrammes(tx: Db, providerCode: string, code: string, endDate: string, others: Parent[]): Promise<void> {
  const programmes = await tx
    .select()
    .from(offeredProgramme)
    .where(and(eq(offeredProgramme.providerCode, providerCode), eq(offeredProgramme.locationCode, code)));
  const orphaned = programmes.filter(
    (row) => (row.endDate === null || row.endDate > endDate) && !others.some((other) => other.providerCode === providerCode && within(row, other)),
  );
  if (orphaned.length > 0) {
    throw new RegisterError(
      'CONFLICT',
      `Offered programme ${orphaned.map((row) => row.id).join(', ')} runs at location ${code} after ${endDate}; end it first (endOfferedProgramme)`,
      'endDate',
    );
  }
}

export interface RegisterOfferedProgrammeInput {
  documentId: string;
  providerCode: string;
  locationCode: string;
  kind: string;
  name?: string | null;
  startDate: string;
  endDate?: string | null;
}

const programmeNames: Record<OfferedProgrammeRow['kind'], string> = { BASISONDERWIJS: 'Basisonderwijs', SPECIAAL_BASISONDERWIJS: 'Speciaal basisonderwijs' };

/**
 * A provider offers a programme at a location for a period (aangeboden opleiding [S:13]): within the
 * provider's period and the location's, at a location one of its vestigingen teaches at for the whole
 * period, and not overlapping one of the same kind there. Its id is a random UUID the register issues
 * (the file's are name-based, codes.ts), so that it can never be one the file derives.
 */
export async function registerOfferedProgramme(db: Db, viewer: Viewer, input: RegisterOfferedProgrammeInput): Promise<{ offeredProgrammeId: string }> {
  return asActing(db, viewer, 'registerOfferedProgramme', input, async (tx, acting) => {
    const owner = await ownProvider(tx, acting, parseProviderCode(input.providerCode, 'providerCode'), 'providerCode');
    const code = parseLocationCode(input.locationCode, 'locationCode');
    const [place] = await tx.select().from(location).where(eq(location.code, code));
    if (!place) throw new RegisterError('NOT_FOUND', `RIO knows no location ${code}`, 'locationCode');
    if (!(input.kind in programmeNames))
      throw badInput('kind', `${JSON.stringify(input.kind)} is not a programme kind: ${Object.keys(programmeNames).join(', ')}`);
    const kind = input.kind as OfferedProgrammeRow['kind'];
    const name = parseOptionalText(input.name, 'name', textKinds.organisationName) || programmeNames[kind];
    const period = periodOf(input);
    if (!within(period, owner)) throw badInput('startDate', `Provider ${owner.code} is active from ${spanOf(owner)}; the programme must fall within it`);
    if (!within(period, place)) throw badInput('startDate', `Location ${code} is active from ${spanOf(place)}; the programme must fall within it`);
    const parents = (await parentsAt(tx, code, null)).filter((parent) => parent.providerCode === owner.code && actsFor(acting, parent));
    if (!parents.some((parent) => within(period, parent))) {
      throw new RegisterError(
        'CONFLICT',
        `No vestiging of provider ${owner.code} teaches at location ${code} for the whole period; register the location for one first (registerLocation)`,
        'locationCode',
      );
    }
    const same = await tx
      .select()
      .from(offeredProgramme)
      .where(and(eq(offeredProgramme.providerCode, owner.code), eq(offeredProgramme.locationCode, code), eq(offeredProgramme.kind, kind)));
    const overlapping = same.find((row) => overlaps(row, period));
    if (overlapping)
      throw new RegisterError(
        'CONFLICT',
        `Provider ${owner.code} offers ${kind} at ${code} from ${spanOf(overlapping)} already (${overlapping.id})`,
        'startDate',
      );
    const row: OfferedProgrammeRow = {
      id: randomUUID(),
      providerCode: owner.code,
      locationCode: code,
      kind,
      name,
      ...period,
      maintainer: maintainerOf(acting),
    };
    await tx.insert(offeredProgramme).values(row);
    await commit(tx, acting, { programmes: [row] }, [
      { entity: 'programmes', key: row.id, change: 'created', before: null, after: row, effectiveOn: row.startDate },
    ]);
    return { offeredProgrammeId: row.id };
  });
}

/** A programme ends on `endDate`, its last day: earlier, never later (a new registration extends), as a mandate. */
export async function endOfferedProgramme(
  db: Db,
  viewer: Viewer,
  input: { documentId: string; offeredProgrammeId: string; endDate: string },
): Promise<{ offeredProgrammeId: string }> {
  return asActing(db, viewer, 'endOfferedProgramme', input, async (tx, acting) => {
    const id = parseOfferedProgrammeId(input.offeredProgrammeId, 'offeredProgrammeId');
    const endDate = parseDay(input.endDate, 'endDate');
    const [row] = await tx.select().from(offeredProgramme).where(eq(offeredProgramme.id, id)).for('update');
    if (!row) throw new RegisterError('NOT_FOUND', `RIO knows no offered programme ${id}`, 'offeredProgrammeId');
    await ownProvider(tx, acting, row.providerCode, 'offeredProgrammeId');
    const parents = await parentsAt(tx, row.locationCode, null);
    if (acting.school !== null && !parents.some((parent) => parent.providerCode === row.providerCode && actsFor(acting, parent))) {
      throw new RegisterError('FORBIDDEN', `Offered programme ${id} is at a location where vestiging ${acting.school} does not teach`, 'offeredProgrammeId');
    }
    if (row.startDate !== null && endDate < row.startDate) throw badInput('endDate', `The programme starts on ${row.startDate}; it cannot end before that`);
    if (row.endDate !== null && endDate >= row.endDate) {
      throw new RegisterError('CONFLICT', `The programme ends on ${row.endDate} already; register it again to offer it longer`, 'endDate');
    }
    const ended = { ...row, endDate, maintainer: maintainerOf(acting) };
    await tx.update(offeredProgramme).set({ endDate, maintainer: ended.maintainer }).where(eq(offeredProgramme.id, id));
    await commit(tx, acting, { programmes: [ended] }, [
      { entity: 'programmes', key: id, change: 'closed', before: { endDate: row.endDate }, after: { endDate }, effectiveOn: addDays(endDate, 1) },
    ]);
    return { offeredProgrammeId: id };
  });
}

/** A provider's official name and the name it uses (OnderwijsaanbiederPeriode [S:9]), from a day. */
export async function renameProvider(
  db: Db,
  viewer: Viewer,
  input: { documentId: string; providerCode: string; name: string; nameInUse?: string | null; startDate: string },
): Promise<{ providerCode: string }> {
  return asActing(db, viewer, 'renameProvider', input, async (tx, acting) => {
    checkWholeSchool(acting);
    const row = await ownProvider(tx, acting, parseProviderCode(input.providerCode, 'providerCode'), 'providerCode');
    const name = parseText(input.name, 'name', textKinds.organisationName);
    if (!name) throw badInput('name', 'A provider needs a name');
    const nameInUse = parseOptionalText(input.nameInUse, 'nameInUse', textKinds.organisationName) || null;
    if (name === row.name && nameInUse === row.nameInUse) throw badInput('name', `Provider ${row.code} has these names already`);
    const day = await effectiveDay(tx, row, input.startDate);
    const next = { ...row, name, nameInUse, maintainer: maintainerOf(acting) };
    await tx.update(provider).set({ name, nameInUse, maintainer: next.maintainer }).where(eq(provider.code, row.code));
    await commit(tx, acting, { providers: [next] }, [
      {
        entity: 'providers',
        key: row.code,
        change: 'renamed',
        before: { name: row.name, nameInUse: row.nameInUse },
        after: { name, nameInUse },
        effectiveOn: day,
      },
    ]);
    return { providerCode: row.code };
  });
}

/**
 * A provider comes under another board from a day (the provider's juridische relatie [S:9, S:12]). The
 * board it leaves makes the change; the board it joins maintains it from then on.
 */
export async function linkProviderToBoard(
  db: Db,
  viewer: Viewer,
  input: { documentId: string; providerCode: string; boardCode: string; startDate: string },
): Promise<{ providerCode: string }> {
  return asActing(db, viewer, 'linkProviderToBoard', input, async (tx, acting) => {
    checkWholeSchool(acting);
    const row = await ownProvider(tx, acting, parseProviderCode(input.providerCode, 'providerCode'), 'providerCode');
    const target = parseBoardCode(input.boardCode, 'boardCode');
    const day = await effectiveDay(tx, row, input.startDate);
    const [joined] = await tx.select().from(board).where(eq(board.code, target));
    if (!joined) throw new RegisterError('NOT_FOUND', `RIO knows no board ${target}`, 'boardCode');
    if (!isActiveOn(joined, day)) throw badInput('boardCode', `Board ${target} is not active on ${day}`);
    if (target === row.boardCode) throw badInput('boardCode', `Provider ${row.code} is of board ${target} already`);
    const next = { ...row, boardCode: target, maintainer: `board/${target}` };
    await tx.update(provider).set({ boardCode: target, maintainer: next.maintainer }).where(eq(provider.code, row.code));
    await commit(tx, acting, { providers: [next] }, [
      { entity: 'providers', key: row.code, change: 'moved', before: { boardCode: row.boardCode }, after: { boardCode: target }, effectiveOn: day },
    ]);
    return { providerCode: row.code };
  });
}
