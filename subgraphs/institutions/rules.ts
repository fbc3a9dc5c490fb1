import { RegisterError } from '../../kernel/errors.ts';
import { addressKeyOf, boardCodeFor, locationCodeFor, offeredProgrammeIdFor, providerCodeFor } from './codes.ts';
import type { SchoolFileRow } from './schoolFile.ts';
import type { BoardRow, BranchRow, LocationRow, OfferedProgrammeRow, ProviderRow } from './tables.ts';

/** Active on a day: begun (or begun before the register knew) and not yet ended. Dates are YYYY-MM-DD. */
export function isActiveOn(validity: { startDate: string | null; endDate: string | null }, day: string): boolean {
  return (validity.startDate === null || validity.startDate <= day) && (validity.endDate === null || validity.endDate >= day);
}

export function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

export interface RegisterState {
  boards: BoardRow[];
  providers: ProviderRow[];
  locations: LocationRow[];
  branches: BranchRow[];
  programmes: OfferedProgrammeRow[];
}

export type Entity = keyof RegisterState;
/**
 * What a change did. `differs`: the school file says otherwise about an object a board maintains,
 * recorded and not applied; `corrected`: the operator's correction (changes.ts).
 */
export type ChangeKind = 'created' | 'closed' | 'reopened' | 'renamed' | 'moved' | 'readdressed' | 'updated' | 'differs' | 'corrected';

export interface Change {
  entity: Entity;
  key: string;
  change: ChangeKind;
  before: unknown;
  after: unknown;
}

export interface ImportPlan {
  /** Rows to insert or update, per table, in an order that keeps references valid. */
  writes: RegisterState;
  changes: Change[];
  counts: Record<Entity, Partial<Record<ChangeKind, number>>> & { branchesMovedToAnotherBoard: number };
}

/**
 * Share of active branches a single file may close before the import refuses it: a monthly DUO file
 * closes a handful, so a file that closes many is far more likely truncated than real.
 */
export const massClosureShare = 0.1;

/**
 * Plans applying one school file to the register as changes (data README, "Monthly versions"):
 * new objects are created, objects missing from the file are closed with the day before the file's
 * reference date as their last day (never deleted), and returning ones are reopened. `initial` marks
 * the first load, whose objects existed before the register knew them: they get no start date.
 *
 * One source of truth (README, "RIO changes by boards"): the file creates and corrects every object no
 * board maintains. Once a board changed an object (its `maintainer` is set), the file no longer
 * writes it: where the file says otherwise (other fields, listed while ended, missing while open), the
 * plan records a `differs` change for the operator, who may hand the object back to the file.
 * Branches (BRIN6 recognitions) and boards stay the file's.
 */
export function planImport(state: RegisterState, rows: SchoolFileRow[], referenceDate: string, initial: boolean, allowMassClosure = false): ImportPlan {
  const span = { startDate: initial ? null : referenceDate, lastDay: dayBefore(referenceDate) };
  const desired = desiredState(state, rows);
  const plan: ImportPlan = {
    writes: { boards: [], providers: [], locations: [], branches: [], programmes: [] },
    changes: [],
    counts: { boards: {}, providers: {}, locations: {}, branches: {}, programmes: {}, branchesMovedToAnotherBoard: 0 },
  };
  reconcile(plan, 'boards', state.boards, desired.boards, (row) => row.code, [], span);
  reconcile(
    plan,
    'locations',
    state.locations,
    desired.locations,
    (row) => row.code,
    [
      ['street', 'updated'],
      ['houseNumber', 'updated'],
      ['city', 'updated'],
      ['municipalityCode', 'updated'],
      ['municipalityName', 'updated'],
    ],
    span,
  );
  reconcile(
    plan,
    'providers',
    state.providers,
    desired.providers,
    (row) => row.code,
    [
      ['boardCode', 'moved'],
      ['name', 'renamed'],
    ],
    span,
  );
  reconcile(
    plan,
    'branches',
    state.branches,
    desired.branches,
    (row) => row.brin6,
    [
      ['providerCode', 'moved'],
      ['locationCode', 'readdressed'],
      ['name', 'renamed'],
      ['denomination', 'updated'],
      ['phone', 'updated'],
      ['website', 'updated'],
    ],
    span,
  );
  reconcile(plan, 'programmes', state.programmes, desired.programmes, (row) => row.id, [], span);
  plan.counts.branchesMovedToAnotherBoard = countBoardMoves(state, desired);
  refuseMassClosure(state, plan, allowMassClosure);
  return plan;
}

