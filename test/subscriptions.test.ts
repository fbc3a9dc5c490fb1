import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollmentInput, eventually, Follower, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

const noticesSubscription = `subscription Notices($after: String) {
  transferNoticeIssued(after: $after) {
    cursor
    notice { learnerPgn newStartDate newLocation { branches { name } } enrollment { id fundingStatus { outcome } } }
  }
}`;

const fundingSubscription = `subscription Funding($after: String) {
  fundingStatusChanged(after: $after) {
    cursor
    countDate
    previous { outcome }
    current { outcome reasons }
    enrollment { id branch { brin6 name } learner { pgn } }
  }
}`;

const enrollMutation = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }';

type Notice = { cursor: string; notice: { learnerPgn: string; newStartDate: string; newLocation: { branches: { name: string }[] }; enrollment: { id: string; fundingStatus: { outcome: string } | null } } };
type FundingChange = {
  cursor: string;
  countDate: string;
  previous: { outcome: string } | null;
  current: { outcome: string; reasons: string[] } | null;
  enrollment: { id: string; branch: { brin6: string; name: string }; learner: { pgn: string } };
};

describe('subscriptions through the gateway, over graphql-ws', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  let learner = 40_000;
  const followers: Follower<{ cursor: string }>[] = [];

  const follow = <Item extends { cursor: string }>(at: School, query: string, field: string, options: { after?: string | null; resume?: boolean } = {}) => {
    const follower = new Follower<Item>({ url: () => system.url, token: at.token, query, field, ...options });
    followers.push(follower);
    return follower;
  };

  const enroll = async (at: School, n: number, overrides: Record<string, unknown> = {}) => {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(enrollMutation, { variables: { input: enrollmentInput(at, n, overrides) }, token: at.token });
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner.enrollment.id;
  };

  /** Waits until every subscription the gateway holds has joined its stream's live tail. */
  const allLive = (expected: number) =>
    eventually(() => {
      const { gateway, feeds } = system.system.stats();
      const live = Object.values(feeds).reduce((sum, feed) => sum + feed.live, 0);
      return gateway?.upstreams === expected && live === expected;
    }, 10_000, `${expected} live subscriptions`);

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['16AH00', '03WU00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
  });
  afterAll(async () => {
    await Promise.all(followers.map((follower) => follower.stop()));
    await system?.close();
  });

  it("tells school A of its learners' enrollments at B with fields from three subgraphs, and school C nothing", async () => {
    const pgns = [++learner, ++learner].map(String);
    const numbers = [learner - 1, learner];
    const ids = [];
    for (const n of numbers) ids.push(await enroll(a, n));
    const noticesAtA = follow<Notice>(a, noticesSubscription, 'transferNoticeIssued');
    const fundingAtA = follow<FundingChange>(a, fundingSubscription, 'fundingStatusChanged');
    const noticesAtC = follow<Notice>(c, noticesSubscription, 'transferNoticeIssued');
    const fundingAtC = follow<FundingChange>(c, fundingSubscription, 'fundingStatusChanged');
    await allLive(4);

    for (const n of numbers) await enroll(b, n, { startDate: '2026-12-01' });

    await noticesAtA.until(() => noticesAtA.items.length === 2, 10_000, 'two notices at A');
    await fundingAtA.until(() => fundingAtA.items.length === 2, 10_000, "two of A's statuses changed");
    const name = (await system.query<{ branch: { name: string } }>('query($brin6: ID!) { branch(brin6: $brin6) { name } }', { variables: { brin6: b.brin6 } })).data!.branch.name;
    expect(noticesAtA.items.map((item) => item.notice.newLocation.branches.map((branch) => branch.name))).toEqual([[name], [name]]);
    expect(noticesAtA.items.map((item) => item.notice.enrollment.id).sort()).toEqual([...ids].sort());
    expect(noticesAtA.items.every((item) => item.notice.newStartDate === '2026-12-01' && item.notice.enrollment.fundingStatus?.outcome === 'NOT_FUNDABLE')).toBe(true);
    expect(noticesAtA.items.map((item) => item.notice.learnerPgn).sort()).toEqual(pgns.map((n) => enrollmentInput(a, Number(n)).learner.pgn).sort());
    for (const change of fundingAtA.items) {
      expect(change.enrollment.branch.brin6).toBe(a.brin6);
      expect(ids).toContain(change.enrollment.id);
      expect(change.previous).toEqual({ outcome: 'FUNDABLE' });
      expect(change.current?.outcome).toBe('NOT_FUNDABLE');
      expect(change.enrollment.branch.name).toBe("Openbare Basisschool 't Eenspan");
      expect(pgns.map((n) => enrollmentInput(a, Number(n)).learner.pgn)).toContain(change.enrollment.learner.pgn);
    }
    expect(noticesAtA.errors).toEqual([]);
    expect(fundingAtA.errors).toEqual([]);
    expect(noticesAtC.items).toEqual([]);
    expect(fundingAtC.items).toEqual([]);
  });
});
