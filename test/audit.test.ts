import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/node-postgres';
import { auditLogExposure } from '../kernel/audit.ts';
import { rowsOf } from '../kernel/db.ts';
import { readConfig } from '../kernel/config.ts';
import { migrate } from '../kernel/migrations.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { bsnFor, eventually, Follower, schoolAt, startTestSystem, testDatabase, type School, type TestSystem } from './harness.ts';

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
  let logged: Awaited<ReturnType<typeof lines>>;

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
    // The log as these three left it: later cases add lines about the same PGN.
    logged = await lines();
    // A vendor without a mandate anywhere, for the cases about refusals for want of one.
    await system.query('mutation { registerVendor(input: { documentId: "audit-vendor", oin: "00000003273255280000", name: "Zonder Mandaat B.V." }) { oin } }');
  });
  afterAll(() => system?.close());

  const lines = async (token?: string) =>
    system.query<{ auditLog: { totalCount: number; edges: { node: Line }[] } }>(
      'query($pgn: ID) { auditLog(pgn: $pgn, first: 200) { totalCount edges { node { actorRole actor school action object result origin } } } }',
      {
        variables: { pgn },
        ...(token ? { token } : {}),
      },
    );

  it('holds the enrollment, the read by the enrolling school and the refused read by another, oldest last', async () => {
    const response = logged;
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

  it('names the PGN of an attempt refused for want of a mandate, so that auditLog(pgn:) finds it', async () => {
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' });
    const refused = await system.query('query Unmandated($pgn: ID!) { learner(pgn: $pgn) { pgn } }', { variables: { pgn }, token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const latest = (await lines()).data!.auditLog.edges[0]!.node;
    expect(latest).toMatchObject({ actor: '00000003273255280000', school: '16AH00', action: 'Unmandated', result: 'REFUSED' });
    expect(latest.object).toMatch(/^[0-9a-f]{64}$/);
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
    for (const viewer of [
      { role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH00' },
      { role: 'MUNICIPALITY', municipality: '0114' },
      { role: 'BOARD', board: '042B830' },
    ] as const) {
      expect((await lines(await system.token(viewer))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('records the origin of PGN data delivered through a subscription', async () => {
    const follower = new Follower<{ cursor: string; notice: { learnerPgn: string } }>({
      url: () => system.url,
      token: a.token,
      query: 'subscription($after: String) { transferNoticeIssued(after: $after) { cursor notice { learnerPgn } } }',
      field: 'transferNoticeIssued',
    });
    try {
      await eventuallySubscribed();
      const moved = await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { transferNoticeCount } }', {
        token: c.token,
        variables: {
          input: {
            documentId: 'audit-transfer',
            learner: { pgn, birthDate: '2019-03-01', gender: 'MALE', postcode: '7822HG' },
            providerCode: c.providerCode,
            locationCode: c.locationCode,
            offeredProgrammeId: c.offeredProgrammeId,
            startDate: '2025-08-01',
            group: 3,
            schoolEnrollmentNumber: 'AUD2',
          },
        },
      });
      expect(moved.errors).toBeUndefined();
      await follower.until('the transfer notice', () => follower.items.some((item) => item.notice.learnerPgn === pgn), { deadline: 10_000 });
      const delivered = (await lines()).data!.auditLog.edges.map((edge) => edge.node).filter((node) => node.school === '16AH00' && node.action === 'READ_PGN');
      expect(delivered.length).toBeGreaterThan(1);
      for (const line of delivered) expect(line.origin).toMatch(/127\.0\.0\.1/);
    } finally {
      await follower.stop();
    }

    /** The subscription is open at the gateway before the transfer is made, so the notice is live. */
    function eventuallySubscribed() {
      return eventually('the subscription open at the gateway', () => (system.system.stats().gateway?.subscribers ?? 0) > 0);
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

/**
 * The log's owner on PostgreSQL (migrations/audit/0002): the register's role, register_graph, may add
 * and read lines, and nothing else. The login role here is one set up as the README tells an operator
 * to: a member of register_graph, no superuser, no right to create roles.
 */
describe.runIf(Boolean(readConfig().databaseUrl))("the audit log on PostgreSQL, as the register's role", () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let admin: pg.Client;
  let register: pg.Client;
  const role = `register_graph_test_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    database = await testDatabase();
    // Several databases of this server migrate at once (test files, worktrees): roles are the cluster's.
    const others = await Promise.all([testDatabase(), testDatabase()]);
    await Promise.all([database, ...others].map((each) => migrate(each, 'audit')));
    await Promise.all(others.map((each) => each.drop()));
    admin = new pg.Client({ connectionString: readConfig().databaseUrl });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN IN ROLE register_graph`);
    const [current] = rowsOf<{ name: string }>(await database.db.execute(sql`SELECT current_database() AS name`));
    const url = new URL(readConfig().databaseUrl!);
    url.pathname = `/${current!.name}`;
    url.username = role;
    url.password = '';
    register = new pg.Client({ connectionString: url.toString() });
    await register.connect();
    // A line for the refused statements below to leave where it is.
    await register.query("INSERT INTO audit.log (register, actor_role, actor, action, result) VALUES ('learners', 'OPERATOR', 'operator', 'KEPT', 'ALLOWED')");
  });
  afterAll(async () => {
    await register?.end();
    await database?.drop();
    await admin?.query(`DROP ROLE IF EXISTS ${role}`);
    await admin?.end();
  });

  /** The SQLSTATE a statement fails with: 42501 is insufficient_privilege. */
  const refusal = (statement: string) =>
    register.query(statement).then(
      () => 'done',
      (error: { code?: string }) => error.code,
    );

  it('adds and reads lines', async () => {
    await register.query("INSERT INTO audit.log (register, actor_role, actor, action, result) VALUES ('learners', 'OPERATOR', 'operator', 'TEST', 'ALLOWED')");
    const { rows } = await register.query("SELECT action FROM audit.log WHERE action = 'TEST'");
    expect(rows).toEqual([{ action: 'TEST' }]);
  });

  it.each([
    'ALTER TABLE audit.log DISABLE TRIGGER log_append_only',
    'ALTER TABLE audit.log DISABLE TRIGGER ALL',
    "UPDATE audit.log SET result = 'REFUSED'",
    'DELETE FROM audit.log',
    'TRUNCATE audit.log',
    'DROP TABLE audit.log',
    'SET ROLE register_graph_audit',
    'CREATE FUNCTION audit.replacement() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
  ])('is refused %s', async (statement) => {
    const lines = async () => (await register.query('SELECT count(*)::int AS lines FROM audit.log')).rows[0].lines as number;
    const before = await lines();
    expect(before).toBeGreaterThan(0);
    expect(await refusal(statement)).toBe('42501');
    expect(await lines()).toBe(before);
  });

  it("says so at start when the register's role could change the log, and not for this one", async () => {
    expect(await auditLogExposure(database.db)).toMatch(/a superuser/);
    expect(await auditLogExposure(drizzle(register))).toBeNull();
  });
});
