import { describe, expect, it } from 'vitest';
import { RegisterError } from '../../kernel/errors.ts';
import { addressKeyOf, offeredProgrammeIdFor } from './codes.ts';
import { dayBefore, isActiveOn, planImport, type ImportPlan, type RegisterState } from './rules.ts';
import type { SchoolFileRow } from './schoolFile.ts';

const empty: RegisterState = { boards: [], providers: [], locations: [], branches: [], programmes: [] };

function schoolRow(brin6: string, competentAuthorityNumber: string, postcode: string, houseNumber: string, more: Partial<SchoolFileRow> = {}): SchoolFileRow {
  return {
    line: 0,
    competentAuthorityNumber,
    brin4: brin6.slice(0, 4),
    brin6,
    name: `School ${brin6}`,
    street: 'Schoolstraat',
    houseNumber,
    postcode,
    city: 'EMMEN',
    municipalityCode: '0114',
    municipalityName: 'EMMEN',
    denomination: 'Openbaar',
    phone: '0591123456',
    website: `www.${brin6.toLowerCase()}.nl`,
    ...more,
  };
}

// Two boards, two BRIN4s, four branches; 16AH01 and 32JK01 share one address, so one location.
const board42830 = '042B830';
const board20091 = '020B091';
const provider16AH = '010A823'; // 16 × 676 + 7
const provider32JK = '021A876'; // 32 × 676 + 9 × 26 + 10
const file: SchoolFileRow[] = [
  schoolRow('16AH00', '42830', '7822HG', '1'),
  schoolRow('16AH01', '42830', '7822HG', '2'),
  schoolRow('32JK00', '20091', '9306TC', '13'),
  schoolRow('32JK01', '20091', '7822HG', '2'),
];
const addressOf1 = addressKeyOf('7822HG', '1');
const addressOf2 = addressKeyOf('7822HG', '2');
const addressOf13 = addressKeyOf('9306TC', '13');

/** The file with one branch's row changed. */
const changed = (brin6: string, more: Partial<SchoolFileRow>) => file.map((row) => (row.brin6 === brin6 ? { ...row, ...more } : row));
const without = (...brin6s: string[]) => file.filter((row) => !brin6s.includes(row.brin6));

/** What the import does with a plan: writes each row over the row with the same key. */
function apply(state: RegisterState, plan: ImportPlan): RegisterState {
  const upsert = <T>(rows: T[], writes: T[], keyOf: (row: T) => string) => [...new Map([...rows, ...writes].map((row) => [keyOf(row), row])).values()];
  return {
    boards: upsert(state.boards, plan.writes.boards, (row) => row.code),
    providers: upsert(state.providers, plan.writes.providers, (row) => row.code),
    locations: upsert(state.locations, plan.writes.locations, (row) => row.code),
    branches: upsert(state.branches, plan.writes.branches, (row) => row.brin6),
    programmes: upsert(state.programmes, plan.writes.programmes, (row) => row.id),
  };
}

const initialPlan = planImport(empty, file, '2025-01-01', true);
const loaded = apply(empty, initialPlan);
const locationCode = (state: RegisterState, addressKey: string) => {
  const location = state.locations.find((row) => row.addressKey === addressKey);
  if (!location) throw new Error(`no location at ${addressKey}`);
  return location.code;
};
const location1 = locationCode(loaded, addressOf1);
const location2 = locationCode(loaded, addressOf2);
const location13 = locationCode(loaded, addressOf13);
const programme = (providerCode: string, location: string) => offeredProgrammeIdFor(providerCode, location, 'BASISONDERWIJS');

/** The changes of a plan as `entity key change` lines, sorted, for compact comparison. */
const summary = (plan: ImportPlan) => plan.changes.map(({ entity, key, change }) => `${entity} ${key} ${change}`).sort();

const noCounts = { boards: {}, providers: {}, locations: {}, branches: {}, programmes: {}, branchesMovedToAnotherBoard: 0 };

