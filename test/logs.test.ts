import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import { readConfig } from '../kernel/config.ts';
import { rowsOf } from '../kernel/db.ts';
import { createLogger, requestIdHeader } from '../kernel/logging.ts';
import { today } from '../kernel/scalars.ts';
import { bsnFor, enrollmentInput, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/** The log as a list of parsed lines: a real pino logger writing into memory instead of standard output. */
function capturedLog(level: 'debug' | 'trace' = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  return { lines, raw, logger: createLogger(level, { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line))) }) };
}

/** A learners, institutions and funding operation in one: the enrollment with its branch and funding status. */
const enrollAcrossSubgraphs =
  'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { branch { name } fundingStatus { outcome } } } }';

describe('request ids and the log', () => {
  let system: TestSystem;
  let school: School;
  let log: ReturnType<typeof capturedLog>;
  let learners = 0;

  beforeAll(async () => {
    log = capturedLog();
    // The entity cache off: an entity it answered would leave its subgraph without a line.
    system = await startTestSystem({ GATEWAY_CACHE_ENTRIES: '0' }, { logger: log.logger });
    school = await schoolAt(system, '16AH00');
  });
  afterAll(() => system?.close());

  const send = (query: string, variables: Record<string, unknown>, headers: Record<string, string>, token: string | null = school.token) =>
    fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
  const linesOf = (requestId: string) => log.lines.filter((line) => line.requestId === requestId);

  it("returns a client's well-formed x-request-id and carries it into the gateway's line and every subgraph's it asked", async () => {
    const response = await send(enrollAcrossSubgraphs, { input: enrollmentInput(school, ++learners) }, { [requestIdHeader]: 'client-7f3a.42' });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(response.headers.get(requestIdHeader)).toBe('client-7f3a.42');

    const lines = linesOf('client-7f3a.42');
    const gateway = lines.filter((line) => line.service === 'gateway');
    expect(gateway).toEqual([expect.objectContaining({ level: 30, msg: 'request', type: 'mutation', status: 200 })]);
    const subgraphs = new Set(lines.map((line) => line.subgraph).filter(Boolean));
    expect(subgraphs).toEqual(new Set(['learners', 'institutions', 'funding']));
    // The subgraphs' operations are at debug: at the default level only the gateway's line remains.
    expect(lines.filter((line) => line.subgraph).every((line) => line.level === 20)).toBe(true);
  });

  it('answers a request without an id, or with a malformed one, with an id of its own that its lines carry', async () => {
    for (const headers of [{} as Record<string, string>, { [requestIdHeader]: 'two words; "quoted"' }, { [requestIdHeader]: 'x'.repeat(129) }]) {
      const response = await send('{ branch(brin6: "16AH00") { name } }', {}, headers);
      const id = response.headers.get(requestIdHeader)!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(linesOf(id).map((line) => line.service ?? line.subgraph)).toEqual(['institutions', 'gateway']);
    }
  });

  it('logs a request refused before it runs, with its id and code, and returns the id', async () => {
    const response = await send('{ branch(brin6: "16AH00") { name } }', {}, { [requestIdHeader]: 'refused-1' }, null);
    expect(response.status).toBe(401);
    expect(response.headers.get(requestIdHeader)).toBe('refused-1');
    expect(linesOf('refused-1')).toEqual([
      expect.objectContaining({ level: 30, msg: 'request refused', service: 'gateway', status: 401, errors: ['UNAUTHENTICATED'] }),
    ]);
  });

  it('writes one line per request at info, each a JSON object with time and level', async () => {
    const before = log.lines.length;
    await send('{ branch(brin6: "16AH00") { name } }', {}, { [requestIdHeader]: 'volume-1' });
    const info = log.lines.slice(before).filter((line) => (line.level as number) >= 30);
    expect(info).toEqual([expect.objectContaining({ requestId: 'volume-1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
  });
});

/*
 * No PGN, name, birth date or postcode in any line of the log (issue 17, finding 3): a whole journey,
 * a refused enrollment and a statement that fails in the database among it, logged at the most
 * detailed level, and every line searched for every one of them as sent.
 */
describe('personal data and the log', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let log: ReturnType<typeof capturedLog>;
  const day = today();
  const moving = {
    pgn: bsnFor(777_001),
    birthDate: '2018-05-17',
    gender: 'FEMALE',
    postcode: '7823 PK',
    familyName: 'Zwanenburg',
    givenNames: 'Marijke Anouk',
  };
  const refused = { pgn: bsnFor(777_002), birthDate: '2099-02-11', gender: 'MALE', postcode: '7824 AB', familyName: 'Verhoeckx', givenNames: 'Teunis' };
  const failing = { pgn: bsnFor(777_003), birthDate: '2018-09-23', gender: 'FEMALE', postcode: '7825 CD', familyName: 'Faalbaar', givenNames: 'Geertruida' };
  const identified = { birthDate: '2019-01-29', gender: 'MALE', postcode: '7826 EF', familyName: 'Kwakernaak', givenNames: 'Bartholomeus' };
  const contact = { name: 'Hendrika Oosterwijk', phone: '0591-555 123', email: 'h.oosterwijk@school.example' };
  const issued: string[] = [];

  beforeAll(async () => {
    log = capturedLog('trace');
    system = await startTestSystem({}, { logger: log.logger });
    [a, b] = (await Promise.all(['16AH00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
  });
  afterAll(() => system?.close());

  const enroll = (at: School, learner: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
    system.query<{ enrollLearner: { enrollment: { id: string } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      {
        token: at.token,
        variables: { input: enrollmentInput(at, 0, overrides, learner) },
      },
    );

  it('writes none in a journey: enroll, refuse, transfer, absence, a failing statement', async () => {
    expect((await enroll(a, moving)).errors).toBeUndefined();
    expect((await enroll(a, refused)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'learner.birthDate' });
    const moved = await enroll(b, moving, { startDate: addDays(day, -40) });
    expect(moved.errors).toBeUndefined();
    const notices = await system.query<{ transferNotices: { edges: { node: { id: string; learnerPgn: string } }[] } }>(
      '{ transferNotices(status: OPEN) { edges { node { id learnerPgn } } } }',
      { token: a.token },
    );
    const notice = notices.data!.transferNotices.edges.find((edge) => edge.node.learnerPgn === moving.pgn)!.node;
    const acknowledged = await system.query('mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { notice { status } } }', {
      token: a.token,
      variables: { input: { documentId: 'journey-ack', noticeId: notice.id } },
    });
    expect(acknowledged.errors).toBeUndefined();
    const reported = await system.query(
      'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { learner { pgn familyName birthDate } } } }',
      {
        token: b.token,
        variables: {
          input: {
            documentId: 'journey-report',
            enrollmentId: moved.data!.enrollLearner.enrollment.id,
            kind: 'OTHER',
            startDate: addDays(day, -30),
            endDate: addDays(day, -29),
            absences: [{ date: addDays(day, -30), dayPart: 'MORNING', hours: 3 }],
            municipalityActionWanted: true,
            contact,
          },
        },
      },
    );
    expect(reported.errors).toBeUndefined();
    const identify = await system.query<{ identifyLearner: { learner: { pgn: string } } }>(
      'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }',
      {
        token: a.token,
        variables: { input: { documentId: 'journey-identify', ...identified } },
      },
    );
    expect(identify.errors).toBeUndefined();
    issued.push(identify.data!.identifyLearner.learner.pgn);

    // A statement that fails in the database, with the learner's data as its parameters: a check the test adds.
    const db = system.system.database!.db;
    await db.execute(sql`ALTER TABLE learners.delivery ADD CONSTRAINT journey_refuses CHECK (family_name IS DISTINCT FROM 'Faalbaar')`);
    try {
      expect((await enroll(a, failing)).errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await db.execute(sql`ALTER TABLE learners.delivery DROP CONSTRAINT journey_refuses`);
    }
    const internal = log.lines.filter((line) => line.msg === 'internal error' && line.subgraph === 'learners');
    expect(internal).toEqual([
      expect.objectContaining({ err: expect.objectContaining({ cause: expect.objectContaining({ code: '23514', constraint: 'journey_refuses' }) }) }),
    ]);

    const sent: { pgn?: string; birthDate: string; postcode: string; familyName: string; givenNames: string }[] = [moving, refused, failing, identified];
    const personal = sent.flatMap((learner) => [
      ...(learner.pgn ? [learner.pgn] : []),
      learner.birthDate,
      learner.postcode,
      learner.postcode.replace(' ', ''),
      learner.familyName,
      ...learner.givenNames.split(' '),
    ]);
    const found = [...personal, ...issued, contact.name, contact.phone, contact.email].flatMap((value) =>
      log.raw.filter((line) => line.includes(value)).map((line) => `${value} in ${line.slice(0, 300)}`),
    );
    expect(found).toEqual([]);
    expect(log.raw.length).toBeGreaterThan(20);
  });

  it.runIf(Boolean(readConfig().databaseUrl))("keeps PostgreSQL's own log from writing a failed statement's values", async () => {
    const setting = async (name: string) => rowsOf<Record<string, string>>(await system.system.database!.db.execute(sql.raw(`SHOW ${name}`)))[0]![name];
    expect(await setting('log_parameter_max_length_on_error')).toBe('0');
    expect(await setting('log_parameter_max_length')).toBe('0');
    expect(await setting('log_error_verbosity')).toBe('terse');
  });
});
