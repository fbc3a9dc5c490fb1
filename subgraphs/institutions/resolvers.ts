import { and, count, eq, gt, gte, ilike, inArray, isNull, lte, or, type SQL } from 'drizzle-orm';
import {
  parseBoardCode,
  parseBrin6,
  parseLocationCode,
  parseMunicipalityCode,
  parseOfferedProgrammeId,
  parseOin,
  parseProviderCode,
  parseUuid,
  schoolsCovering,
} from '../../kernel/ids/index.ts';
import { connectionOf, decodeCursor, pageSize } from '../../kernel/pages.ts';
import { DateScalar, DateTimeScalar, parseDay, today } from '../../kernel/scalars.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { parseText, textKinds } from '../../kernel/text.ts';
import type { ResolverMap, SubgraphContext } from '../../kernel/subgraph.ts';
import type { InstitutionLoaders } from './loaders.ts';
import { endMandate, grantMandate, mandateInForce, mandatesVisibleTo, parseService, registerVendor, type GrantInput } from './osr.ts';
import {
  endLocation,
  endOfferedProgramme,
  linkProviderToBoard,
  registerLocation,
  registerOfferedProgramme,
  renameProvider,
  type RegisterLocationInput,
  type RegisterOfferedProgrammeInput,
} from './changes.ts';
import { correctRio, type CorrectRioInput } from './corrections.ts';
import { providersEverOf, stateOn, type HistoryEntity } from './history.ts';
import {
  branch,
  change,
  location,
  mandate,
  provider,
  vendor,
  type BoardRow,
  type ChangeRow,
  type LocationUseRow,
  type BranchRow,
  type LocationRow,
  type MandateRow,
  type OfferedProgrammeRow,
  type ProviderRow,
} from './tables.ts';

type Context = SubgraphContext<InstitutionLoaders>;

interface BranchFilter {
  municipalityCode?: string | null;
  boardCode?: string | null;
  name?: string | null;
  activeOn?: string | null;
}

function addressOf(row: LocationRow) {
  return {
    // One location per address (README, RIO codes): the address is known by its location's code.
    id: row.code,
    street: row.street,
    houseNumber: row.houseNumber,
    postcode: row.postcode,
    city: row.city,
    municipality: { id: row.municipalityCode, code: row.municipalityCode, name: row.municipalityName },
  };
}

/** The filter as SQL; every value is parsed first, so a malformed code is BAD_USER_INPUT, not an empty page. */
function branchConditions(db: Context['db'], filter: BranchFilter | null | undefined): SQL[] {
  const conditions: SQL[] = [];
  if (!filter) return conditions;
  if (filter.municipalityCode != null) {
    const code = parseMunicipalityCode(filter.municipalityCode, 'filter.municipalityCode');
    conditions.push(inArray(branch.locationCode, db.select({ code: location.code }).from(location).where(eq(location.municipalityCode, code))));
  }
  if (filter.boardCode != null) {
    const code = parseBoardCode(filter.boardCode, 'filter.boardCode');
    conditions.push(inArray(branch.providerCode, db.select({ code: provider.code }).from(provider).where(eq(provider.boardCode, code))));
  }
  const name = filter.name == null ? '' : parseText(filter.name, 'filter.name', textKinds.searchTerm);
  if (name !== '') conditions.push(ilike(branch.name, `%${name.replace(/[\\%_]/g, (char) => `\\${char}`)}%`));
  if (filter.activeOn != null) {
    const day = parseDay(filter.activeOn, 'filter.activeOn');
    conditions.push(or(isNull(branch.startDate), lte(branch.startDate, day))!, or(isNull(branch.endDate), gte(branch.endDate, day))!);
  }
  return conditions;
}

/** A board or provider as it is (`asOn` null), or as it was on a day: its row with the later changes undone (history.ts). */
type Dated<T> = T & { asOn?: string | null };