type Desired = { [K in Entity]: Omit<RegisterState[K][number], 'startDate' | 'endDate' | 'maintainer' | 'nameInUse'>[] };

function desiredState(state: RegisterState, rows: SchoolFileRow[]): Desired {
  const byBrin6 = [...rows].sort((a, b) => a.brin6.localeCompare(b.brin6));
  const locations = desiredLocations(state.locations, byBrin6);
  const codeOfAddress = new Map(locations.map((row) => [row.addressKey, row.code]));
  const providers = new Map<string, Desired['providers'][number]>();
  for (const row of byBrin6) {
    // The provider takes its name and board from its main branch (BRIN6 ending in 00), else its first.
    const code = providerCodeFor(row.brin4);
    if (!providers.has(code) || row.brin6.endsWith('00')) {
      providers.set(code, { code, brin4: row.brin4, name: row.name, boardCode: boardCodeFor(row.competentAuthorityNumber) });
    }
  }
  const knownBoards = new Map(state.boards.map((board) => [board.code, board]));
  const boards = new Map<string, Desired['boards'][number]>();
  for (const row of byBrin6) {
    const code = boardCodeFor(row.competentAuthorityNumber);
    boards.set(code, { code, competentAuthorityNumber: row.competentAuthorityNumber, name: knownBoards.get(code)?.name ?? null });
  }
  const branches = byBrin6.map((row) => ({
    brin6: row.brin6,
    providerCode: providerCodeFor(row.brin4),
    locationCode: codeOfAddress.get(addressKeyOf(row.postcode, row.houseNumber))!,
    name: row.name,
    denomination: row.denomination,
    phone: row.phone,
    website: row.website,
  }));
  // A programme a board registered at a place is the one the file means there, whatever its id.
  const maintainedAt = new Map(
    state.programmes
      .filter((row) => row.maintainer !== null)
      .sort((a, b) => ((a.startDate ?? '') < (b.startDate ?? '') ? -1 : 1))
      .map((row) => [`${row.providerCode}/${row.locationCode}/${row.kind}`, row.id]),
  );
  const programmes = new Map<string, Desired['programmes'][number]>();
  for (const { providerCode, locationCode } of branches) {
    // The file lists basisonderwijs only; speciaal basisonderwijs is published in another DUO file.
    const id = maintainedAt.get(`${providerCode}/${locationCode}/BASISONDERWIJS`) ?? offeredProgrammeIdFor(providerCode, locationCode, 'BASISONDERWIJS');
    programmes.set(id, { id, providerCode, locationCode, kind: 'BASISONDERWIJS', name: 'Basisonderwijs' });
  }
  return { boards: [...boards.values()], locations, providers: [...providers.values()], branches, programmes: [...programmes.values()] };
}

function desiredLocations(known: LocationRow[], byBrin6: SchoolFileRow[]): Desired['locations'] {
  const byKey = new Map(known.map((row) => [row.addressKey, row]));
  const taken = new Set(known.map((row) => row.code));
  const first = new Map<string, SchoolFileRow>();
  for (const row of byBrin6) {
    const key = addressKeyOf(row.postcode, row.houseNumber);
    if (!first.has(key)) first.set(key, row);
  }
  return [...first.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([addressKey, row]) => {
      const existing = byKey.get(addressKey);
      const code = existing?.code ?? locationCodeFor(addressKey, (candidate) => taken.has(candidate));
      taken.add(code);
      return {
        code,
        addressKey,
        street: row.street,
        houseNumber: row.houseNumber,
        postcode: row.postcode,
        city: row.city,
        municipalityCode: row.municipalityCode,
        municipalityName: row.municipalityName ?? existing?.municipalityName ?? null,
      };
    });
}