describe('planImport, first load', () => {
  it('creates every board, provider, location, branch and programme the file names', () => {
    expect(initialPlan.counts).toEqual({
      boards: { created: 2 },
      providers: { created: 2 },
      locations: { created: 3 },
      branches: { created: 4 },
      programmes: { created: 4 },
      branchesMovedToAnotherBoard: 0,
    });
    expect(initialPlan.changes.every((change) => change.change === 'created' && change.before === null)).toBe(true);
  });

  it('gives everything no start date and no end date: it existed before the register knew it', () => {
    const all = Object.values(initialPlan.writes).flat();

    expect(all).toHaveLength(15);
    expect(all.filter((row) => row.startDate !== null || row.endDate !== null)).toEqual([]);
  });

  it('links branches to their provider and location, providers to their board', () => {
    expect(loaded.boards).toEqual([
      { code: board42830, competentAuthorityNumber: '42830', name: null, startDate: null, endDate: null },
      { code: board20091, competentAuthorityNumber: '20091', name: null, startDate: null, endDate: null },
    ]);
    expect(loaded.providers.map(({ code, brin4, name, boardCode }) => ({ code, brin4, name, boardCode }))).toEqual([
      { code: provider16AH, brin4: '16AH', name: 'School 16AH00', boardCode: board42830 },
      { code: provider32JK, brin4: '32JK', name: 'School 32JK00', boardCode: board20091 },
    ]);
    expect(loaded.branches.map(({ brin6, providerCode, locationCode }) => [brin6, providerCode, locationCode])).toEqual([
      ['16AH00', provider16AH, location1],
      ['16AH01', provider16AH, location2],
      ['32JK00', provider32JK, location13],
      ['32JK01', provider32JK, location2],
    ]);
  });

  it('gives one location to the address two boards share, keeping its address', () => {
    expect(new Set([location1, location2, location13]).size).toBe(3);
    expect(loaded.locations.find((row) => row.code === location2)).toMatchObject({
      addressKey: addressOf2,
      street: 'Schoolstraat',
      houseNumber: '2',
      postcode: '7822HG',
      city: 'EMMEN',
      municipalityCode: '0114',
      municipalityName: 'EMMEN',
    });
  });

  it('offers basisonderwijs once per provider and location', () => {
    expect(
      loaded.programmes
        .map(({ id, providerCode, locationCode, kind, name }) => ({ id, providerCode, locationCode, kind, name }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(
      [
        [provider16AH, location1],
        [provider16AH, location2],
        [provider32JK, location13],
        [provider32JK, location2],
      ]
        .map(([providerCode, location]) => ({
          id: programme(providerCode!, location!),
          providerCode,
          locationCode: location,
          kind: 'BASISONDERWIJS',
          name: 'Basisonderwijs',
        }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('plans the same whatever the order of the rows', () => {
    expect(planImport(empty, [...file].reverse(), '2025-01-01', true)).toEqual(initialPlan);
  });
});

describe('planImport, a later file', () => {
  it('changes nothing when the file lists the same branches', () => {
    const plan = planImport(loaded, file, '2025-03-01', false);

    expect(plan.changes).toEqual([]);
    expect(plan.writes).toEqual(empty);
    expect(plan.counts).toEqual(noCounts);
  });

  it('closes a branch the new file no longer lists on the day before the reference date', () => {
    const plan = planImport(loaded, without('16AH01'), '2025-03-01', false, true);

    expect(plan.changes).toContainEqual({ entity: 'branches', key: '16AH01', change: 'closed', before: { endDate: null }, after: { endDate: '2025-02-28' } });
    const closed = plan.writes.branches.find((row) => row.brin6 === '16AH01');
    expect(closed).toEqual({ ...loaded.branches.find((row) => row.brin6 === '16AH01'), endDate: '2025-02-28' });
  });

  it('keeps the provider and the shared location of a closed branch while other branches use them, closing only its programme', () => {
    const plan = planImport(loaded, without('16AH01'), '2025-03-01', false, true);

    expect(summary(plan)).toEqual(['branches 16AH01 closed', `programmes ${programme(provider16AH, location2)} closed`]);
  });

  it('closes the provider, board and location no active branch uses any more', () => {
    const plan = planImport(loaded, without('32JK00', '32JK01'), '2025-03-01', false, true);

    expect(summary(plan)).toEqual(
      [
        `boards ${board20091} closed`,
        'branches 32JK00 closed',
        'branches 32JK01 closed',
        `locations ${location13} closed`,
        `programmes ${programme(provider32JK, location13)} closed`,
        `programmes ${programme(provider32JK, location2)} closed`,
        `providers ${provider32JK} closed`,
      ].sort(),
    );
    expect(
      Object.values(plan.writes)
        .flat()
        .every((row) => row.endDate === '2025-02-28'),
    ).toBe(true);
  });

  it('creates a new branch, its location and its programme from the reference date', () => {
    const plan = planImport(loaded, [...file, schoolRow('16AH02', '42830', '7822HG', '3')], '2025-03-01', false);
    const location3 = plan.writes.locations[0]?.code;

    expect(summary(plan)).toEqual(
      [`branches 16AH02 created`, `locations ${location3} created`, `programmes ${programme(provider16AH, location3!)} created`].sort(),
    );
    expect(plan.writes.branches).toEqual([
      expect.objectContaining({ brin6: '16AH02', providerCode: provider16AH, locationCode: location3, startDate: '2025-03-01', endDate: null }),
    ]);
    expect(plan.writes.locations).toEqual([expect.objectContaining({ addressKey: addressKeyOf('7822HG', '3'), startDate: '2025-03-01', endDate: null })]);
    expect([location1, location2, location13]).not.toContain(location3);
  });

  it('records a renamed branch as one renamed change with the names before and after', () => {
    const plan = planImport(loaded, changed('16AH01', { name: 'De Regenboog' }), '2025-03-01', false);

    expect(plan.changes).toEqual([
      { entity: 'branches', key: '16AH01', change: 'renamed', before: { name: 'School 16AH01' }, after: { name: 'De Regenboog' } },
    ]);
    expect(plan.writes.branches).toEqual([expect.objectContaining({ brin6: '16AH01', name: 'De Regenboog', startDate: null, endDate: null })]);
  });

  it('renames the provider with its main branch', () => {
    const plan = planImport(loaded, changed('16AH00', { name: 'De Regenboog' }), '2025-03-01', false);

    expect(summary(plan)).toEqual(['branches 16AH00 renamed', `providers ${provider16AH} renamed`]);
  });

  it('records a changed phone number and website as one update', () => {
    const plan = planImport(loaded, changed('32JK00', { phone: null, website: 'www.nieuw.nl' }), '2025-03-01', false);

    expect(plan.changes).toEqual([
      {
        entity: 'branches',
        key: '32JK00',
        change: 'updated',
        before: { phone: '0591123456', website: 'www.32jk00.nl' },
        after: { phone: null, website: 'www.nieuw.nl' },
      },
    ]);
  });

  it('moves a provider whose BRIN4 the file puts under another board, counting each of its branches', () => {
    const moved = file.map((row) => (row.brin4 === '16AH' ? { ...row, competentAuthorityNumber: '20091' } : row));

    const plan = planImport(loaded, moved, '2025-03-01', false);

    expect(plan.changes).toContainEqual({
      entity: 'providers',
      key: provider16AH,
      change: 'moved',
      before: { boardCode: board42830 },
      after: { boardCode: board20091 },
    });
    expect(plan.counts.branchesMovedToAnotherBoard).toBe(2);
    expect(plan.counts.providers).toEqual({ moved: 1 });
    expect(plan.counts.branches).toEqual({});
    expect(summary(plan)).toEqual([`boards ${board42830} closed`, `providers ${provider16AH} moved`]);
  });

  it('creates the board a provider moves to when it is new', () => {
    const moved = file.map((row) => (row.brin4 === '32JK' ? { ...row, competentAuthorityNumber: '12345' } : row));

    const plan = planImport(loaded, moved, '2025-03-01', false);

    expect(summary(plan)).toEqual(['boards 012B345 created', `boards ${board20091} closed`, `providers ${provider32JK} moved`]);
    expect(plan.writes.boards).toContainEqual({ code: '012B345', competentAuthorityNumber: '12345', name: null, startDate: '2025-03-01', endDate: null });
    expect(plan.counts.branchesMovedToAnotherBoard).toBe(2);
  });

  it('readdresses a branch that moves to another address, with a new location', () => {
    const plan = planImport(loaded, changed('16AH00', { street: 'Nieuweweg', houseNumber: '5', postcode: '7811AB' }), '2025-03-01', false);
    const newLocation = locationCode(apply(loaded, plan), addressKeyOf('7811AB', '5'));

    expect(plan.changes).toContainEqual({
      entity: 'branches',
      key: '16AH00',
      change: 'readdressed',
      before: { locationCode: location1 },
      after: { locationCode: newLocation },
    });
    expect(summary(plan)).toEqual(
      [
        'branches 16AH00 readdressed',
        `locations ${newLocation} created`,
        `locations ${location1} closed`,
        `programmes ${programme(provider16AH, newLocation)} created`,
        `programmes ${programme(provider16AH, location1)} closed`,
      ].sort(),
    );
    expect(plan.writes.locations).toContainEqual(
      expect.objectContaining({ code: newLocation, street: 'Nieuweweg', postcode: '7811AB', startDate: '2025-03-01' }),
    );
  });

  it('updates a location whose street is written differently at the same address', () => {
    const plan = planImport(loaded, changed('32JK00', { street: 'Melkweg' }), '2025-03-01', false);

    expect(plan.changes).toEqual([
      { entity: 'locations', key: location13, change: 'updated', before: { street: 'Schoolstraat' }, after: { street: 'Melkweg' } },
    ]);
  });

  it('keeps a known municipality name when the file leaves it blank', () => {
    expect(planImport(loaded, changed('32JK00', { municipalityName: null }), '2025-03-01', false).changes).toEqual([]);
  });

  it('reopens a branch that returns after it was closed, keeping its start date', () => {
    const closed = apply(loaded, planImport(loaded, without('16AH01'), '2025-03-01', false, true));

    const plan = planImport(closed, file, '2025-04-01', false);

    expect(summary(plan)).toEqual(['branches 16AH01 reopened', `programmes ${programme(provider16AH, location2)} reopened`]);
    expect(plan.changes).toContainEqual({ entity: 'branches', key: '16AH01', change: 'reopened', before: { endDate: '2025-02-28' }, after: { endDate: null } });
    expect(plan.writes.branches).toEqual([expect.objectContaining({ brin6: '16AH01', startDate: null, endDate: null })]);
  });

  it('leaves a closed branch closed when the next file still lacks it', () => {
    const closed = apply(loaded, planImport(loaded, without('16AH01'), '2025-03-01', false, true));

    expect(planImport(closed, without('16AH01'), '2025-04-01', false).changes).toEqual([]);
  });
});

describe('planImport, mass closure', () => {
  it('refuses a file that closes more than a tenth of the active branches', () => {
    const plan = () => planImport(loaded, without('16AH01'), '2025-03-01', false);

    expect(plan).toThrow(RegisterError);
    expect(plan).toThrow(expect.objectContaining({ code: 'CONFLICT', field: 'file', message: expect.stringContaining('would close 1 of 4 active branches') }));
  });

  it('applies such a file when mass closure is allowed', () => {
    expect(planImport(loaded, without('16AH00', '16AH01', '32JK00'), '2025-03-01', false, true).counts.branches).toEqual({ closed: 3 });
  });

  describe('with ten active branches', () => {
    const ten = Array.from({ length: 10 }, (_, n) => schoolRow(`${String(10 + n)}AA00`, '42830', '7822HG', String(n + 1)));
    const state = apply(empty, planImport(empty, ten, '2025-01-01', true));

    it('closes one, exactly a tenth', () => {
      expect(planImport(state, ten.slice(1), '2025-03-01', false).counts.branches).toEqual({ closed: 1 });
    });

    it('refuses to close two', () => {
      expect(() => planImport(state, ten.slice(2), '2025-03-01', false)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    });
  });
});

describe('isActiveOn', () => {
  it.each([
    [null, null, '2025-03-01', true],
    [null, '2025-02-28', '2025-02-28', true],
    [null, '2025-02-28', '2025-03-01', false],
    ['2025-03-01', null, '2025-02-28', false],
    ['2025-03-01', null, '2025-03-01', true],
    ['2025-03-01', '2025-03-01', '2025-03-01', true],
    ['2025-01-01', '2025-02-28', '2024-12-31', false],
    ['2025-01-01', '2025-02-28', '2025-02-01', true],
  ])('from %s to %s is active on %s: %s', (startDate, endDate, day, active) => {
    expect(isActiveOn({ startDate, endDate }, day)).toBe(active);
  });

  it('counts a closed branch as active on its last day and not on the reference date', () => {
    const closed = planImport(loaded, without('16AH01'), '2025-03-01', false, true).writes.branches[0]!;

    expect(isActiveOn(closed, '2025-02-28')).toBe(true);
    expect(isActiveOn(closed, '2025-03-01')).toBe(false);
  });
});

describe('dayBefore', () => {
  it.each([
    ['2025-03-02', '2025-03-01'],
    ['2025-03-01', '2025-02-28'],
    ['2024-03-01', '2024-02-29'],
    ['2000-03-01', '2000-02-29'],
    ['2100-03-01', '2100-02-28'],
    ['2025-01-01', '2024-12-31'],
    ['2025-08-01', '2025-07-31'],
    ['2025-03-31', '2025-03-30'],
    ['2025-10-27', '2025-10-26'],
  ])('is %s → %s', (day, before) => {
    expect(dayBefore(day)).toBe(before);
  });
});
