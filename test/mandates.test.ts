import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import type { Listening } from '../kernel/http.ts';
import { today } from '../kernel/scalars.ts';
import { signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import { listenToSubgraph, postGraphQL, startTestSystem, type TestSystem } from './harness.ts';

/** A registered vendor that starts without any mandate. */
const newcomer = '00000003273255280000';
/** A vendor no case grants a mandate: the cases that grant one to the newcomer may come first. */
const unmandated = '00000001003214345000';

describe('OSR mandates enforced by every register', () => {
  let system: TestSystem;
  let board: string;
  let serial = 0;
  const vendorAt = (school: string, vendorOin = newcomer): Viewer => ({ role: 'VENDOR', vendorOin, school });

  beforeAll(async () => {
    system = await startTestSystem();
    board = (await system.query<{ branch: { provider: { board: { code: string } } } }>('{ branch(brin6: "16AH00") { provider { board { code } } } }')).data!
      .branch.provider.board.code;
    const registered = await system.query(
      'mutation { registerVendor(input: { documentId: "newcomer", oin: "00000003273255280000", name: "Nieuwe Leverancier B.V." }) { oin } }',
    );
    expect(registered.errors).toBeUndefined();
    const other = await system.query(
      `mutation { registerVendor(input: { documentId: "unmandated", oin: "${unmandated}", name: "Zonder Mandaat B.V." }) { oin } }`,
    );
    expect(other.errors).toBeUndefined();
  });
  afterAll(() => system?.close());

  /** One read per register a vendor works with, and the service each needs. */
  const reads = [
    ['learners', 'ROD_PO', '{ enrollments(first: 1) { totalCount } }'],
    ['funding', 'ROD_PO', '{ countDates { countDate } }'],
    ['absence', 'VERZUIM', '{ absenceReports(first: 1) { totalCount } }'],
  ] as const;

  async function outcome(viewer: Viewer, query: string): Promise<string> {
    const response = await system.query(query, { token: await system.token(viewer) });
    return (response.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';
  }

  async function grant(service: string, startDate: string, endDate: string | null = null) {
    const response = await system.query('mutation($input: GrantMandateInput!) { grantMandate(input: $input) { id } }', {
      token: await system.token({ role: 'BOARD', board }),
      variables: { input: { documentId: `mandate-${++serial}`, brin6: '16AH00', service, vendorOin: newcomer, startDate, endDate } },
    });
    expect(response.errors).toBeUndefined();
  }

  it('serves the demo vendor, which the seed mandated for every service', async () => {
    for (const [, , query] of reads) expect(await outcome(vendorAt('16AH00', '00000001800866472000'), query)).toBe('OK');
  });

  it('refuses a vendor without a mandate, naming the school, the service and the vendor', async () => {
    for (const [, service, query] of reads) {
      const response = await system.query(query, { token: await system.token(vendorAt('16AH00', unmandated)) });
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(response.errors![0]!.message).toContain(`Vendor ${unmandated} has no ${service} mandate for school 16AH00`);
    }
  });

  it('serves a vendor from the moment its board grants the mandate, for that service only', async () => {
    await grant('VERZUIM', today());
    expect(await outcome(vendorAt('16AH00'), reads[2][2])).toBe('OK');
    expect(await outcome(vendorAt('16AH00'), reads[0][2])).toBe('FORBIDDEN');
    expect(await outcome(vendorAt('03WU00'), reads[2][2])).toBe('FORBIDDEN');
  });

  it('refuses a vendor whose mandate ended yesterday or starts tomorrow', async () => {
    await grant('ROD_PO', '2020-01-01', addDays(today(), -1));
    await grant('ROD_PO', addDays(today(), 1));
    expect(await outcome(vendorAt('16AH00'), reads[0][2])).toBe('FORBIDDEN');
    expect(await outcome(vendorAt('16AH00'), reads[1][2])).toBe('FORBIDDEN');
  });

  describe('when a register is reached directly', () => {
    let direct: Listening;
    beforeAll(async () => {
      direct = await listenToSubgraph(system, 'learners');
    });
    afterAll(() => direct?.close());

    it('refuses a vendor without a mandate there too', async () => {
      const ask = async (viewer: Viewer) =>
        postGraphQL(direct.url, reads[0][2], undefined, null, { [viewerHeader]: await signViewerAssertion(viewer, system.config.viewerSecret, 'learners') });
      expect((await ask(vendorAt('16AH00'))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await ask(vendorAt('16AH00', '00000001800866472000'))).errors).toBeUndefined();
    });
  });
});