async function onDay<T extends object>(
  entity: HistoryEntity,
  key: string,
  row: T | null,
  on: string | null | undefined,
  { loaders }: Context,
): Promise<Dated<T> | null> {
  if (!row || on == null) return row && { ...row, asOn: null };
  const day = parseDay(on, 'on');
  const state = stateOn(row, await loaders.history.load(`${entity}/${key}`), day);
  return state && { ...state, asOn: day };
}

const datedId = (code: string, row: { asOn?: string | null }) => (row.asOn ? `${code}@${row.asOn}` : code);

const historyOf = (entity: HistoryEntity, key: string, { loaders }: Context) => loaders.history.load(`${entity}/${key}`);

/** Field values in a change, as text: dates are YYYY-MM-DD already, other values JSON. */
const asText = (value: unknown) => (value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value));

/** Which vendor acted for a board is the OSR's detail: that vendor, that board and the operator see it (osr.ts, `mandatesVisibleTo`). */
function seesVendor(viewer: Viewer, row: ChangeRow): boolean {
  if (viewer.role === 'OPERATOR') return true;
  if (viewer.role === 'BOARD') return row.actor === `board/${viewer.board}`;
  return viewer.role === 'VENDOR' && viewer.vendorOin === row.vendorOin;
}

export const resolvers: ResolverMap<Context> = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  Mutation: {
    registerVendor: async (_, { input }, { db, viewer }) =>
      (
        await db
          .select()
          .from(vendor)
          .where(eq(vendor.oin, (await registerVendor(db, viewer, input)).oin))
      )[0],
    grantMandate: async (_, { input }: { input: GrantInput }, { db, viewer }) =>
      (
        await db
          .select()
          .from(mandate)
          .where(eq(mandate.id, (await grantMandate(db, viewer, input)).mandateId))
      )[0],
    endMandate: async (_, { input }, { db, viewer }) =>
      (
        await db
          .select()
          .from(mandate)
          .where(eq(mandate.id, (await endMandate(db, viewer, input)).mandateId))
      )[0],
    registerLocation: async (_, { input }: { input: RegisterLocationInput }, { db, viewer, loaders }) =>
      loaders.locationUse.load((await registerLocation(db, viewer, input)).locationUseId),
    endLocation: async (_, { input }, { db, viewer, loaders }) => loaders.locationUse.load((await endLocation(db, viewer, input)).locationUseId),
    registerOfferedProgramme: async (_, { input }: { input: RegisterOfferedProgrammeInput }, { db, viewer, loaders }) =>
      loaders.offeredProgramme.load((await registerOfferedProgramme(db, viewer, input)).offeredProgrammeId),
    endOfferedProgramme: async (_, { input }, { db, viewer, loaders }) =>
      loaders.offeredProgramme.load((await endOfferedProgramme(db, viewer, input)).offeredProgrammeId),
    renameProvider: async (_, { input }, { db, viewer, loaders }) => loaders.provider.load((await renameProvider(db, viewer, input)).providerCode),
    linkProviderToBoard: async (_, { input }, { db, viewer, loaders }) => loaders.provider.load((await linkProviderToBoard(db, viewer, input)).providerCode),
    correctRio: async (_, { input }: { input: CorrectRioInput }, { db, viewer, loaders }) => {
      const { target, key, changeId } = await correctRio(db, viewer, input);
      const [recorded] = await db.select().from(change).where(eq(change.id, changeId));
      const loader = {
        provider: loaders.provider,
        location: loaders.location,
        offeredProgramme: loaders.offeredProgramme,
        board: loaders.board,
        branch: loaders.branch,
        locationUse: loaders.locationUse,
      }[target];
      return { change: recorded, [target]: await loader.load(key) };
    },
  },
  RioChange: {
    id: (row: ChangeRow) => String(row.id),
    kind: (row: ChangeRow) => row.change.toUpperCase(),
    by: (row: ChangeRow) => row.actor,
    vendor: (row: ChangeRow, _, { viewer, loaders }) => (row.vendorOin !== null && seesVendor(viewer, row) ? loaders.vendor.load(row.vendorOin) : null),
    fields: (row: ChangeRow) => {
      const before = (row.before ?? {}) as Record<string, unknown>;
      const after = (row.after ?? {}) as Record<string, unknown>;
      const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
      return fields.map((field) => ({ id: `${row.id}/${field}`, field, before: asText(before[field]), after: asText(after[field]) }));
    },
  },
  LocationUse: {
    branch: (row: LocationUseRow, _, { loaders }) => loaders.branch.load(row.brin6),
    location: (row: LocationUseRow, _, { loaders }) => loaders.location.load(row.locationCode),
    history: (row: LocationUseRow, _, context) => historyOf('locationUses', row.id, context),
  },
  // The id a client's cache knows each object by (README, Clients) is its RIO code, BRIN6 or OIN.
  Vendor: {
    id: (row: { oin: string }) => row.oin,
  },
  Mandate: {
    // A mandate for a whole school holds its BRIN4 (osr.ts): its branch is the main vestiging, BRIN4 and 00.
    branch: (row: MandateRow) => ({ brin6: row.brin6.length === 4 ? `${row.brin6}00` : row.brin6 }),
    wholeSchool: (row: MandateRow) => row.brin6.length === 4,
    vendor: (row: MandateRow, _, { loaders }) => loaders.vendor.load(row.vendorOin),
  },
  Query: {
    mandateCheck: async (_, args: { brin6: string; service: string; vendorOin: string; date?: string | null }, { db }) => {
      const day = args.date == null ? today() : parseDay(args.date, 'date');
      return (await mandateInForce(db, parseBrin6(args.brin6, 'brin6'), parseService(args.service), parseOin(args.vendorOin, 'vendorOin'), day)) ? 'OK' : 'NOK';
    },
    mandates: async (_, args: { brin6?: string | null; activeOn?: string | null; first?: number | null; after?: string | null }, { db, viewer }) => {
      const size = pageSize(args.first);
      const conditions = [mandatesVisibleTo(viewer)];
      if (args.brin6 != null) {
        const brin6 = parseBrin6(args.brin6, 'brin6');
        conditions.push(inArray(mandate.brin6, schoolsCovering(brin6)));
      }
      if (args.activeOn != null) {
        const day = parseDay(args.activeOn, 'activeOn');
        conditions.push(lte(mandate.startDate, day), or(isNull(mandate.endDate), gte(mandate.endDate, day)));
      }
      const [total] = await db
        .select({ value: count() })
        .from(mandate)
        .where(and(...conditions));
      if (args.after != null) conditions.push(gt(mandate.id, parseUuid(decodeCursor(args.after), 'after', 'a cursor from an earlier page')));
      const rows = await db
        .select()
        .from(mandate)
        .where(and(...conditions))
        .orderBy(mandate.id)
        .limit(size + 1);
      return connectionOf(rows, size, (row) => row.id, total?.value ?? 0);
    },
    vendors: (_, __, { db }) => db.select().from(vendor).orderBy(vendor.name),
    branch: (_, args: { brin6: string }, { loaders }) => loaders.branch.load(parseBrin6(args.brin6, 'brin6')),
    location: (_, args: { code: string }, { loaders }) => loaders.location.load(parseLocationCode(args.code, 'code')),
    provider: async (_, args: { code: string; on?: string | null }, context) => {
      const code = parseProviderCode(args.code, 'code');
      return onDay('providers', code, await context.loaders.provider.load(code), args.on, context);
    },
    board: async (_, args: { code: string; on?: string | null }, context) => {
      const code = parseBoardCode(args.code, 'code');
      return onDay('boards', code, await context.loaders.board.load(code), args.on, context);
    },
    offeredProgramme: (_, args: { id: string }, { loaders }) => loaders.offeredProgramme.load(parseOfferedProgrammeId(args.id, 'id')),
    branches: async (_, args: { filter?: BranchFilter | null; first?: number | null; after?: string | null }, { db }) => {
      const size = pageSize(args.first);
      const filter = branchConditions(db, args.filter);
      const after = args.after == null ? [] : [gt(branch.brin6, decodeCursor(args.after))];
      const [rows, [total]] = await Promise.all([
        db
          .select()
          .from(branch)
          .where(and(...filter, ...after))
          .orderBy(branch.brin6)
          .limit(size + 1),
        db
          .select({ value: count() })
          .from(branch)
          .where(and(...filter)),
      ]);
      return connectionOf(rows, size, (row) => row.brin6, total?.value ?? 0);
    },
  },
  Board: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.board.load(ref.code),
    id: (row: Dated<BoardRow>) => datedId(row.code, row),
    asOn: (row: Dated<BoardRow>) => row.asOn ?? null,
    providers: async (row: Dated<BoardRow>, _, context) => {
      if (!row.asOn) return context.loaders.providersOfBoard.load(row.code);
      const codes = await providersEverOf(context.db, row.code);
      const rows = await Promise.all(codes.map(async (code) => onDay('providers', code, await context.loaders.provider.load(code), row.asOn, context)));
      return rows.filter((provider) => provider?.boardCode === row.code);
    },
    history: (row: BoardRow, _, context) => historyOf('boards', row.code, context),
  },
  Provider: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.provider.load(ref.code),
    id: (row: Dated<ProviderRow>) => datedId(row.code, row),
    asOn: (row: Dated<ProviderRow>) => row.asOn ?? null,
    maintainedBy: (row: ProviderRow) => row.maintainer,
    history: (row: ProviderRow, _, context) => historyOf('providers', row.code, context),
    board: async (row: Dated<ProviderRow>, _, context) => onDay('boards', row.boardCode, await context.loaders.board.load(row.boardCode), row.asOn, context),
    branches: (row: ProviderRow, _, { loaders }) => loaders.branchesOfProvider.load(row.code),
    offeredProgrammes: (row: ProviderRow, _, { loaders }) => loaders.programmesOfProvider.load(row.code),
  },
  Location: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.location.load(ref.code),
    id: (row: LocationRow) => row.code,
    address: (row: LocationRow) => addressOf(row),
    branches: (row: LocationRow, _, { loaders }) => loaders.branchesOfLocation.load(row.code),
    uses: (row: LocationRow, _, { loaders }) => loaders.usesOfLocation.load(row.code),
    maintainedBy: (row: LocationRow) => row.maintainer,
    history: (row: LocationRow, _, context) => historyOf('locations', row.code, context),
  },
  Branch: {
    __resolveReference: (ref: { brin6: string }, { loaders }) => loaders.branch.load(ref.brin6),
    id: (row: BranchRow) => row.brin6,
    provider: (row: BranchRow, _, { loaders }) => loaders.provider.load(row.providerCode),
    location: (row: BranchRow, _, { loaders }) => loaders.location.load(row.locationCode),
    address: async (row: BranchRow, _, { loaders }) => addressOf((await loaders.location.load(row.locationCode))!),
    isMainBranch: (row: BranchRow) => row.brin6.endsWith('00'),
    locationUses: (row: BranchRow, _, { loaders }) => loaders.usesOfBranch.load(row.brin6),
    history: (row: BranchRow, _, context) => historyOf('branches', row.brin6, context),
    // Its provider's programmes at its address, then at the locations it uses besides (README, "RIO changes by boards").
    offeredProgrammes: async (row: BranchRow, _, { loaders }) => {
      const uses = await loaders.usesOfBranch.load(row.brin6);
      const places = [...new Set([row.locationCode, ...uses.map((use) => use.locationCode)])];
      const programmes = await Promise.all(places.map((place) => loaders.programmesOfLocation.load(place)));
      return programmes.flat().filter((programme) => programme.providerCode === row.providerCode);
    },
  },
  OfferedProgramme: {
    __resolveReference: (ref: { id: string }, { loaders }) => loaders.offeredProgramme.load(ref.id),
    provider: (row: OfferedProgrammeRow, _, { loaders }) => loaders.provider.load(row.providerCode),
    location: (row: OfferedProgrammeRow, _, { loaders }) => loaders.location.load(row.locationCode),
    maintainedBy: (row: OfferedProgrammeRow) => row.maintainer,
    history: (row: OfferedProgrammeRow, _, context) => historyOf('programmes', row.id, context),
  },
};
