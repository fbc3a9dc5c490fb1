import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import { compareCursors } from '../kernel/events.ts';
import type { Listening } from '../kernel/http.ts';
import { today } from '../kernel/scalars.ts';
import { signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import {
  bsnFor,
  enrollmentInput,
  eventually,
  Follower,
  importPersonLines,
  listenToSubgraph,
  personLine,
  postGraphQL,
  schoolAt,
  startTestSystem,
  type GraphQLResponse,
  type School,
  type TestSystem,
  registeredOperation,
} from './harness.ts';

/*
 * Leerplicht for municipalities (issue 19, counter-example 8): a municipality lists and follows its
 * residents' enrollments (LPW art 19), a deregistration says where the learner goes, and an
 * expulsion takes the steps of WPO art 40.11, its decision reported to the municipality (LPW art 18.1).
 * Emmen is CBS 0114 (postcode 7822 HG lies in it), Amsterdam 0363.
 */

const residentEnrollments = registeredOperation('ResidentEnrollments.graphql');
const expulsionsQuery = registeredOperation('Expulsions.graphql');
const subscription = registeredOperation('ResidentEnrollmentChanged.graphql');

const emmen = '0114';
const amsterdam = '0363';

type Listed = {
  id: string;
  endDate: string | null;
  endReason: string | null;
  destination: string | null;
  branch: { brin6: string };
  learner: { id: string; pgn: string; residence: { municipalityCode: string; source: string } };
  expulsions: { id: string; status: string; decidedOn: string | null }[];
};
type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { cursor: string; node: Listed }[] };
type Change = {
  cursor: string;
  change: string;
  learner: { id: string; pgn: string; enrollments: { id: string }[] } | null;
  enrollment: { id: string; endReason: string | null; destination: string | null } | null;
  expulsion: { id: string; status: string; decidedOn: string | null } | null;
};
type Expulsion = {
  id: string;
  status: string;
  grounds: string | null;
  decidedOn: string | null;
  receivingSchool: { school: string; destination: string; willingOn: string } | null;
  enrollment: { id: string; endReason: string | null; destination: string | null };
};

