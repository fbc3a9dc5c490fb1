import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentId } from '../gateway/trusted.ts';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { silentLogger } from '../kernel/logging.ts';
import { readConfig } from '../kernel/config.ts';
import type { Listening } from '../kernel/http.ts';
import { issueToken, signViewerAssertion, viewerHeader } from '../kernel/viewer.ts';
import { freshDatabaseUrl, listenToSubgraph, postGraphQL, startTestSystem, type GraphQLResponse, type TestSystem, registeredOperation } from './harness.ts';

const branchQuery = registeredOperation('Branch.graphql');
const pageQuery = registeredOperation('Branches.graphql');

type Page = {
  branches: {
    totalCount: number;
    edges: { node: { brin6: string; name: string; address: { municipality: { code: string } }; provider: { board: { code: string } } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

describe('the gateway over the institutions subgraph', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(() => system?.close());

  async function allPages(filter: Record<string, unknown>, first: number) {
    const nodes: Page['branches']['edges'][number]['node'][] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const { data, errors }: GraphQLResponse<Page> = await system.query<Page>(pageQuery, { variables: { filter, first, after } });
      expect(errors).toBeUndefined();
      nodes.push(...data!.branches.edges.map((edge) => edge.node));
      after = data!.branches.pageInfo.hasNextPage ? data!.branches.pageInfo.endCursor : null;
      pages++;
    } while (after);
    return { nodes, pages };
  }

  it("returns branch 16AH00, 't Eenspan in Emmen, with its provider, board and location codes", async () => {
    const { data, errors } = await system.query(branchQuery, { variables: { brin6: '16AH00' } });
    expect(errors).toBeUndefined();
    // Each object with the id a client's cache knows it by (README, Clients): its code, or its location's for an address.
    expect(data!.branch).toEqual({
      id: '16AH00',
      brin6: '16AH00',
      name: "Openbare Basisschool 't Eenspan",
      isMainBranch: true,
      startDate: null,
      endDate: null,
      address: {
        id: '646X831',
        street: 'Oosterstraat',
        houseNumber: '58',
        postcode: '7822HG',
        city: 'EMMEN',
        municipality: { id: '0114', code: '0114', name: 'EMMEN' },
      },
      provider: {
        id: '010A823',
        code: '010A823',
        brin4: '16AH',
        name: "Openbare Basisschool 't Eenspan",
        board: { id: '042B830', code: '042B830', competentAuthorityNumber: '42830' },
      },
      location: { id: '646X831', code: '646X831', address: { id: '646X831', postcode: '7822HG' } },
      offeredProgrammes: [{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), kind: 'BASISONDERWIJS', name: 'Basisonderwijs' }],
    });
  });

  it("pages through one municipality's schools without gaps or repeats", async () => {
    const { data } = await system.query<Page>(pageQuery, { variables: { filter: { municipalityCode: '114' }, first: 1 } });
    const total = data!.branches.totalCount;
    expect(total).toBe(51);
    const { nodes, pages } = await allPages({ municipalityCode: '0114' }, 20);
    expect(pages).toBe(3);
    expect(new Set(nodes.map((node) => node.brin6)).size).toBe(total);
    expect(nodes.every((node) => node.address.municipality.code === '0114')).toBe(true);
    expect(nodes.map((node) => node.brin6)).toEqual([...nodes.map((node) => node.brin6)].sort());
  });

  it('filters branches by board and by part of the name', async () => {
    const byBoard = await allPages({ boardCode: '032B073' }, 50);
    expect(byBoard.nodes).toHaveLength(28);
    expect(byBoard.nodes.every((node) => node.provider.board.code === '032B073')).toBe(true);
    const byName = await allPages({ name: 'eenspan', municipalityCode: '0114' }, 50);
    expect(byName.nodes.map((node) => node.brin6)).toEqual(['16AH00']);
  });

  it('answers null for a branch the register does not know', async () => {
    const { data, errors } = await system.query(branchQuery, { variables: { brin6: '99ZZ99' } });
    expect(errors).toBeUndefined();
    expect(data!.branch).toBeNull();
  });

  it('refuses a malformed BRIN6 with BAD_USER_INPUT naming the argument', async () => {
    const { errors } = await system.query(branchQuery, { variables: { brin6: '16AH0' } });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'brin6' });
  });

  it('refuses a page size above the maximum', async () => {
    const { errors } = await system.query(pageQuery, { variables: { first: 1000 } });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it.each([
    [
      'names an operation the document does not hold',
      { query: '{ branch(brin6: "16AH00") { name } }', operationName: 'Missing' },
      'no operation named "Missing"',
    ],
    [
      'holds several operations and names none',
      { query: 'query A { branch(brin6: "16AH00") { name } } query B { branch(brin6: "16AH00") { brin6 } }' },
      'name the one to run in operationName',
    ],
  ])('refuses a request that %s with OPERATION_RESOLUTION_FAILURE (400)', async (_, body, says) => {
    const response = await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await system.token({ role: 'OPERATOR' })}` },
      body: JSON.stringify(body),
    });
    const { data, errors } = (await response.json()) as GraphQLResponse<unknown>;
    expect(response.status).toBe(400);
    expect(data ?? null).toBeNull();
    expect(errors?.[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
    expect(errors?.[0]?.message).toContain(says);
  });

  it('answers UNAUTHENTICATED to a request without a token, or with a forged one', async () => {
    for (const token of [null, 'not-a-token', `${await system.token({ role: 'OPERATOR' })}x`]) {
      const response = await system.query(branchQuery, { variables: { brin6: '16AH00' }, token });
      expect(response.status).toBe(401);
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('lets every role read RIO data', async () => {
    const viewers = [
      { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' },
      { role: 'MUNICIPALITY', municipality: '0114' },
      { role: 'BOARD', board: '042B830' },
    ] as const;
    for (const viewer of viewers) {
      const { data, errors } = await system.query(branchQuery, { variables: { brin6: '16AH00' }, token: await system.token(viewer) });
      expect(errors).toBeUndefined();
      expect((data!.branch as { brin6: string }).brin6).toBe('16AH00');
    }
  });

  describe('bad input a client can send: a catalogued code, never INTERNAL_SERVER_ERROR', () => {
    const key = (value: string) => Buffer.from(`${value}|00000000-0000-4000-8000-000000000000`, 'utf8').toString('base64url');
    it.each([
      ['enrollments', 'a key that is no day', key('notadate')],
      ['enrollments', 'a day in year 0000', key('0000-01-01')],
      ['enrollments', 'a day that does not exist', key('2024-02-30')],
      ['transferNotices', 'a moment in year 0000', key('0000-01-01T00:00:00.000Z')],
      ['transferNotices', 'a moment not written as a page writes it', key('1')],
      ['absenceReports', 'a moment before year 0000', key('-000001-01-01T00:00:00.000Z')],
      ['exemptions', 'a moment in year 0000', key('0000-12-31T23:59:59.999Z')],
      ['branches', 'a NUL character', Buffer.from('\u0000', 'utf8').toString('base64url')],
    ])('refuses a %s page cursor holding %s with BAD_USER_INPUT naming after', async (field, _, after) => {
      const response = await system.query(`query($after: String) { ${field}(after: $after) { totalCount } }`, { variables: { after } });
      expect(response.errors).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^The cursor is malformed/), extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
      ]);
    });

    it('refuses a day in year 0000, which the database cannot hold, with BAD_USER_INPUT', async () => {
      const response = await system.query('{ enrollments(filter: { activeOn: "0000-01-01" }) { totalCount } }');
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    const persisted = (persistedQuery: Record<string, unknown>) =>
      fetch(system.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: branchQuery, variables: { brin6: '16AH00' }, extensions: { persistedQuery } }),
      }).then(async (response) => ({ ...((await response.json()) as Omit<GraphQLResponse<unknown>, 'status'>), status: response.status }));
    let token: string;
    beforeAll(async () => (token = await system.token({ role: 'OPERATOR' })));

    it('refuses a persisted query whose hash is not the SHA-256 of its text with BAD_REQUEST (400)', async () => {
      const response = await persisted({ version: 1, sha256Hash: '0'.repeat(64) });
      expect([response.status, response.errors]).toEqual([400, [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }]]);
    });

    it('refuses a persisted query of another version than 1 with BAD_REQUEST (400)', async () => {
      const response = await persisted({ version: 2, sha256Hash: documentId(branchQuery) });
      expect([response.status, response.errors]).toEqual([400, [{ message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } }]]);
    });
  });

  describe('a subgraph reached directly', () => {
    let subgraph: Listening;
    beforeAll(async () => {
      subgraph = await listenToSubgraph(system, 'institutions');
    });
    afterAll(() => subgraph?.close());

    const query = '{ branch(brin6: "16AH00") { name } }';

    it("refuses a request without the gateway's signed viewer, even with a valid bearer token", async () => {
      const response = await postGraphQL(subgraph.url, query, undefined, await system.token({ role: 'OPERATOR' }));
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.data ?? null).toBeNull();
    });

    it('refuses a viewer signed with another secret', async () => {
      const forged = await signViewerAssertion({ role: 'OPERATOR' }, 'a secret that is not the register viewer secret at all', 'institutions');
      const response = await postGraphQL(subgraph.url, query, undefined, null, { [viewerHeader]: forged });
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses an operationName the document does not hold with OPERATION_RESOLUTION_FAILURE (400)', async () => {
      const assertion = await signViewerAssertion({ role: 'OPERATOR' }, system.config.viewerSecret, 'institutions');
      const response = await fetch(subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [viewerHeader]: assertion },
        body: JSON.stringify({ query, operationName: 'Missing' }),
      });
      const { errors } = (await response.json()) as GraphQLResponse<unknown>;
      expect([response.status, errors?.[0]?.extensions?.code]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);
    });

    it('serves a request that carries the signed viewer', async () => {
      const assertion = await signViewerAssertion({ role: 'OPERATOR' }, system.config.viewerSecret, 'institutions');
      const response = await postGraphQL(subgraph.url, query, undefined, null, { [viewerHeader]: assertion });
      expect(response.data).toEqual({ branch: { name: "Openbare Basisschool 't Eenspan" } });
    });
  });
});

describe.runIf(Boolean(process.env.DATABASE_URL))('distributed: the gateway and each subgraph as separate servers on PostgreSQL', () => {
  it('serves a query across subgraphs through a gateway that calls them over HTTP', async () => {
    const fresh = await freshDatabaseUrl();
    const base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0' };
    const running: RunningSystem[] = [];
    try {
      // In the order the README gives: each process reads the streams of those before it.
      for (const name of ['institutions', 'learners', 'funding', 'absence'])
        running.push(await startSystem(readConfig({ ...base, SERVE: name }), { logger: silentLogger }));
      const urls = running.map((server) => `${server.serve}=${server.url}`).join(',');
      const gateway = await startSystem(readConfig({ ...base, SERVE: 'gateway', SUBGRAPH_URLS: urls }), { logger: silentLogger });
      running.push(gateway);
      const token = await issueToken({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' }, readConfig(base).tokenSecret);
      const enrolled = await postGraphQL<{ enrollLearner: { enrollment: { branch: { name: string }; fundingStatus: { outcome: string } } } }>(
        gateway.url,
        'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { branch { name } fundingStatus { outcome } } } }',
        {
          input: {
            documentId: 'distributed-1',
            learner: { pgn: '111222333', birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822HG' },
            providerCode: '010A823',
            locationCode: '646X831',
            offeredProgrammeId: '5cbfc5b3-130a-52b4-b91b-6764dbc69471',
            startDate: '2024-08-01',
            group: 2,
            schoolEnrollmentNumber: 'D1',
          },
        },
        token,
      );
      expect(enrolled.errors).toBeUndefined();
      expect(enrolled.data).toEqual({
        enrollLearner: { enrollment: { branch: { name: "Openbare Basisschool 't Eenspan" }, fundingStatus: { outcome: 'FUNDABLE' } } },
      });
    } finally {
      for (const server of running.reverse()) await server.close();
      await fresh.drop();
    }
  });
});
