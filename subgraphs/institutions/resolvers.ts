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
import { DateScalar, parseDay, today } from '../../kernel/scalars.ts';
import { parseText, textKinds } from '../../kernel/text.ts';
import type { ResolverMap, SubgraphContext } from '../../kernel/subgraph.ts';
import type { InstitutionLoaders } from './loaders.ts';
import { endMandate, grantMandate, mandateInForce, mandatesVisibleTo, parseService, registerVendor, type GrantInput } from './osr.ts';
import {
  branch,
  location,
  mandate,
  provider,
  vendor,
  type BoardRow,
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

export const resolvers: ResolverMap<Context> = {
  Date: DateScalar,
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
    provider: (_, args: { code: string }, { loaders }) => loaders.provider.load(parseProviderCode(args.code, 'code')),
    board: (_, args: { code: string }, { loaders }) => loaders.board.load(parseBoardCode(args.code, 'code')),
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
    id: (row: BoardRow) => row.code,
    providers: (row: BoardRow, _, { loaders }) => loaders.providersOfBoard.load(row.code),
  },
  Provider: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.provider.load(ref.code),
    id: (row: ProviderRow) => row.code,
    board: (row: ProviderRow, _, { loaders }) => loaders.board.load(row.boardCode),
    branches: (row: ProviderRow, _, { loaders }) => loaders.branchesOfProvider.load(row.code),
    offeredProgrammes: (row: ProviderRow, _, { loaders }) => loaders.programmesOfProvider.load(row.code),
  },
  Location: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.location.load(ref.code),
    id: (row: LocationRow) => row.code,
    address: (row: LocationRow) => addressOf(row),
    branches: (row: LocationRow, _, { loaders }) => loaders.branchesOfLocation.load(row.code),
  },
  Branch: {
    __resolveReference: (ref: { brin6: string }, { loaders }) => loaders.branch.load(ref.brin6),
    id: (row: BranchRow) => row.brin6,
    provider: (row: BranchRow, _, { loaders }) => loaders.provider.load(row.providerCode),
    location: (row: BranchRow, _, { loaders }) => loaders.location.load(row.locationCode),
    address: async (row: BranchRow, _, { loaders }) => addressOf((await loaders.location.load(row.locationCode))!),
    isMainBranch: (row: BranchRow) => row.brin6.endsWith('00'),
    offeredProgrammes: async (row: BranchRow, _, { loaders }) =>
      (await loaders.programmesOfLocation.load(row.locationCode)).filter((programme) => programme.providerCode === row.providerCode),
  },
  OfferedProgramme: {
    __resolveReference: (ref: { id: string }, { loaders }) => loaders.offeredProgramme.load(ref.id),
    provider: (row: OfferedProgrammeRow, _, { loaders }) => loaders.provider.load(row.providerCode),
    location: (row: OfferedProgrammeRow, _, { loaders }) => loaders.location.load(row.locationCode),
  },
};