type Validity = { startDate: string | null; endDate: string | null };

/** Whether a board maintains the row, so that the file only reports on it (`planImport`). */
const maintained = (row: object) => (row as { maintainer?: string | null }).maintainer != null;

function reconcile<K extends Entity>(
  plan: ImportPlan,
  entity: K,
  existing: RegisterState[K],
  desired: Desired[K],
  keyOf: (row: Desired[K][number]) => string,
  watched: [keyof Desired[K][number] & string, ChangeKind][],
  span: { startDate: string | null; lastDay: string },
): void {
  type Row = Desired[K][number] & Validity;
  const record = (key: string, change: ChangeKind, before: unknown, after: unknown) => {
    plan.changes.push({ entity, key, change, before, after });
    plan.counts[entity][change] = (plan.counts[entity][change] ?? 0) + 1;
  };
  const current = new Map((existing as Row[]).map((row) => [keyOf(row), row]));
  const writes = plan.writes[entity] as Row[];
  const wanted = new Set<string>();
  for (const next of desired as Desired[K][number][]) {
    const key = keyOf(next);
    wanted.add(key);
    const before = current.get(key);
    if (!before) {
      writes.push({ ...next, startDate: span.startDate, endDate: null } as Row);
      record(key, 'created', null, next);
      continue;
    }
    const changed = watched.filter(([field]) => before[field] !== next[field]);
    if (before.endDate === null && changed.length === 0) continue;
    if (maintained(before)) {
      const fields = changed.map(([field]) => field as string);
      const ended = before.endDate !== null ? { endDate: null } : {};
      record(key, 'differs', pick(before, before.endDate !== null ? [...fields, 'endDate'] : fields), { ...pick(next, fields), ...ended });
      // Written again as it is, so that its event tells readers of its history (the gateway's cache) that it changed.
      writes.push(before);
      continue;
    }
    writes.push({ ...before, ...next, startDate: before.startDate, endDate: null } as Row);
    if (before.endDate !== null) record(key, 'reopened', { endDate: before.endDate }, { endDate: null });
    for (const change of new Set(changed.map(([, kind]) => kind))) {
      const fields = changed.filter(([, kind]) => kind === change).map(([field]) => field);
      record(key, change, pick(before, fields), pick(next, fields));
    }
  }
  for (const [key, before] of current) {
    if (wanted.has(key) || before.endDate !== null) continue;
    if (maintained(before)) {
      record(key, 'differs', { endDate: null }, { endDate: span.lastDay });
      writes.push(before);
      continue;
    }
    writes.push({ ...before, endDate: span.lastDay });
    record(key, 'closed', { endDate: null }, { endDate: span.lastDay });
  }
}

function pick(row: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, row[field]]));
}

function countBoardMoves(state: RegisterState, desired: Desired): number {
  const boardBefore = new Map(state.providers.map((row) => [row.code, row.boardCode]));
  const boardAfter = new Map(desired.providers.map((row) => [row.code, row.boardCode]));
  for (const row of state.providers) if (maintained(row)) boardAfter.set(row.code, row.boardCode);
  const providerBefore = new Map(state.branches.filter((row) => row.endDate === null).map((row) => [row.brin6, row.providerCode]));
  return desired.branches.filter((row) => {
    const previous = providerBefore.get(row.brin6);
    return previous !== undefined && boardBefore.get(previous) !== boardAfter.get(row.providerCode);
  }).length;
}

function refuseMassClosure(state: RegisterState, plan: ImportPlan, allowMassClosure: boolean): void {
  const active = state.branches.filter((row) => row.endDate === null).length;
  const closed = plan.counts.branches.closed ?? 0;
  if (!allowMassClosure && active > 0 && closed > active * massClosureShare) {
    throw new RegisterError(
      'CONFLICT',
      `The file would close ${closed} of ${active} active branches; a monthly file closes a few. Nothing was imported. If this is right, import again allowing mass closure.`,
      'file',
    );
  }
}