describe('leerplicht for municipalities', () => {
  let system: TestSystem;
  let a: School;
  let c: School;
  let serial = 0;
  const tokens: Record<string, string> = {};
  const followers: Follower<Change>[] = [];

  beforeAll(async () => {
    system = await startTestSystem();
    [a, c] = (await Promise.all(['16AH00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    for (const code of [emmen, amsterdam]) tokens[code] = await system.token({ role: 'MUNICIPALITY', municipality: code });
  });
  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.stop()));
    await eventually("the last test's subscribers to leave", () => system.system.stats().gateway?.subscribers === 0, { deadline: 5000 });
  });
  afterAll(() => system?.close());

  async function enroll(at: School, learner: Record<string, unknown> = {}) {
    const n = 80_000 + ++serial;
    const response = await system.query<{ enrollLearner: { enrollment: { id: string; learner: { pgn: string } } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id learner { pgn } } } }',
      { variables: { input: enrollmentInput(at, n, {}, learner) }, token: at.token },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner.enrollment;
  }
  const mutate = <Data = Record<string, any>>(at: School, mutation: string, input: Record<string, unknown>) =>
    system.query<Data>(mutation, { variables: { input: { documentId: `leerplicht-${++serial}`, ...input } }, token: at.token });
  const deregister = (at: School, input: Record<string, unknown>) =>
    mutate<{ deregisterLearner: { enrollment: { endDate: string; endReason: string; destination: string | null } } }>(
      at,
      'mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { endDate endReason destination } } }',
      input,
    );
  const list = async (code: string, variables: Record<string, unknown> = {}) => {
    const response = await system.query<{ enrollments: Page }>(residentEnrollments, { variables: { first: 100, ...variables }, token: tokens[code] });
    expect(response.errors).toBeUndefined();
    return response.data!.enrollments;
  };
  const follow = (code: string, after: string | null = null) => {
    const follower = new Follower<Change>({ url: () => system.url, token: tokens[code]!, query: subscription, field: 'residentEnrollmentChanged', after });
    followers.push(follower);
    return follower;
  };
  /** Waits until the gateway holds `subscribers` and each of its upstreams is live at the subgraph: what happens after this reaches them. */
  const live = (subscribers: number) =>
    eventually(
      `${subscribers} live subscribers`,
      () => {
        const { gateway, feeds } = system.system.stats();
        return gateway?.subscribers === subscribers && Object.values(feeds).reduce((sum, feed) => sum + feed.live, 0) === gateway.upstreams;
      },
      { deadline: 10_000 },
    );
  const expectRefused = (response: GraphQLResponse<unknown>, code: string, field?: string) =>
    expect(response.errors?.[0]?.extensions).toMatchObject(field ? { code, field } : { code });

  it("lists Emmen its residents' enrollments in pages, by the person source where it places the learner, and Amsterdam none of them", async () => {
    // Four learners the person source does not know, whose delivered postcode lies in Emmen; one it
    // places in Emmen whatever the school delivered; one it does not know, delivered as living in Amsterdam.
    const byPostcode = [];
    for (let i = 0; i < 4; i++) byPostcode.push(await enroll(c));
    const registered = bsnFor(80_900);
    await importPersonLines(system, [personLine(registered)]);
    const placed = await enroll(c, { pgn: registered, municipalityOverride: amsterdam });
    const elsewhere = await enroll(c, { municipalityOverride: amsterdam });

    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(emmen, { filter: { brin6: c.brin6 }, first: 2, after });
      expect(page.totalCount).toBe(5);
      ids.push(...page.edges.map((edge) => edge.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(ids.sort()).toEqual([...byPostcode, placed].map((each) => each.id).sort());
    const emmens = await list(emmen, { filter: { brin6: c.brin6 } });
    const { learner } = emmens.edges.find((edge) => edge.node.id === placed.id)!.node;
    expect(learner.residence).toEqual({ id: learner.id, municipalityCode: emmen, source: 'REGISTERED' });

    const amsterdams = await list(amsterdam, { filter: { brin6: c.brin6 } });
    expect(amsterdams.edges.map((edge) => edge.node.id)).toEqual([elsewhere.id]);
    // The school still lists its own, every one of them.
    const own = await system.query<{ enrollments: Page }>(residentEnrollments, { variables: { first: 100 }, token: c.token });
    expect(own.data!.enrollments.totalCount).toBe(6);
  });

  it("tells where a deregistered learner goes: the reason's default, the school's word, and no destination the reason contradicts", async () => {
    const transfer = await enroll(a);
    const refused = await deregister(a, { enrollmentId: transfer.id, endDate: '2025-03-01', reason: 'TRANSFER', destination: 'ABROAD' });
    expectRefused(refused, 'BAD_USER_INPUT', 'destination');
    const mine = await system.query<{ enrollment: { endDate: string | null } }>('query($id: ID!) { enrollment(id: $id) { endDate } }', {
      variables: { id: transfer.id },
      token: a.token,
    });
    expect(mine.data!.enrollment.endDate).toBeNull();
    expect((await deregister(a, { enrollmentId: transfer.id, endDate: '2025-03-01', reason: 'TRANSFER' })).data!.deregisterLearner.enrollment).toEqual({
      endDate: '2025-03-01',
      endReason: 'TRANSFER',
      destination: 'OTHER_SCHOOL',
    });

    const abroad = await enroll(a);
    expect(
      (await deregister(a, { enrollmentId: abroad.id, endDate: '2025-03-01', reason: 'MOVED_ABROAD' })).data!.deregisterLearner.enrollment.destination,
    ).toBe('ABROAD');
    const special = await enroll(a);
    expect(
      (await deregister(a, { enrollmentId: special.id, endDate: '2025-03-01', reason: 'OTHER', destination: 'SPECIAL_EDUCATION' })).data!.deregisterLearner
        .enrollment.destination,
    ).toBe('SPECIAL_EDUCATION');
    const other = await enroll(a);
    expectRefused(
      await deregister(a, { enrollmentId: other.id, endDate: '2025-03-01', reason: 'MOVED_ABROAD', destination: 'OTHER_SCHOOL' }),
      'BAD_USER_INPUT',
      'destination',
    );
    expectRefused(
      await deregister(a, { enrollmentId: other.id, endDate: '2025-03-01', reason: 'DECEASED', destination: 'UNKNOWN' }),
      'BAD_USER_INPUT',
      'destination',
    );
    expectRefused(await deregister(a, { enrollmentId: other.id, endDate: '2025-03-01', reason: 'EXPELLED' }), 'BAD_USER_INPUT', 'reason');
    expect((await deregister(a, { enrollmentId: other.id, endDate: '2025-03-01', reason: 'OTHER' })).data!.deregisterLearner.enrollment.destination).toBe(
      'UNKNOWN',
    );

    // Emmen reads the deregistrations of its residents with where each goes.
    const deregistered = await list(emmen, { filter: { brin6: a.brin6, deregistered: true } });
    const destinations = new Map(deregistered.edges.map((edge) => [edge.node.id, edge.node.destination]));
    expect([transfer, abroad, special, other].map((each) => destinations.get(each.id))).toEqual(['OTHER_SCHOOL', 'ABROAD', 'SPECIAL_EDUCATION', 'UNKNOWN']);
    expect(deregistered.edges.every((edge) => edge.node.endDate !== null)).toBe(true);
  });

  it('lets Emmen follow its residents live and resume after a break with exactly what it missed, in order; Amsterdam is told nothing of them', async () => {
    const witness = follow(emmen);
    const subscriber = follow(emmen);
    const elsewhere = follow(amsterdam);
    await live(3);
    const first = await enroll(a);
    await subscriber.until('the first change', () => subscriber.items.length === 1);
    await subscriber.stop();
    const last = subscriber.lastCursor!;

    expect((await deregister(a, { enrollmentId: first.id, endDate: '2025-03-01', reason: 'OTHER' })).errors).toBeUndefined();
    const second = await enroll(a);
    const third = await enroll(a);
    await witness.until('four changes at the witness', () => witness.items.length === 4);

    const resumed = follow(emmen, last);
    await resumed.until('the three missed changes', () => resumed.items.length === 3);
    expect(resumed.items.map((item) => item.cursor)).toEqual(witness.items.slice(1).map((item) => item.cursor));
    expect(resumed.items.map((item) => [item.change, item.enrollment?.id])).toEqual([
      ['DEREGISTERED', first.id],
      ['ENROLLED', second.id],
      ['ENROLLED', third.id],
    ]);
    expect(resumed.items[0]!.enrollment).toMatchObject({ endReason: 'OTHER', destination: 'UNKNOWN' });

    // The seam: the next change comes once, right after the replayed ones.
    const fourth = await enroll(a);
    await witness.until('the live change at the witness', () => witness.items.length === 5);
    await resumed.until('the live change after the replayed ones', () => resumed.items.length === 4);
    expect(resumed.items.map((item) => item.cursor)).toEqual(witness.items.slice(1).map((item) => item.cursor));
    expect(resumed.items.every((item, i) => i === 0 || compareCursors(resumed.items[i - 1]!.cursor, item.cursor) < 0)).toBe(true);
    expect(resumed.items.at(-1)!.enrollment!.id).toBe(fourth.id);

    // Amsterdam hears of its own resident only.
    const theirs = await enroll(a, { municipalityOverride: amsterdam });
    await elsewhere.until("Amsterdam's resident", () => elsewhere.items.length === 1);
    expect(elsewhere.items.map((item) => [item.change, item.enrollment?.id])).toEqual([['ENROLLED', theirs.id]]);
    expect([witness, resumed, elsewhere].flatMap((follower) => follower.errors)).toEqual([]);
  });

  it("moves a learner's enrollments to the municipality they move to: it is told and lists them, the one they left no longer sees them", async () => {
    const bsn = bsnFor(80_950);
    await importPersonLines(system, [personLine(bsn)]);
    const before = follow(emmen);
    const arriving = follow(amsterdam);
    await live(2);
    const marker = await enroll(a);
    await before.until('the marker', () => before.items.length === 1);
    const moving = await enroll(a, { pgn: bsn });
    await before.until("the mover's enrollment", () => before.items.length === 2);

    await importPersonLines(system, [personLine(bsn, { municipalityCode: amsterdam, postcode: '1012AB' })]);
    await arriving.until('the move in', () => arriving.items.length === 1);
    expect(arriving.items[0]).toMatchObject({ change: 'MOVED_IN', enrollment: null, learner: { pgn: bsn, enrollments: [{ id: moving.id }] } });
    expect((await list(amsterdam)).edges.map((edge) => edge.node.id)).toContain(moving.id);
    expect((await list(emmen)).edges.map((edge) => edge.node.id)).not.toContain(moving.id);

    // Emmen, following again from before, is told it happened, but no longer sees the learner.
    const again = follow(emmen, before.items[0]!.cursor);
    await again.until("the mover's enrollment again", () => again.items.length === 1);
    expect(again.items[0]).toMatchObject({ change: 'ENROLLED', learner: null, enrollment: null });
    expect(marker.id).not.toBe(moving.id);
  });

  describe('an expulsion (WPO art 40.11)', () => {
    const intend = (enrollmentId: string) =>
      mutate<{ intendExpulsion: { expulsion: { id: string; status: string } } }>(
        a,
        'mutation($input: IntendExpulsionInput!) { intendExpulsion(input: $input) { expulsion { id status } } }',
        { enrollmentId, grounds: 'Herhaald ernstig geweld tegen medeleerlingen' },
      );
    const hear = (expulsionId: string, heard: string, heardOn: string) =>
      mutate(a, 'mutation($input: RecordExpulsionHearingInput!) { recordExpulsionHearing(input: $input) { expulsion { id } } }', {
        expulsionId,
        heard,
        heardOn,
      });
    const decide = (expulsionId: string, decidedOn: string) =>
      mutate(a, 'mutation($input: DecideExpulsionInput!) { decideExpulsion(input: $input) { expulsion { status decidedOn } } }', { expulsionId, decidedOn });
    const execute = (expulsionId: string, input: Record<string, unknown>) =>
      mutate<{ executeExpulsion: { expulsion: { status: string }; enrollment: { endDate: string; endReason: string; destination: string } } }>(
        a,
        'mutation($input: ExecuteExpulsionInput!) { executeExpulsion(input: $input) { expulsion { status } enrollment { endDate endReason destination } } }',
        { expulsionId, ...input },
      );
    const withdraw = (expulsionId: string) =>
      mutate(a, 'mutation($input: WithdrawExpulsionInput!) { withdrawExpulsion(input: $input) { expulsion { status } } }', { expulsionId });
    const expulsions = async (token: string) =>
      (await system.query<{ expulsions: { edges: { node: Expulsion }[] } }>(expulsionsQuery, { variables: { first: 100 }, token })).data!.expulsions.edges.map(
        (edge) => edge.node,
      );
    const day = (offset: number) => addDays(today(), offset);
    const receiving = { destination: 'SPECIAL_EDUCATION', school: '00AA00 De Boei (so)', willingOn: day(-3) };

    it('takes its steps in order, refuses them out of order, tells Emmen of the decision, and ends the enrollment as EXPELLED', async () => {
      const enrollment = await enroll(a);
      const followed = follow(emmen);
      await live(1);
      const intended = (await intend(enrollment.id)).data!.intendExpulsion.expulsion;
      expect(intended.status).toBe('INTENDED');
      expectRefused(await intend(enrollment.id), 'CONFLICT', 'enrollmentId');
      // An intention is the school's: Emmen does not see it.
      expect((await expulsions(tokens[emmen]!)).map((each) => each.id)).not.toContain(intended.id);

      expectRefused(await decide(intended.id, day(-5)), 'CONFLICT', 'expulsionId');
      expectRefused(await execute(intended.id, { endDate: day(-1), receivingSchool: receiving }), 'CONFLICT', 'expulsionId');
      expect((await hear(intended.id, 'GROUP_TEACHER', day(-10))).errors).toBeUndefined();
      expectRefused(await hear(intended.id, 'PARENTS', day(1)), 'BAD_USER_INPUT', 'heardOn');
      const parentsMissing = await decide(intended.id, day(-5));
      expectRefused(parentsMissing, 'CONFLICT', 'expulsionId');
      expect(parentsMissing.errors![0]!.message).toContain('the parents');
      expect((await hear(intended.id, 'PARENTS', day(-9))).errors).toBeUndefined();
      expect((await decide(intended.id, day(-5))).data).toEqual({ decideExpulsion: { expulsion: { status: 'DECIDED', decidedOn: day(-5) } } });
      expectRefused(await hear(intended.id, 'PARENTS', day(-4)), 'CONFLICT', 'expulsionId');

      // The decision reaches Emmen at once (LPW art 18.1), not Amsterdam; the grounds stay the school's.
      await followed.until('the decision', () => followed.items.length === 1);
      expect(followed.items[0]).toMatchObject({
        change: 'EXPULSION_DECIDED',
        enrollment: { id: enrollment.id },
        expulsion: { id: intended.id, status: 'DECIDED', decidedOn: day(-5) },
      });
      expect((await expulsions(tokens[emmen]!)).find((each) => each.id === intended.id)).toMatchObject({ status: 'DECIDED', grounds: null });
      expect((await expulsions(tokens[amsterdam]!)).map((each) => each.id)).not.toContain(intended.id);
      expect((await expulsions(a.token)).find((each) => each.id === intended.id)!.grounds).toBe('Herhaald ernstig geweld tegen medeleerlingen');

      // Definitive only once another school is willing to admit the learner.
      expectRefused(await execute(intended.id, { endDate: day(-1) }), 'CONFLICT', 'receivingSchool');
      expectRefused(
        await execute(intended.id, { endDate: day(-1), receivingSchool: { ...receiving, destination: 'ABROAD' } }),
        'BAD_USER_INPUT',
        'receivingSchool.destination',
      );
      expectRefused(await execute(intended.id, { endDate: day(-4), receivingSchool: receiving }), 'BAD_USER_INPUT', 'endDate');
      const executed = (await execute(intended.id, { endDate: day(-1), receivingSchool: receiving })).data!.executeExpulsion;
      expect(executed).toEqual({
        expulsion: { status: 'EXECUTED' },
        enrollment: { endDate: day(-1), endReason: 'EXPELLED', destination: 'SPECIAL_EDUCATION' },
      });
      expectRefused(await withdraw(intended.id), 'CONFLICT', 'expulsionId');
      expectRefused(await intend(enrollment.id), 'CONFLICT', 'enrollmentId');

      await followed.until('the deregistration', () => followed.items.length === 2);
      expect(followed.items[1]).toMatchObject({
        change: 'DEREGISTERED',
        enrollment: { id: enrollment.id, endReason: 'EXPELLED', destination: 'SPECIAL_EDUCATION' },
      });
      expect((await expulsions(tokens[emmen]!)).find((each) => each.id === intended.id)).toMatchObject({
        status: 'EXECUTED',
        receivingSchool: receiving,
        enrollment: { endReason: 'EXPELLED', destination: 'SPECIAL_EDUCATION' },
      });
    });

    it('tells Emmen of a decided expulsion that is withdrawn, and nothing of one withdrawn before the decision', async () => {
      const [early, late] = [await enroll(a), await enroll(a)];
      const followed = follow(emmen);
      await live(1);
      const dropped = (await intend(early.id)).data!.intendExpulsion.expulsion.id;
      expect((await withdraw(dropped)).errors).toBeUndefined();
      const decided = (await intend(late.id)).data!.intendExpulsion.expulsion.id;
      for (const heard of ['GROUP_TEACHER', 'PARENTS']) expect((await hear(decided, heard, day(-2))).errors).toBeUndefined();
      expect((await decide(decided, day(-1))).errors).toBeUndefined();
      expect((await withdraw(decided)).errors).toBeUndefined();
      await followed.until('the decision and its withdrawal', () => followed.items.length === 2);
      // Each change shows the expulsion as it stands when it is delivered.
      expect(followed.items.map((item) => [item.change, item.expulsion?.id])).toEqual([
        ['EXPULSION_DECIDED', decided],
        ['EXPULSION_WITHDRAWN', decided],
      ]);
      expect(followed.items[1]!.expulsion!.status).toBe('WITHDRAWN');
      const emmens = await list(emmen, { filter: { brin6: a.brin6, deregistered: false } });
      expect(emmens.edges.find((edge) => edge.node.id === early.id)!.node.expulsions).toEqual([]);
      expect(emmens.edges.find((edge) => edge.node.id === late.id)!.node.expulsions).toEqual([{ id: decided, status: 'WITHDRAWN', decidedOn: day(-1) }]);
    });
  });

  describe('the learners subgraph reached directly', () => {
    let direct: Listening;
    beforeAll(async () => {
      direct = await listenToSubgraph(system, 'learners');
    });
    afterAll(() => direct?.close());

    /** Asks the learners subgraph itself, past the gateway, as the gateway would. */
    const askDirectly = async <Data>(viewer: Viewer, query: string, variables?: Record<string, unknown>) =>
      postGraphQL<Data>(direct.url, query, variables, null, { [viewerHeader]: await signViewerAssertion(viewer, system.config.viewerSecret, 'learners') });

    it("gives Amsterdam none of Emmen's residents' enrollments or expulsions, in lists or by reference", async () => {
      const enrollment = await enroll(a);
      const lists = '{ enrollments(first: 500) { edges { node { id } } } expulsions(first: 500) { totalCount } }';
      const byReference =
        'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Enrollment { id destination expulsions { id } } } }';
      const representations = [{ __typename: 'Enrollment', id: enrollment.id }];
      type Lists = { enrollments: { edges: { node: { id: string } }[] }; expulsions: { totalCount: number } };

      const atEmmen = await askDirectly<Lists>({ role: 'MUNICIPALITY', municipality: emmen }, lists);
      expect(atEmmen.data!.enrollments.edges.map((edge) => edge.node.id)).toContain(enrollment.id);
      const atAmsterdam = await askDirectly<Lists>({ role: 'MUNICIPALITY', municipality: amsterdam }, lists);
      expect(atAmsterdam.errors).toBeUndefined();
      expect(atAmsterdam.data!.enrollments.edges.map((edge) => edge.node.id)).not.toContain(enrollment.id);
      expect(atAmsterdam.data!.expulsions.totalCount).toBe(0);

      const referenced = (viewer: Viewer) => askDirectly<{ _entities: unknown[] }>(viewer, byReference, { representations });
      expect((await referenced({ role: 'MUNICIPALITY', municipality: emmen })).data!._entities).toEqual([
        { id: enrollment.id, destination: null, expulsions: [] },
      ]);
      expect((await referenced({ role: 'MUNICIPALITY', municipality: amsterdam })).data!._entities).toEqual([null]);
    });
  });
});
