import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../kernel/events.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { startTestSystem, type GraphQLResponse, type TestSystem } from './harness.ts';

const otherVendor = '00000003273255280000';

describe('the Onderwijsserviceregister (OSR) in the institutions subgraph', () => {
  let system: TestSystem;
  let board: string;
  let otherBoard: string;
  let mandateId: string;
  let serial = 0;
  // The OSR's story, told once before the cases: a vendor registered, a mandate granted, then ended
  // earlier. Each case checks its part, in any order.
  let registered: Awaited<ReturnType<typeof register>>;
  let granted: Awaited<ReturnType<typeof grant>>;
  let ended: Awaited<ReturnType<typeof end>>;

  beforeAll(async () => {
    system = await startTestSystem();
    const boards = await system.query<{ a: { provider: { board: { code: string } } }; b: { provider: { board: { code: string } } } }>(
      '{ a: branch(brin6: "16AH00") { provider { board { code } } } b: branch(brin6: "03WU00") { provider { board { code } } } }',
    );
    board = boards.data!.a.provider.board.code;
    otherBoard = boards.data!.b.provider.board.code;
    expect(board).not.toBe(otherBoard);
    registered = await register('vendor-1');
    granted = await grant({ role: 'BOARD', board });
    mandateId = granted.data!.grantMandate.id;
    ended = await end({ role: 'BOARD', board }, '2026-12-31');
  });
  afterAll(() => system?.close());

  const as = (viewer: Viewer) => system.token(viewer);
  const check = async (vendorOin: string, service: string, date: string, viewer: Viewer = { role: 'MUNICIPALITY', municipality: '0114' }) =>
    (
      await system.query<{ mandateCheck: string }>(
        'query($v: ID!, $s: Service!, $d: Date) { mandateCheck(brin6: "16AH00", service: $s, vendorOin: $v, date: $d) }',
        {
          variables: { v: vendorOin, s: service, d: date },
          token: await as(viewer),
        },
      )
    ).data!.mandateCheck;
  const grant = async (viewer: Viewer, overrides: Record<string, unknown> = {}) =>
    system.query<{
      grantMandate: { id: string; service: string; vendor: { name: string }; branch: { brin6: string }; startDate: string; endDate: string | null };
    }>('mutation($input: GrantMandateInput!) { grantMandate(input: $input) { id service vendor { name } branch { brin6 } startDate endDate } }', {
      token: await as(viewer),
      variables: {
        input: { documentId: `grant-${++serial}`, brin6: '16AH00', service: 'VERZUIM', vendorOin: otherVendor, startDate: '2026-01-01', ...overrides },
      },
    });
  const end = async (viewer: Viewer, endDate: string) =>
    system.query<{ endMandate: { endDate: string } }>('mutation($input: EndMandateInput!) { endMandate(input: $input) { endDate } }', {
      token: await as(viewer),
      variables: { input: { documentId: `end-${++serial}`, mandateId, endDate } },
    });
  const expectRefused = (response: GraphQLResponse<unknown>, code: string) => expect(response.errors?.[0]?.extensions?.code).toBe(code);
  const register = (documentId: string) =>
    system.query<{ registerVendor: { oin: string; name: string } }>('mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { oin name } }', {
      variables: { input: { documentId, oin: otherVendor, name: 'Tweede Leverancier B.V.' } },
    });

  it('seeds a demo vendor with a mandate for every service at the demo schools', async () => {
    for (const service of ['ROD_PO', 'VERZUIM', 'RIO']) expect(await check(demoVendor.oin, service, '2026-11-01')).toBe('OK');
    expect(await check(otherVendor, 'ROD_PO', '2026-11-01')).toBe('NOK');
  });

  it('lets the operator register a vendor, once', async () => {
    expect(registered.data!.registerVendor).toEqual({ oin: otherVendor, name: 'Tweede Leverancier B.V.' });
    expectRefused(await register('vendor-2'), 'CONFLICT');
    expectRefused(
      await system.query('mutation { registerVendor(input: { documentId: "v3", oin: "00000001800866472000", name: "x" }) { oin } }', {
        token: await as({ role: 'BOARD', board }),
      }),
      'FORBIDDEN',
    );
  });

  it("lets the school's board grant a mandate, in force from its start date", async () => {
    expect(granted.errors).toBeUndefined();
    expect(granted.data!.grantMandate).toMatchObject({
      service: 'VERZUIM',
      vendor: { name: 'Tweede Leverancier B.V.' },
      branch: { brin6: '16AH00' },
      startDate: '2026-01-01',
      endDate: null,
    });
    expect(await check(otherVendor, 'VERZUIM', '2025-12-31')).toBe('NOK');
    expect(await check(otherVendor, 'VERZUIM', '2026-01-01')).toBe('OK');
    expect(await check(otherVendor, 'ROD_PO', '2026-01-01')).toBe('NOK');
  });

  it('refuses a grant by another board, by a vendor, for an unknown vendor or ending before it starts, and stores nothing', async () => {
    expectRefused(await grant({ role: 'BOARD', board: otherBoard }, { service: 'RIO' }), 'NOT_FOUND');
    expectRefused(await grant({ role: 'VENDOR', vendorOin: otherVendor, school: '16AH00' }, { service: 'RIO' }), 'FORBIDDEN');
    expectRefused(await grant({ role: 'BOARD', board }, { service: 'RIO', vendorOin: '00000009999999999000' }), 'NOT_FOUND');
    expect((await grant({ role: 'BOARD', board }, { service: 'RIO', endDate: '2025-12-31' })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'endDate',
    });
    expect(await check(otherVendor, 'RIO', '2026-06-01')).toBe('NOK');
  });

  it('lets the board end a mandate, earlier but never later', async () => {
    expectRefused(await end({ role: 'BOARD', board: otherBoard }, '2026-12-31'), 'NOT_FOUND');
    expect(ended.data!.endMandate.endDate).toBe('2026-12-31');
    expect(await check(otherVendor, 'VERZUIM', '2026-12-31')).toBe('OK');
    expect(await check(otherVendor, 'VERZUIM', '2027-01-01')).toBe('NOK');
    expectRefused(await end({ role: 'BOARD', board }, '2027-06-30'), 'CONFLICT');
  });

  it('shows the details to that vendor and that board only; anyone else gets OK or NOK', async () => {
    const seen = async (viewer: Viewer) => {
      const response = await system.query<{ mandates: { totalCount: number; edges: { node: { id: string } }[] } }>(
        '{ mandates(brin6: "16AH00", first: 200) { totalCount edges { node { id } } } }',
        {
          token: await as(viewer),
        },
      );
      return response.errors ? response.errors[0]!.extensions!.code : response.data!.mandates.edges.map((edge) => edge.node.id);
    };
    expect(await seen({ role: 'VENDOR', vendorOin: otherVendor, school: '03WU00' })).toEqual([mandateId]);
    expect(await seen({ role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH00' })).toHaveLength(3);
    expect(await seen({ role: 'BOARD', board })).toHaveLength(4);
    expect(await seen({ role: 'BOARD', board: otherBoard })).toEqual([]);
    expect(await seen({ role: 'MUNICIPALITY', municipality: '0114' })).toBe('FORBIDDEN');
    expect(await check(otherVendor, 'VERZUIM', '2026-06-01', { role: 'VENDOR', vendorOin: demoVendor.oin, school: '04LY00' })).toBe('OK');
  });

  it('lets a board grant a mandate for a whole school (BRIN4), covering each of its vestigingen and no other school', async () => {
    const token = await as({ role: 'BOARD', board: otherBoard });
    const grantFor = (documentId: string, school: Record<string, string>) =>
      system.query<{ grantMandate: { id: string; wholeSchool: boolean; branch: { brin6: string } } }>(
        'mutation($input: GrantMandateInput!) { grantMandate(input: $input) { id wholeSchool branch { brin6 } } }',
        { token, variables: { input: { documentId, ...school, service: 'RIO', vendorOin: otherVendor, startDate: '2026-01-01' } } },
      );
    expect((await grantFor('whole-both', { brin6: '03WU00', brin4: '03WU' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await grantFor('whole-neither', {})).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await grantFor('whole-not-ours', { brin4: '16AH' })).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'brin4' });
    const granted = await grantFor('whole', { brin4: '03wu' });
    expect(granted.data!.grantMandate).toMatchObject({ wholeSchool: true, branch: { brin6: '03WU00' } });
    const holds = async (brin6: string) =>
      (await system.query<{ mandateCheck: string }>(`{ mandateCheck(brin6: "${brin6}", service: RIO, vendorOin: "${otherVendor}", date: "2026-06-01") }`)).data!
        .mandateCheck;
    expect([await holds('03WU00'), await holds('03WU01'), await holds('03WV00'), await holds('16AH00')]).toEqual(['OK', 'OK', 'NOK', 'NOK']);
    const listed = await system.query<{ mandates: { edges: { node: { id: string } }[] } }>(
      '{ mandates(brin6: "03WU00", first: 200) { edges { node { id } } } }',
      {
        token,
      },
    );
    expect(listed.data!.mandates.edges.map((edge) => edge.node.id)).toContain(granted.data!.grantMandate.id);
    const ending = await system.query('mutation($input: EndMandateInput!) { endMandate(input: $input) { endDate } }', {
      token,
      variables: { input: { documentId: 'whole-end', mandateId: granted.data!.grantMandate.id, endDate: '2026-12-31' } },
    });
    expect(ending.data).toEqual({ endMandate: { endDate: '2026-12-31' } });
  });

  it('writes grants and ends to the institutions stream', async () => {
    const events = (await readEvents(system.system.database!.db, 'institutions', null, 100_000)).filter((event) => event.keys.mandateId === mandateId);
    expect(events.map((event) => [event.type, event.payload.endDate])).toEqual([
      ['MandateGranted', null],
      ['MandateEnded', '2026-12-31'],
    ]);
  });
});
