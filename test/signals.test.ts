import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bsnFor,
  enrollmentInput,
  eventually,
  Follower,
  importPersonLines,
  personLine,
  schoolAt,
  startTestSystem,
  type School,
  type TestSystem,
  registeredOperation,
} from './harness.ts';

/*
 * Signals (terugmelding, Wro art 14.1): where a school's delivery differs from the person source, or
 * a change of the person or the PGN concerns its enrollment, the school is told, live and resumably.
 */

const subscription = registeredOperation('SignalIssued.graphql');
const signalsQuery = registeredOperation('Signals.graphql');
const acknowledge = registeredOperation('AcknowledgeSignal.graphql');

type Signal = {
  id: string;
  code: string;
  field: string | null;
  deliveredValue: string | null;
  registeredValue: string | null;
  action: string;
  status: string;
  closedAt: string | null;
  enrollment: { id: string };
};
type Issued = { cursor: string; signal: Signal };

describe('signals to schools', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let serial = 0;
  const followers: Follower<Issued>[] = [];
  const sanne = bsnFor(71_001);

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    await importPersonLines(system, [personLine(sanne)]);
  });
  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.stop()));
    await eventually("the last test's subscribers to leave", () => system.system.stats().gateway?.subscribers === 0, { deadline: 5000 });
  });
  afterAll(() => system?.close());

  const follow = (at: School, after: string | null = null) => {
    const follower = new Follower<Issued>({ url: () => system.url, token: at.token, query: subscription, field: 'signalIssued', after });
    followers.push(follower);
    return follower;
  };
  /** Waits until every subscriber is live at its subgraph: what is issued after this reaches them. */
  const live = (subscribers: number) =>
    eventually(
      `${subscribers} live subscriptions`,
      () => Object.values(system.system.stats().feeds).reduce((sum, feed) => sum + feed.live, 0) === subscribers,
      { deadline: 10_000 },
    );

  async function enroll(at: School, learner: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      {
        variables: { input: enrollmentInput(at, 71_100 + ++serial, overrides, learner) },
        token: at.token,
      },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner.enrollment.id;
  }
  const signals = async (at: School, status?: string) =>
    (
      await system.query<{ signals: { edges: { node: Signal }[] } }>(signalsQuery, { variables: { status, first: 100 }, token: at.token })
    ).data!.signals.edges.map((edge) => edge.node);
  const mutate = (at: School, mutation: string, input: Record<string, unknown>) =>
    system.query<Record<string, any>>(mutation, { variables: { input: { documentId: `signals-${++serial}`, ...input } }, token: at.token });
  const changeEnrollment = 'mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { id } } }';

  it('tells the school live over WebSocket that its delivered birth date differs, again when it resumes from an older cursor, and closes it when the delivery is corrected', async () => {
    const follower = follow(a);
    await live(1);
    await enroll(a, { pgn: bsnFor(71_002) });
    await follower.until('the first signal', () => follower.items.length === 1, { deadline: 10_000 });
    const [unknown] = follower.items;
    expect(unknown!.signal).toMatchObject({ code: 'UNKNOWN_BSN', field: 'pgn', deliveredValue: bsnFor(71_002), registeredValue: null, status: 'OPEN' });

    const enrollmentId = await enroll(a, { pgn: sanne, birthDate: '2019-04-01' });
    await follower.until('the birth date signal', () => follower.items.length === 2, { deadline: 10_000 });
    const differs = follower.items[1]!.signal;
    expect(differs).toMatchObject({
      code: 'DIFFERS',
      field: 'birthDate',
      deliveredValue: '2019-04-01',
      registeredValue: '2019-03-01',
      status: 'OPEN',
      enrollment: { id: enrollmentId, learner: { pgn: sanne } },
    });
    expect(differs.action).toMatch(/corrected delivery/);

    const resumed = follow(a, unknown!.cursor);
    await resumed.until('the signal again, after the older cursor', () => resumed.items.length === 1, { deadline: 10_000 });
    expect(resumed.items.map((item) => item.signal.id)).toEqual([differs.id]);

    expect((await mutate(a, changeEnrollment, { enrollmentId, learner: { birthDate: '2019-03-01' } })).errors).toBeUndefined();
    expect((await signals(a, 'OPEN')).map((signal) => signal.id)).not.toContain(differs.id);
    expect((await signals(a)).find((signal) => signal.id === differs.id)).toMatchObject({ status: 'RESOLVED', closedAt: expect.any(String) });
  });

  it('funds by the registered birth date where the person source has one, and says so, whatever the school delivered', async () => {
    // Registered, the child turns 4 on 2027-03-01, after the count date; delivered, it is 7.
    const lisa = bsnFor(71_005);
    await importPersonLines(system, [personLine(lisa, { givenNames: 'Lisa', birthDate: '2023-03-01' })]);
    const registered = await enroll(a, { pgn: lisa, birthDate: '2019-03-01' });
    const delivered = await enroll(a, { pgn: bsnFor(71_006), birthDate: '2019-03-01' });
    const status = await system.query<{
      registered: { fundingStatus: { reasons: string[]; explanation: string } };
      delivered: { fundingStatus: { reasons: string[]; explanation: string } };
    }>(
      'query($registered: ID!, $delivered: ID!) { registered: enrollment(id: $registered) { fundingStatus(countDate: "2027-02-01") { reasons explanation } } delivered: enrollment(id: $delivered) { fundingStatus(countDate: "2027-02-01") { reasons explanation } } }',
      { variables: { registered, delivered }, token: a.token },
    );
    expect(status.data!.registered.fundingStatus.reasons).toEqual(['UNDER_FOUR']);
    expect(status.data!.registered.fundingStatus.explanation).toContain('not yet 4 on 2027-02-01 by the birth date in the person register');
    expect(status.data!.delivered.fundingStatus.reasons).toEqual([]);
    expect(status.data!.delivered.fundingStatus.explanation).toContain('by the birth date the school delivered');
  });

  it('lets the school acknowledge its open signal once; another school gets NOT_FOUND', async () => {
    // A signal of its own: the person source registers another birth date than the school delivered.
    const noor = bsnFor(71_009);
    const enrollmentId = await enroll(a, { pgn: noor });
    await importPersonLines(system, [personLine(noor, { givenNames: 'Noor', birthDate: '2018-06-01' })]);
    let open: Signal | undefined;
    await eventually(
      'the birth date signal',
      async () => (open = (await signals(a, 'OPEN')).find((signal) => signal.enrollment.id === enrollmentId)) !== undefined,
    );
    expect((await mutate(b, acknowledge, { signalId: open!.id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await mutate(a, acknowledge, { signalId: open!.id })).data!.acknowledgeSignal.signal).toMatchObject({
      id: open!.id,
      status: 'ACKNOWLEDGED',
      closedAt: expect.any(String),
    });
    expect((await mutate(a, acknowledge, { signalId: open!.id })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('signals a death the person source records to the school, and closes it when the school ends the enrollment by that day', async () => {
    const jan = bsnFor(71_003);
    await importPersonLines(system, [personLine(jan, { givenNames: 'Jan', gender: 'MALE' })]);
    const enrollmentId = await enroll(a, { pgn: jan, gender: 'MALE' });
    expect((await signals(a, 'OPEN')).filter((signal) => signal.enrollment.id === enrollmentId)).toEqual([]);
    const counts = await importPersonLines(system, [personLine(jan, { givenNames: 'Jan', gender: 'MALE', deceasedOn: '2026-11-02' })]);
    expect(counts).toMatchObject({ PersonDied: 1, signals: 1 });
    const [death] = (await signals(a, 'OPEN')).filter((signal) => signal.enrollment.id === enrollmentId);
    expect(death).toMatchObject({ code: 'DECEASED', field: null, registeredValue: '2026-11-02' });
    const ended = await mutate(a, 'mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { id } } }', {
      enrollmentId,
      endDate: '2026-11-02',
      reason: 'DECEASED',
    });
    expect(ended.errors).toBeUndefined();
    expect((await signals(a)).find((signal) => signal.id === death!.id)?.status).toBe('RESOLVED');
  });

  it('tells every other school with an enrollment under an onderwijsnummer when a BSN replaces it, and reconciles with the person', async () => {
    const identified = await mutate(a, 'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }', {
      familyName: 'Mulder',
      birthDate: '2018-06-06',
      gender: 'MALE',
      postcode: '7822HG',
    });
    const onderwijsnummer = identified.data!.identifyLearner.learner.pgn as string;
    const atA = await enroll(a, { pgn: onderwijsnummer, birthDate: '2018-06-06', gender: 'MALE', familyName: 'Mulder' }, { startDate: '2023-08-01' });
    await enroll(b, { pgn: onderwijsnummer, birthDate: '2018-06-06', gender: 'MALE', familyName: 'Mulder' }, { startDate: '2024-08-01' });
    const bsn = bsnFor(71_004);
    await importPersonLines(system, [personLine(bsn, { familyName: 'Mulder', givenNames: 'Bram', birthDate: '2018-06-07', gender: 'MALE' })]);
    const replaced = await mutate(b, 'mutation($input: ReplacePgnInput!) { replacePgn(input: $input) { learner { pgn } } }', { onderwijsnummer, bsn });
    expect(replaced.errors).toBeUndefined();
    const atAsignals = (await signals(a, 'OPEN')).filter((signal) => signal.enrollment.id === atA);
    expect(atAsignals.map(({ code, field, deliveredValue, registeredValue }) => ({ code, field, deliveredValue, registeredValue }))).toEqual(
      expect.arrayContaining([
        { code: 'PGN_REPLACED', field: 'pgn', deliveredValue: onderwijsnummer, registeredValue: bsn },
        { code: 'DIFFERS', field: 'birthDate', deliveredValue: '2018-06-06', registeredValue: '2018-06-07' },
      ]),
    );
    expect((await signals(b, 'OPEN')).some((signal) => signal.code === 'PGN_REPLACED')).toBe(false);
    const learner = await system.query<{ learner: { pgn: string; formerPgns: { pgn: string }[] } }>(
      'query($pgn: ID!) { learner(pgn: $pgn) { pgn formerPgns { pgn } } }',
      { variables: { pgn: onderwijsnummer }, token: a.token },
    );
    expect(learner.data!.learner).toEqual({ pgn: bsn, formerPgns: [{ pgn: onderwijsnummer }] });
  });
});
