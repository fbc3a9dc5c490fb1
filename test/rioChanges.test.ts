import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import { today } from '../kernel/scalars.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';
import { bundledSchoolFile, importSchoolFile } from '../subgraphs/institutions/import.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { enrollmentInput, eventually, schoolAt, startTestSystem, type GraphQLResponse, type School, type TestSystem } from './harness.ts';

/*
 * RIO kept by boards, through the gateway (README, "RIO changes by boards"): a board or a vendor it
 * mandated for RIO opens a location with a programme, the learners register and funding follow at once;
 * another board and a vendor without a RIO mandate are refused; every change is in the history.
 */

const board = '042B830'; // 16AH's board
// The board of 03WU, another school's (set before the cases).
const otherBoard = { role: 'BOARD' as const, board: '' };
const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

describe('a board keeps its part of RIO through the gateway', () => {
  let system: TestSystem;
  let school: School;
  let boardToken: string;
  let serial = 0;
  const countDate = currentCountDate(today());

  beforeAll(async () => {
    system = await startTestSystem();
    school = await schoolAt(system, '16AH00');
    boardToken = await system.token({ role: 'BOARD', board });
    const others = await system.query<{ branch: { provider: { board: { code: string } } } }>('{ branch(brin6: "03WU00") { provider { board { code } } } }');
    otherBoard.board = others.data!.branch.provider.board.code;
  });
  afterAll(() => system?.close());

  const mutate = <Data>(name: string, input: Record<string, unknown>, token: string, selection: string) =>
    system.query<Data>(`mutation($input: ${name[0]!.toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) ${selection} }`, {
      token,
      variables: { input: { documentId: `rio-${++serial}`, ...input } },
    });

  const address = (houseNumber: string) => ({ street: 'Nieuwe Schoolstraat', houseNumber, postcode: '7822 HH', city: 'Emmen', municipalityCode: '0114' });

  async function openLocation(token: string, houseNumber: string, startDate = '2024-01-01') {
    const opened = await mutate<{ registerLocation: { id: string; location: { code: string; maintainedBy: string }; branch: { brin6: string } } }>(
      'registerLocation',
      { brin6: '16AH00', address: address(houseNumber), startDate },
      token,
      '{ id startDate endDate branch { brin6 } location { code maintainedBy address { postcode houseNumber } } }',
    );
    expect(opened.errors).toBeUndefined();
    return opened.data!.registerLocation;
  }

  async function offer(token: string, locationCode: string, startDate = '2024-01-01') {
    const offered = await mutate<{ registerOfferedProgramme: { id: string; kind: string; name: string } }>(
      'registerOfferedProgramme',
      { providerCode: school.providerCode, locationCode, kind: 'BASISONDERWIJS', startDate },
      token,
      '{ id kind name startDate endDate maintainedBy provider { code } location { code } }',
    );
    expect(offered.errors).toBeUndefined();
    return offered.data!.registerOfferedProgramme;
  }

  const enroll = (at: School, overrides: Record<string, unknown> = {}) =>
    system.query<{ enrollLearner: { enrollment: { id: string; branch: { brin6: string }; fundingStatus: { outcome: string; reasons: string[] } | null } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id branch { brin6 } fundingStatus { outcome reasons } } } }',
      { token: at.token, variables: { input: enrollmentInput(at, 90_000 + ++serial, overrides) } },
    );

  const statusOf = async (id: string) =>
    (
      await system.query<{ enrollment: { fundingStatus: { outcome: string; reasons: string[] } | null } }>(
        'query($id: ID!) { enrollment(id: $id) { fundingStatus { outcome reasons } } }',
        { token: school.token, variables: { id } },
      )
    ).data!.enrollment.fundingStatus;

  it('opens a location with a programme, where a mandated vendor enrolls the same minute, fundable as anywhere; ending the programme refuses later starts and changes the status', async () => {
    const use = await openLocation(boardToken, '1');
    expect(use.location.code).toMatch(/^\d{3}X\d{3}$/);
    expect(use.location.maintainedBy).toBe(`board/${board}`);
    const programme = await offer(boardToken, use.location.code);
    expect(programme.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(programme).toMatchObject({ kind: 'BASISONDERWIJS', name: 'Basisonderwijs' });

    // What a vendor's system reads to enroll there: the vestiging lists the location and the programme.
    const listed = await system.query<{ branch: { locationUses: { location: { code: string } }[]; offeredProgrammes: { id: string }[] } }>(
      '{ branch(brin6: "16AH00") { locationUses { location { code } } offeredProgrammes { id } } }',
      { token: school.token },
    );
    expect(listed.data!.branch.locationUses.map((each) => each.location.code)).toContain(use.location.code);
    expect(listed.data!.branch.offeredProgrammes.map((each) => each.id)).toEqual(expect.arrayContaining([school.offeredProgrammeId, programme.id]));
    const there = { ...school, locationCode: use.location.code, offeredProgrammeId: programme.id };
    // At once: the learners register takes in what RIO committed before it checks the references.
    const enrolled = await system.query<{
      enrollLearner: { enrollment: { id: string; branch: { brin6: string }; fundingStatus: { outcome: string; reasons: string[] } | null } };
    }>('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id branch { brin6 } fundingStatus { outcome reasons } } } }', {
      token: there.token,
      variables: { input: enrollmentInput(there, 91_000) },
    });
    expect(enrolled.errors).toBeUndefined();
    const atHome = await enroll(school);
    expect(enrolled.data!.enrollLearner.enrollment.branch.brin6).toBe('16AH00');
    expect(enrolled.data!.enrollLearner.enrollment.fundingStatus).toEqual({ outcome: 'FUNDABLE', reasons: [] });
    expect(enrolled.data!.enrollLearner.enrollment.fundingStatus).toEqual(atHome.data!.enrollLearner.enrollment.fundingStatus);

    const lastDay = addDays(countDate, -1);
    const ended = await mutate<{ endOfferedProgramme: { endDate: string } }>(
      'endOfferedProgramme',
      { offeredProgrammeId: programme.id, endDate: lastDay },
      boardToken,
      '{ endDate }',
    );
    expect(ended.data?.endOfferedProgramme.endDate).toBe(lastDay);
    await eventually('funding to stop counting the enrollment at the ended programme', async () =>
      expect((await statusOf(enrolled.data!.enrollLearner.enrollment.id))?.outcome).toBe('NOT_FUNDABLE'),
    );
    const late = await enroll(there, { startDate: addDays(lastDay, 1) });
    expect({ code: codeOf(late), field: late.errors?.[0]?.extensions?.field }).toEqual({ code: 'BAD_USER_INPUT', field: 'offeredProgrammeId' });
    expect(late.errors![0]!.message).toMatch(/not active/);
    // The enrollment at the school's own location is not touched.
    expect((await statusOf(atHome.data!.enrollLearner.enrollment.id))?.outcome).toBe('FUNDABLE');
  });

  it('lets a vendor mandated for RIO act for its school, and refuses another board and a vendor without a RIO mandate', async () => {
    const vendorToken = school.token;
    const use = await openLocation(vendorToken, '2');
    const history = await system.query<{ location: { history: { kind: string; by: string; vendor: { oin: string } | null }[] } }>(
      'query($code: ID!) { location(code: $code) { history { kind by vendor { oin } } } }',
      { variables: { code: use.location.code }, token: boardToken },
    );
    expect(history.data!.location.history).toEqual([{ kind: 'CREATED', by: `board/${board}`, vendor: { oin: demoVendor.oin } }]);
    // Which vendor acted is the OSR's detail: another board does not see it.
    const seenByOther = await system.query<{ location: { history: { vendor: unknown }[] } }>(
      'query($code: ID!) { location(code: $code) { history { vendor { oin } } } }',
      {
        variables: { code: use.location.code },
        token: await system.token(otherBoard),
      },
    );
    expect(seenByOther.data!.location.history).toEqual([{ vendor: null }]);

    const other = await system.token(otherBoard);
    const withoutRio = '00000003273255280000';
    await system.query('mutation { registerVendor(input: { documentId: "v", oin: "00000003273255280000", name: "Alleen ROD B.V." }) { oin } }');
    const granted = await system.query(
      `mutation { grantMandate(input: { documentId: "rod-only", brin6: "16AH00", service: ROD_PO, vendorOin: "${withoutRio}", startDate: "2020-01-01" }) { id } }`,
      { token: boardToken },
    );
    expect(granted.errors).toBeUndefined();
    const unmandated = await system.token({ role: 'VENDOR', vendorOin: withoutRio, school: '16AH00' });
    for (const token of [other, unmandated]) {
      expect(codeOf(await mutate('registerLocation', { brin6: '16AH00', address: address('3'), startDate: '2024-01-01' }, token, '{ id }'))).toBe('FORBIDDEN');
      expect(
        codeOf(
          await mutate(
            'registerOfferedProgramme',
            { providerCode: school.providerCode, locationCode: use.location.code, kind: 'BASISONDERWIJS', startDate: '2024-01-01' },
            token,
            '{ id }',
          ),
        ),
      ).toBe('FORBIDDEN');
      expect(codeOf(await mutate('endOfferedProgramme', { offeredProgrammeId: school.offeredProgrammeId, endDate: '2030-01-01' }, token, '{ id }'))).toBe(
        'FORBIDDEN',
      );
      expect(codeOf(await mutate('endLocation', { brin6: '16AH00', locationCode: use.location.code, endDate: '2030-01-01' }, token, '{ id }'))).toBe(
        'FORBIDDEN',
      );
      expect(codeOf(await mutate('renameProvider', { providerCode: school.providerCode, name: 'Overgenomen', startDate: today() }, token, '{ id }'))).toBe(
        'FORBIDDEN',
      );
      expect(
        codeOf(await mutate('linkProviderToBoard', { providerCode: school.providerCode, boardCode: otherBoard.board, startDate: today() }, token, '{ id }')),
      ).toBe('FORBIDDEN');
    }
    // A provider's names are its whole school's: not for a vendor acting for one vestiging, but with a whole-school token and mandate.
    expect(
      codeOf(await mutate('renameProvider', { providerCode: school.providerCode, name: 'Per vestiging', startDate: today() }, vendorToken, '{ id }')),
    ).toBe('FORBIDDEN');
    const wholeSchool = await system.query(
      `mutation { grantMandate(input: { documentId: "rio-whole", brin4: "16AH", service: RIO, vendorOin: "${demoVendor.oin}", startDate: "2020-01-01" }) { id } }`,
      { token: boardToken },
    );
    expect(wholeSchool.errors).toBeUndefined();
    const schoolToken = await system.token({ role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH' });
    const renamed = await mutate<{ renameProvider: { nameInUse: string } }>(
      'renameProvider',
      { providerCode: school.providerCode, name: "Openbare Basisschool 't Eenspan", nameInUse: "'t Eenspan", startDate: today() },
      schoolToken,
      '{ nameInUse }',
    );
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data?.renameProvider.nameInUse).toBe("'t Eenspan");
    // Nothing of the refused changes landed: the location has its one use, and the provider its board and name.
    const after = await system.query<{ location: { uses: unknown[] }; provider: { name: string; board: { code: string } } }>(
      'query($code: ID!, $provider: ID!) { location(code: $code) { uses { id } } provider(code: $provider) { name board { code } } }',
      { variables: { code: use.location.code, provider: school.providerCode } },
    );
    expect(after.data!.location.uses).toHaveLength(1);
    expect(after.data!.provider.board.code).toBe(board);
    expect(after.data!.provider.name).toBe("Openbare Basisschool 't Eenspan");
  });

  it('refuses a change that does not fit, naming the field, and changes nothing', async () => {
    const use = await openLocation(boardToken, '4', '2025-01-01');
    const home = (
      await system.query<{ location: { address: Record<string, unknown> & { municipality: { code: string } } } }>(
        'query($code: ID!) { location(code: $code) { address { street houseNumber postcode city municipality { code } } } }',
        { variables: { code: school.locationCode } },
      )
    ).data!.location.address;
    const { municipality, ...homeAddress } = home;
    const elsewhere = (await schoolAt(system, '03WU00')).locationCode;
    const cases: [string, Record<string, unknown>, string, string][] = [
      [
        'registerLocation',
        { brin6: '16AH00', address: { ...address('5'), postcode: '0822 HH' }, startDate: '2025-01-01' },
        'BAD_USER_INPUT',
        'address.postcode',
      ],
      [
        'registerLocation',
        { brin6: '16AH00', address: { ...address('5'), houseNumber: 'zes' }, startDate: '2025-01-01' },
        'BAD_USER_INPUT',
        'address.houseNumber',
      ],
      ['registerLocation', { brin6: '16AH00', address: address('5'), startDate: '2025-01-01', endDate: '2024-12-31' }, 'BAD_USER_INPUT', 'endDate'],
      ['registerLocation', { brin6: '16AH00', address: address('4'), startDate: '2025-06-01' }, 'CONFLICT', 'startDate'],
      // The vestiging's own address in the school file.
      [
        'registerLocation',
        { brin6: '16AH00', address: { ...homeAddress, municipalityCode: municipality.code }, startDate: '2025-01-01' },
        'CONFLICT',
        'address',
      ],
      ['registerLocation', { brin6: '99ZZ00', address: address('5'), startDate: '2025-01-01' }, 'NOT_FOUND', 'brin6'],
      // Before the location's period, and at a location where none of the provider's vestigingen teaches.
      [
        'registerOfferedProgramme',
        { providerCode: school.providerCode, locationCode: use.location.code, kind: 'BASISONDERWIJS', startDate: '2024-06-01' },
        'BAD_USER_INPUT',
        'startDate',
      ],
      [
        'registerOfferedProgramme',
        { providerCode: school.providerCode, locationCode: elsewhere, kind: 'BASISONDERWIJS', startDate: '2025-06-01' },
        'CONFLICT',
        'locationCode',
      ],
      [
        'registerOfferedProgramme',
        { providerCode: school.providerCode, locationCode: '999X999', kind: 'BASISONDERWIJS', startDate: '2025-06-01' },
        'NOT_FOUND',
        'locationCode',
      ],
      ['endLocation', { brin6: '16AH00', locationCode: school.locationCode, endDate: '2030-01-01' }, 'CONFLICT', 'locationCode'],
      ['endLocation', { brin6: '16AH00', locationCode: use.location.code, endDate: '2024-12-31' }, 'NOT_FOUND', 'locationCode'],
      ['renameProvider', { providerCode: school.providerCode, name: 'Later', startDate: addDays(today(), 1) }, 'BAD_USER_INPUT', 'startDate'],
      ['linkProviderToBoard', { providerCode: school.providerCode, boardCode: board, startDate: today() }, 'BAD_USER_INPUT', 'boardCode'],
    ];
    const changes = async () =>
      JSON.stringify(
        (
          await system.query(
            'query($code: ID!, $p: ID!) { location(code: $code) { uses { id endDate } history { id } } provider(code: $p) { name history { id } } }',
            {
              variables: { code: use.location.code, p: school.providerCode },
            },
          )
        ).data,
      );
    const before = await changes();
    for (const [name, input, code, field] of cases) {
      const response = await mutate(name, input, boardToken, '{ id }');
      expect({ name, code: codeOf(response), field: response.errors?.[0]?.extensions?.field }).toEqual({ name, code, field });
    }
    expect(await changes()).toBe(before);
    const programme = await offer(boardToken, use.location.code, '2025-02-01');
    const overlapping = await mutate(
      'registerOfferedProgramme',
      { providerCode: school.providerCode, locationCode: use.location.code, kind: 'BASISONDERWIJS', startDate: '2025-03-01' },
      boardToken,
      '{ id }',
    );
    expect(codeOf(overlapping)).toBe('CONFLICT');
    expect(overlapping.errors![0]!.message).toContain(programme.id);
    // A use holding a running programme does not end until the programme does.
    const orphaning = await mutate('endLocation', { brin6: '16AH00', locationCode: use.location.code, endDate: '2026-01-31' }, boardToken, '{ id }');
    expect(codeOf(orphaning)).toBe('CONFLICT');
    expect(orphaning.errors![0]!.message).toContain(programme.id);
    expect(await mutate('endOfferedProgramme', { offeredProgrammeId: programme.id, endDate: '2026-01-31' }, boardToken, '{ id }')).not.toHaveProperty('errors');
  });

  it('answers a document sent twice with the first answer, and refuses its id with other content', async () => {
    const input = { documentId: 'twice', brin6: '16AH00', address: address('6'), startDate: '2025-01-01' };
    const send = (body: Record<string, unknown>) =>
      system.query<{ registerLocation: { id: string } }>('mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { id } }', {
        token: boardToken,
        variables: { input: body },
      });
    const first = await send(input);
    const again = await send(input);
    expect(again.data!.registerLocation.id).toBe(first.data!.registerLocation.id);
    expect(codeOf(await send({ ...input, startDate: '2025-02-01' }))).toBe('CONFLICT');
  });

  it('renames a provider and moves it to another board, each from a day: the provider and both boards answer for a day before and after, with the history', async () => {
    const moving = await schoolAt(system, '03WU00');
    const leaving = otherBoard.board;
    const token = await system.token(otherBoard);
    const renamed = await mutate<{ renameProvider: { name: string; nameInUse: string } }>(
      'renameProvider',
      { providerCode: moving.providerCode, name: 'Stichting Nieuwe Naam', nameInUse: 'De Nieuwe School', startDate: '2026-03-01' },
      token,
      '{ name nameInUse }',
    );
    expect(renamed.data!.renameProvider).toEqual({ name: 'Stichting Nieuwe Naam', nameInUse: 'De Nieuwe School' });
    const backdated = await mutate('linkProviderToBoard', { providerCode: moving.providerCode, boardCode: board, startDate: '2026-02-01' }, token, '{ id }');
    expect(codeOf(backdated)).toBe('CONFLICT');
    const moved = await mutate<{ linkProviderToBoard: { board: { code: string }; maintainedBy: string } }>(
      'linkProviderToBoard',
      { providerCode: moving.providerCode, boardCode: board, startDate: '2026-06-01' },
      token,
      '{ board { code } maintainedBy }',
    );
    expect(moved.data!.linkProviderToBoard).toEqual({ board: { code: board }, maintainedBy: `board/${board}` });
    // The board it left has no say over it any more.
    expect(codeOf(await mutate('renameProvider', { providerCode: moving.providerCode, name: 'Terug', startDate: today() }, token, '{ id }'))).toBe('FORBIDDEN');

    const on = async (day: string | null) =>
      (
        await system.query<{ provider: { id: string; name: string; nameInUse: string | null; asOn: string | null; board: { code: string } } }>(
          'query($code: ID!, $on: Date) { provider(code: $code, on: $on) { id name nameInUse asOn board { code } } }',
          { variables: { code: moving.providerCode, on: day } },
        )
      ).data!.provider;
    const original = (await on('2026-02-28')).name;
    expect(original).not.toBe('Stichting Nieuwe Naam');
    expect(await on('2026-02-28')).toEqual({
      id: `${moving.providerCode}@2026-02-28`,
      name: original,
      nameInUse: null,
      asOn: '2026-02-28',
      board: { code: leaving },
    });
    expect(await on('2026-05-31')).toMatchObject({ name: 'Stichting Nieuwe Naam', board: { code: leaving } });
    expect(await on(null)).toEqual({
      id: moving.providerCode,
      name: 'Stichting Nieuwe Naam',
      nameInUse: 'De Nieuwe School',
      asOn: null,
      board: { code: board },
    });

    const providersOf = async (code: string, day: string) =>
      (
        await system.query<{ board: { providers: { code: string }[] } }>(
          'query($code: ID!, $on: Date) { board(code: $code, on: $on) { providers { code } } }',
          {
            variables: { code, on: day },
          },
        )
      ).data!.board.providers.map((provider) => provider.code);
    expect(await providersOf(leaving, '2026-05-31')).toContain(moving.providerCode);
    expect(await providersOf(leaving, today())).not.toContain(moving.providerCode);
    expect(await providersOf(board, today())).toContain(moving.providerCode);
    expect(await providersOf(board, '2026-05-31')).not.toContain(moving.providerCode);

    const history = await system.query<{
      provider: { history: { kind: string; effectiveOn: string | null; by: string; fields: { field: string; before: string; after: string }[] }[] };
    }>('query($code: ID!) { provider(code: $code) { history { kind effectiveOn by fields { field before after } } } }', {
      variables: { code: moving.providerCode },
    });
    expect(history.data!.provider.history.slice(-2)).toEqual([
      {
        kind: 'RENAMED',
        effectiveOn: '2026-03-01',
        by: `board/${leaving}`,
        fields: [
          { field: 'name', before: original, after: 'Stichting Nieuwe Naam' },
          { field: 'nameInUse', before: null, after: 'De Nieuwe School' },
        ],
      },
      { kind: 'MOVED', effectiveOn: '2026-06-01', by: `board/${leaving}`, fields: [{ field: 'boardCode', before: leaving, after: board }] },
    ]);
  });

  it('lets the operator correct any object with a reason, recorded; nobody else', async () => {
    const correct = (token: string | undefined, reason: string) =>
      system.query<{ correctRio: { change: { kind: string; by: string; reason: string; effectiveOn: string | null }; provider: { name: string } } }>(
        'mutation($input: CorrectRioInput!) { correctRio(input: $input) { change { kind by reason effectiveOn } provider { name } } }',
        { token, variables: { input: { documentId: `correct-${++serial}`, reason, provider: { code: school.providerCode, name: 'OBS De Correctie' } } } },
      );
    expect(codeOf(await correct(boardToken, 'Tikfout'))).toBe('FORBIDDEN');
    expect(codeOf(await correct(undefined, '  '))).toBe('BAD_USER_INPUT');
    const corrected = await correct(undefined, 'Tikfout in de naam, gemeld door het bestuur');
    expect(corrected.data!.correctRio).toEqual({
      change: { kind: 'CORRECTED', by: 'operator', reason: 'Tikfout in de naam, gemeld door het bestuur', effectiveOn: null },
      provider: { name: 'OBS De Correctie' },
    });
    const both = await system.query('mutation($input: CorrectRioInput!) { correctRio(input: $input) { change { id } } }', {
      variables: {
        input: {
          documentId: 'two-at-once',
          reason: 'x',
          provider: { code: school.providerCode, name: 'A' },
          location: { code: school.locationCode, city: 'B' },
        },
      },
    });
    expect(codeOf(both)).toBe('BAD_USER_INPUT');

    // A board, which the school file names not at all, is named; its name stays through the next file.
    const named = await system.query<{ correctRio: { board: { name: string; history: { kind: string; reason: string }[] } } }>(
      'mutation($input: CorrectRioInput!) { correctRio(input: $input) { board { name history { kind reason } } } }',
      {
        variables: {
          input: { documentId: 'board-name', reason: 'Naam uit het handelsregister', board: { code: board, name: 'Stichting Openbaar Onderwijs Emmen' } },
        },
      },
    );
    expect(named.data!.correctRio.board.name).toBe('Stichting Openbaar Onderwijs Emmen');
    expect(named.data!.correctRio.board.history.at(-1)).toEqual({ kind: 'CORRECTED', reason: 'Naam uit het handelsregister' });
    await importSchoolFile(system.system.database!.db, bundledSchoolFile, { referenceDate: today() });
    const kept = await system.query<{ board: { name: string } }>('query($code: ID!) { board(code: $code) { name } }', { variables: { code: board } });
    expect(kept.data!.board.name).toBe('Stichting Openbaar Onderwijs Emmen');

    // A location: its town corrected; its address refused where another location has that address (one per address).
    const other = (await schoolAt(system, '03WU00')).locationCode;
    const correctLocation = (documentId: string, location: Record<string, unknown>) =>
      system.query<{ correctRio: { location: { address: { city: string } } } }>(
        'mutation($input: CorrectRioInput!) { correctRio(input: $input) { location { address { city } } } }',
        { variables: { input: { documentId, reason: 'Plaatsnaam volgens de BAG', location: { code: other, ...location } } } },
      );
    expect((await correctLocation('town', { city: '2e Exloërmond' })).data!.correctRio.location.address.city).toBe('2e Exloërmond');
    const taken = await correctLocation('taken', { postcode: '7822 HG', houseNumber: '58' });
    expect({ code: codeOf(taken), field: taken.errors?.[0]?.extensions?.field }).toEqual({ code: 'CONFLICT', field: 'location.postcode' });
  });
});
