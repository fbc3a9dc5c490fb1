import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { bsnFor, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

interface Line {
  actorRole: string;
  actor: string;
  school: string | null;
  action: string;
  object: string | null;
  result: string;
  origin: string | null;
}

describe('the audit log of PGN access (protocollering)', () => {
  let system: TestSystem;
  let a: School;
  let c: School;
  const pgn = bsnFor(424_242);

  beforeAll(async () => {
    system = await startTestSystem();
    [a, c] = (await Promise.all(['16AH00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    const enrolled = await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
      token: a.token,
      variables: {
        input: {
          documentId: 'audit-1',
          learner: { pgn, birthDate: '2019-03-01', gender: 'MALE', postcode: '7822HG' },
          providerCode: a.providerCode,
          locationCode: a.locationCode,
          offeredProgrammeId: a.offeredProgrammeId,
          startDate: '2024-08-01',
          group: 2,
          schoolEnrollmentNumber: 'AUD1',
        },
      },
    });
    expect(enrolled.errors).toBeUndefined();
    const found = await system.query('query($pgn: ID!) { learner(pgn: $pgn) { pgn } }', { variables: { pgn }, token: a.token });
    expect(found.errors).toBeUndefined();
    const refused = await system.query('query($pgn: ID!) { learner(pgn: $pgn) { pgn } }', { variables: { pgn }, token: c.token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
  afterAll(() => system?.close());

  const lines = async (token?: string) =>
    system.query<{ auditLog: { totalCount: number; edges: { node: Line }[] } }>('query($pgn: ID) { auditLog(pgn: $pgn, first: 200) { totalCount edges { node { actorRole actor school action object result origin } } } }', {
      variables: { pgn },
      ...(token ? { token } : {}),
    });

  it('holds the enrollment, the read by the enrolling school and the refused read by another, oldest last', async () => {
    const response = await lines();
    expect(response.errors).toBeUndefined();
    const seen = response.data!.auditLog.edges.map((edge) => [edge.node.school, edge.node.action, edge.node.result]).reverse();
    expect(seen).toEqual([
      ['16AH00', 'ENROLL', 'ALLOWED'],
      ['16AH00', 'FIND_LEARNER', 'ALLOWED'],
      ['16AH00', 'READ_PGN', 'ALLOWED'],
      ['04LY00', 'FIND_LEARNER', 'REFUSED'],
    ]);
    for (const { node } of response.data!.auditLog.edges) {
      expect(node).toMatchObject({ actorRole: 'VENDOR', actor: demoVendor.oin });
      expect(node.object).toMatch(/^[0-9a-f]{64}$/);
      expect(node.object).not.toContain(pgn);
      expect(node.origin).toMatch(/127\.0\.0\.1/);
    }
  });

  it('logs a vendor refused for want of a mandate', async () => {
    await system.query('mutation { registerVendor(input: { documentId: "audit-vendor", oin: "00000003273255280000", name: "Zonder Mandaat B.V." }) { oin } }');
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' });
    const refused = await system.query('query SchoolLearner($pgn: ID!) { learner(pgn: $pgn) { pgn } }', { variables: { pgn }, token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const all = await system.query<{ auditLog: { edges: { node: Line }[] } }>('{ auditLog(first: 5) { edges { node { actor action result } } } }');
    expect(all.data!.auditLog.edges[0]!.node).toEqual({ actor: '00000003273255280000', action: 'SchoolLearner', result: 'REFUSED' });
  });

  it("logs a municipality's exemption by PGN in the same log", async () => {
    const response = await system.query('mutation($input: RegisterExemptionInput!) { registerExemption(input: $input) { noticeCount } }', {
      token: await system.token({ role: 'MUNICIPALITY', municipality: '0114' }),
      variables: { input: { documentId: 'audit-exemption', pgn, kind: 'UNFIT', startDate: '2026-11-01' } },
    });
    expect(response.errors).toBeUndefined();
    const latest = (await lines()).data!.auditLog.edges[0]!.node;
    expect(latest).toMatchObject({ actorRole: 'MUNICIPALITY', actor: '0114', action: 'REGISTER_EXEMPTION', result: 'ALLOWED' });
  });

  it('is read by the operator only', async () => {
    for (const viewer of [{ role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH00' }, { role: 'MUNICIPALITY', municipality: '0114' }, { role: 'BOARD', board: '042B830' }] as const) {
      expect((await lines(await system.token(viewer))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('refuses every change and removal of a line, even from inside the register', async () => {
    const db = system.system.database!.db;
    // The trigger's own refusal, not any failure (drizzle wraps it as the cause).
    const appendOnly = (error: unknown) => /audit\.log is append-only/.test(String((error as { cause?: Error }).cause?.message ?? error));
    await expect(db.execute(sql`UPDATE audit.log SET result = 'ALLOWED'`)).rejects.toSatisfy(appendOnly);
    await expect(db.execute(sql`DELETE FROM audit.log`)).rejects.toSatisfy(appendOnly);
    await expect(db.execute(sql`TRUNCATE audit.log`)).rejects.toSatisfy(appendOnly);
  });
});
