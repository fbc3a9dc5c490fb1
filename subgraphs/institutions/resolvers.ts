import { and, count, eq, gt, gte, ilike, inArray, isNull, lte, or, type SQL } from 'drizzle-orm';
import { parseBoardCode, parseBrin6, parseLocationCode, parseMunicipalityCode, parseOfferedProgrammeId, parseProviderCode } from '../../kernel/ids/index.ts';
import { connectionOf, decodeCursor, pageSize } from '../../kernel/pages.ts';
import { DateScalar, parseDay } from '../../kernel/scalars.ts';
import type { ResolverMap, SubgraphContext } from '../../kernel/subgraph.ts';
import type { InstitutionLoaders } from './loaders.ts';
import { branch, location, provider, type BoardRow, type BranchRow, type LocationRow, type OfferedProgrammeRow, type ProviderRow } from './tables.ts';

type Context = SubgraphContext<InstitutionLoaders>;

interface BranchFilter {
  municipalityCode?: string | null;
  boardCode?: string | null;
  name?: string | null;
  activeOn?: string | null;
}

function addressOf(row: LocationRow) {
  return {
    street: row.street,
    houseNumber: row.houseNumber,
    postcode: row.postcode,
    city: row.city,
    municipality: { code: row.municipalityCode, name: row.municipalityName },
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
  if (filter.name != null && filter.name.trim() !== '') {
    conditions.push(ilike(branch.name, `%${filter.name.trim().replace(/[\\%_]/g, (char) => `\\${char}`)}%`));
  }
  if (filter.activeOn != null) {
    const day = parseDay(filter.activeOn, 'filter.activeOn');
    conditions.push(or(isNull(branch.startDate), lte(branch.startDate, day))!, or(isNull(branch.endDate), gte(branch.endDate, day))!);
  }
  return conditions;
}

export const resolvers: ResolverMap<Context> = {
  Date: DateScalar,
  Query: {
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
        db.select().from(branch).where(and(...filter, ...after)).orderBy(branch.brin6).limit(size + 1),
        db.select({ value: count() }).from(branch).where(and(...filter)),
      ]);
      return connectionOf(rows, size, (row) => row.brin6, total?.value ?? 0);
    },
  },
  Board: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.board.load(ref.code),
    providers: (row: BoardRow, _, { loaders }) => loaders.providersOfBoard.load(row.code),
  },
  Provider: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.provider.load(ref.code),
    board: (row: ProviderRow, _, { loaders }) => loaders.board.load(row.boardCode),
    branches: (row: ProviderRow, _, { loaders }) => loaders.branchesOfProvider.load(row.code),
    offeredProgrammes: (row: ProviderRow, _, { loaders }) => loaders.programmesOfProvider.load(row.code),
  },
  Location: {
    __resolveReference: (ref: { code: string }, { loaders }) => loaders.location.load(ref.code),
    address: (row: LocationRow) => addressOf(row),
    branches: (row: LocationRow, _, { loaders }) => loaders.branchesOfLocation.load(row.code),
  },
  Branch: {
    __resolveReference: (ref: { brin6: string }, { loaders }) => loaders.branch.load(ref.brin6),
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
