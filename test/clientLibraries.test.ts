import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { Client as UrqlClient, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { getNamedType, isObjectType, Kind, OperationTypeNode, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSchemaOf, readOperations } from '../gateway/composition.ts';
import type { AcknowledgeTransferMutation, EnrollLearnerMutation, TransferNoticeIssuedSubscription, TransferNoticesQuery } from '../schema/operations.ts';
import { projectRoot } from '../kernel/config.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { signViewerAssertion, viewerHeader } from '../kernel/viewer.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';
import { today } from '../kernel/scalars.ts';
import { enrollmentInput, eventually, listenToSubgraph, registeredOperation, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/*
 * The two clients vendors use most, at their defaults, against the real system: Apollo Client with
 * its default InMemoryCache (normalised by __typename and id) and urql with the exchanges its
 * documentation starts with (cacheExchange, fetchExchange: queries as GET), each with graphql-ws for
 * subscriptions, configured as the README's Clients section says. They run the journeys of
 * docs/clients: enrolling, a transfer, funding, absence and RIO lookups.
 */

let system: TestSystem;
let oldSchool: School; // 16BX00: the school a learner leaves
let newSchool: School; // 16AH00: the README's school, where the learner enrolls next
let municipalityToken: string;
let operatorToken: string;
let learner = 40_000;

beforeAll(async () => {
  system = await startTestSystem();
  [oldSchool, newSchool] = await Promise.all([schoolAt(system, '16BX00'), schoolAt(system, '16AH00')]);
  municipalityToken = await system.token({ role: 'MUNICIPALITY', municipality: '0114' });
  operatorToken = await system.token({ role: 'OPERATOR' });
}, 120_000);
afterAll(async () => {
  await system?.close();
});

/** A registered operation's text (schema/operations), as a vendor's client sends it. */
const operation = (name: string) => registeredOperation(`${name}.graphql`);

const wsUrl = () => system.url.replace(/^http/, 'ws');

/** The close codes of a refused token (README, Clients): connecting again with the same token is refused again. */
const tokenRefused = [4401, 4403];

/** A graphql-ws client as the README sets it up: a refused token is fatal, anything else is retried. */
function wsClient(token: string, attempts?: { count: number }): WsClient {
  return createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    shouldRetry: (closeOrError) => !tokenRefused.includes((closeOrError as { code?: number }).code ?? 0),
    on: { connecting: () => void (attempts && attempts.count++) },
  });
}

/** What each client library does for a journey: send a query or mutation as `token`, or subscribe. */
interface Library {
  query<Data>(token: string, document: string, variables?: Record<string, unknown>): Promise<Data>;
  mutate<Data>(token: string, document: string, variables?: Record<string, unknown>): Promise<Data>;
  subscribe<Data>(token: string, document: string, variables: Record<string, unknown>, next: (data: Data) => void): () => void;
  close(): void;
}

/** Apollo Client 4 with its default cache: HTTP for queries and mutations, GraphQLWsLink for subscriptions. */
function apollo(): Library & { client(token: string): ApolloClient } {
  const clients = new Map<string, { client: ApolloClient; ws: WsClient }>();
  const clientFor = (token: string) => {
    let made = clients.get(token);
    if (!made) {
      const ws = wsClient(token);
      const link = ApolloLink.split(
        ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
        new GraphQLWsLink(ws),
        new HttpLink({ uri: system.url, headers: { authorization: `Bearer ${token}` } }),
      );
      made = { client: new ApolloClient({ link, cache: new InMemoryCache() }), ws };
      clients.set(token, made);
    }
    return made.client;
  };
  return {
    client: clientFor,
    query: async (token, document, variables) => (await clientFor(token).query({ query: gql(document), variables })).data as never,
    mutate: async (token, document, variables) => (await clientFor(token).mutate({ mutation: gql(document), variables })).data as never,
    subscribe: (token, document, variables, next) => {
      const subscription = clientFor(token)
        .subscribe({ query: gql(document), variables })
        .subscribe({ next: (result) => result.data && next(result.data as never) });
      return () => subscription.unsubscribe();
    },
    close: () => {
      for (const { client, ws } of clients.values()) {
        client.stop();
        void ws.dispose();
      }
    },
  };
}

/**
 * urql with its documented default exchanges: queries go as GET (preferGetMethod 'within-url-limit'),
 * mutations as POST; `methods` records what each request went as.
 */
function urql(): Library & { methods: string[] } {
  const methods: string[] = [];
  const clients = new Map<string, { client: UrqlClient; ws: WsClient }>();
  const clientFor = (token: string) => {
    let made = clients.get(token);
    if (!made) {
      const ws = wsClient(token);
      const client = new UrqlClient({
        url: system.url,
        fetchOptions: { headers: { authorization: `Bearer ${token}` } },
        // Only to see which method each request went as; the request itself is urql's own.
        fetch: (input, init) => (methods.push(init?.method ?? 'GET'), fetch(input, init)),
        exchanges: [
          cacheExchange,
          fetchExchange,
          subscriptionExchange({
            forwardSubscription: (request) => ({
              subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
            }),
          }),
        ],
      });
      made = { client, ws };
      clients.set(token, made);
    }
    return made.client;
  };
  const answer = <Data>(result: { data?: unknown; error?: Error }) => {
    if (result.error) throw result.error;
    return result.data as Data;
  };
  return {
    methods,
    query: async (token, document, variables) =>
      answer(
        await clientFor(token)
          .query(document, variables ?? {})
          .toPromise(),
      ),
    mutate: async (token, document, variables) =>
      answer(
        await clientFor(token)
          .mutation(document, variables ?? {})
          .toPromise(),
      ),
    subscribe: (token, document, variables, next) => {
      const { unsubscribe } = clientFor(token)
        .subscription(document, variables)
        .subscribe((result) => result.data && next(result.data as never));
      return unsubscribe;
    },
    close: () => {
      for (const { ws } of clients.values()) void ws.dispose();
    },
  };
}

// The answers' types, generated from the registered operations (README, "Typed operations").
type Enrolled = EnrollLearnerMutation;

/** The journeys of docs/clients, through one library; each asserts what the journey's example prints. */
function journeys(name: string, library: () => Library & { methods?: string[] }) {
  describe(name, () => {
    let client: Library & { methods?: string[] };
    beforeAll(() => {
      client = library();
    });
    afterAll(() => client.close());

    const enroll = (at: School, n: number, startDate = '2024-08-01') =>
      client.mutate<Enrolled>(at.token, operation('EnrollLearner'), { input: enrollmentInput(at, n, { startDate }) });

    it('1. enrolls a learner; the answer carries its branch and provisional funding status, with their ids', async () => {
      const n = ++learner;
      const { enrollLearner } = await enroll(newSchool, n);
      expect(enrollLearner.enrollment).toMatchObject({
        branch: { id: '16AH00', brin6: '16AH00' },
        fundingStatus: { id: `${enrollLearner.enrollment.id}/${currentCountDate(today())}`, outcome: 'FUNDABLE', phase: 'PROVISIONAL', reasons: [] },
      });
      expect(enrollLearner.learner).toMatchObject({ pgn: enrollmentInput(newSchool, n).learner.pgn, residence: { municipalityCode: '0114' } });
    });

    it('2. a transfer: the old school hears of it live (a subscription), reads the notice and handles it, ending its enrollment', async () => {
      const n = ++learner;
      const pgn = enrollmentInput(oldSchool, n).learner.pgn;
      const atOld = await enroll(oldSchool, n);
      const heard: TransferNoticeIssuedSubscription[] = [];
      await eventually('no subscriber of another test left', () => (system.system.stats().gateway?.subscribers ?? 0) === 0);
      const stop = client.subscribe(oldSchool.token, operation('TransferNoticeIssued'), { after: null }, (data: (typeof heard)[number]) => heard.push(data));
      try {
        // Live at the gateway and at the learners subgraph's feed: from now on, the notice reaches it.
        await eventually(
          'the subscription to start',
          () => system.system.stats().gateway?.subscribers === 1 && system.system.stats().feeds.learners?.live === 1,
        );
        await enroll(newSchool, n, '2026-12-01');
        await eventually('the notice, live', () => heard.some((event) => event.transferNoticeIssued.notice.learnerPgn === pgn), { deadline: 30_000 });
      } finally {
        stop();
      }
      const live = heard.find((event) => event.transferNoticeIssued.notice.learnerPgn === pgn)!.transferNoticeIssued.notice;
      expect(live).toMatchObject({ status: 'OPEN', proposedEndDate: '2026-11-30', enrollment: { id: atOld.enrollLearner.enrollment.id } });

      const { transferNotices } = await client.query<TransferNoticesQuery>(oldSchool.token, operation('TransferNotices'), {
        status: 'OPEN',
        first: 100,
      });
      const notice = transferNotices.edges.map((edge) => edge.node).find((each) => each.learnerPgn === pgn)!;
      expect(notice.id).toBe(live.id);
      const { acknowledgeTransfer } = await client.mutate<AcknowledgeTransferMutation>(oldSchool.token, operation('AcknowledgeTransfer'), {
        input: { documentId: `acknowledge-${n}`, noticeId: notice.id },
      });
      expect(acknowledgeTransfer.notice.status).toBe('HANDLED');
      expect(acknowledgeTransfer.enrollment).toMatchObject({ endDate: '2026-11-30', endReason: 'TRANSFER' });
    }, 60_000);

    it("3. funding: the school's enrollments with their statuses, and its counts", async () => {
      const n = ++learner;
      const { enrollLearner } = await enroll(newSchool, n);
      const { enrollments } = await client.query<{ enrollments: { edges: { node: { id: string; fundingStatus: { id: string; outcome: string } } }[] } }>(
        newSchool.token,
        operation('SchoolEnrollments'),
        { first: 500 },
      );
      expect(enrollments.edges.map((edge) => edge.node).find((node) => node.id === enrollLearner.enrollment.id)?.fundingStatus).toMatchObject({
        id: enrollLearner.enrollment.fundingStatus!.id,
        outcome: 'FUNDABLE',
      });
      const { fundingCounts } = await client.query<{ fundingCounts: { id: string; code: string; counted: number }[] }>(
        newSchool.token,
        'query Counts { fundingCounts(groupBy: BRANCH) { id countDate code counted notCounted byReason { id reason enrollments } } }',
      );
      expect(fundingCounts).toEqual([expect.objectContaining({ id: `${currentCountDate(today())}/BRANCH/16AH00`, code: '16AH00' })]);
      expect(fundingCounts[0]!.counted).toBeGreaterThanOrEqual(1);
    });

    it('4. absence: the school reports, the municipality of residence reads it and takes it in treatment', async () => {
      const n = ++learner;
      const { enrollLearner } = await enroll(newSchool, n);
      const absences = ['2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08'].map((date) => ({ date, dayPart: 'MORNING', hours: 4 }));
      const { reportAbsence } = await client.mutate<{ reportAbsence: { report: { id: string; status: string; municipalityCode: string } } }>(
        newSchool.token,
        'mutation Report($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id status municipalityCode totalHours absences { id date dayPart hours } contact { id name } } } }',
        {
          input: {
            documentId: `report-${n}`,
            enrollmentId: enrollLearner.enrollment.id,
            kind: 'SIXTEEN_HOURS',
            startDate: '2026-10-05',
            endDate: '2026-10-08',
            absences,
            municipalityActionWanted: true,
            contact: { name: 'J. de Vries' },
          },
        },
      );
      expect(reportAbsence.report).toMatchObject({ status: 'REGISTERED', municipalityCode: '0114' });
      const { absenceReports } = await client.query<{ absenceReports: { edges: { node: { id: string; learner: { pgn: string } } }[] } }>(
        municipalityToken,
        'query Inbox { absenceReports(filter: { status: REGISTERED }, first: 500) { edges { node { id kind totalHours learner { id pgn } branch { id name } } } } }',
      );
      expect(absenceReports.edges.map((edge) => edge.node).find((node) => node.id === reportAbsence.report.id)?.learner.pgn).toBe(
        enrollmentInput(newSchool, n).learner.pgn,
      );
      const { changeAbsenceReportStatus } = await client.mutate<{
        changeAbsenceReportStatus: { report: { status: string; history: { id: string; to: string }[] } };
      }>(
        municipalityToken,
        'mutation Treat($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { id status history { id to } } } }',
        { input: { documentId: `treat-${n}`, reportId: reportAbsence.report.id, status: 'IN_TREATMENT' } },
      );
      expect(changeAbsenceReportStatus.report.status).toBe('IN_TREATMENT');
      expect(changeAbsenceReportStatus.report.history.map((step) => step.id)).toEqual([`${reportAbsence.report.id}/0`, `${reportAbsence.report.id}/1`]);
    });

    it('5. RIO lookups: a branch with the objects behind it, a page of branches, a mandate check', async () => {
      const { branch } = await client.query<{ branch: Record<string, any> }>(newSchool.token, operation('Branch'), { brin6: '16AH00' });
      expect(branch).toMatchObject({
        id: '16AH00',
        provider: { id: '010A823', code: '010A823', board: { id: '042B830' } },
        location: { id: '646X831', address: { id: '646X831' } },
        address: { id: '646X831', municipality: { id: '0114', code: '0114' } },
      });
      const { branches } = await client.query<{ branches: { totalCount: number; edges: { node: { id: string } }[] } }>(operatorToken, operation('Branches'), {
        filter: { municipalityCode: '0114' },
        first: 5,
      });
      expect(branches.edges).toHaveLength(5);
      expect(branches.totalCount).toBeGreaterThan(5);
      const { mandateCheck } = await client.query<{ mandateCheck: string }>(
        newSchool.token,
        'query Check { mandateCheck(brin6: "16AH00", service: ROD_PO, vendorOin: "00000001800866472000") }',
      );
      expect(mandateCheck).toBe('OK');
    });

    if (name.startsWith('urql'))
      it('sends a query as GET and a mutation as POST, and the gateway answers both', async () => {
        const before = client.methods!.length;
        const named = await client.query<{ branch: { name: string } }>(newSchool.token, 'query Name { branch(brin6: "16AH00") { id name } }');
        const enrolled = await enroll(newSchool, ++learner);
        expect(client.methods!.slice(before)).toEqual(['GET', 'POST']);
        expect(named.branch.name).toBe("Openbare Basisschool 't Eenspan");
        expect(enrolled.enrollLearner.enrollment.branch.id).toBe('16AH00');
      });
  });
}

journeys('Apollo Client with its default InMemoryCache', apollo);
journeys('urql with its default exchanges (queries as GET)', urql);

describe("Apollo Client's default cache normalises every object by its id", () => {
  it('finds an id on every object type but the envelopes: pages, mutation payloads and subscription events (README, Clients)', () => {
    const schema = apiSchemaOf(readFileSync(path.join(schemaFolder, 'supergraph.graphql'), 'utf8'));
    // Kept under their field and arguments, their mutation or their subscription, never as things of their own.
    const payloadParts = ['BulkFailure', 'AbsenceWarning', 'ThresholdReached', 'AbsenceReportProposal'];
    const events = [
      'TransferNoticeIssued',
      'SignalIssued',
      'ResidentEnrollmentChanged',
      'FundingStatusChange',
      'FundingResult',
      'AbsenceReportUpdate',
      'AbsoluteAbsenceSignalUpdate',
    ];
    const envelope = (name: string) =>
      /(Connection|Edge|Payload)$/.test(name) || ['PageInfo', 'Query', 'Mutation', 'Subscription', ...payloadParts, ...events].includes(name);
    const withoutId = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && !type.name.startsWith('__') && !('id' in type.getFields()));
    expect(withoutId.map((type) => type.name).filter((name) => !envelope(name))).toEqual([]);
    for (const type of Object.values(schema.getTypeMap()))
      if (isObjectType(type) && 'id' in type.getFields()) expect(String(type.getFields().id!.type), type.name).toBe('ID!');
  });

  it('finds the id selected on every object that has one, in every registered operation (schema/operations)', () => {
    const schema = apiSchemaOf(readFileSync(path.join(schemaFolder, 'supergraph.graphql'), 'utf8'));
    const missing = readOperations(path.join(schemaFolder, 'operations')).flatMap(({ name, source }) => {
      const found: string[] = [];
      const types = new TypeInfo(schema);
      visit(
        parse(source),
        visitWithTypeInfo(types, {
          SelectionSet(node) {
            const type = getNamedType(types.getType());
            const selectsId = node.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value === 'id' && !selection.alias);
            if (isObjectType(type) && 'id' in type.getFields() && !selectsId) found.push(`${name}: ${type.name}`);
          },
        }),
      );
      return found;
    });
    expect(missing).toEqual([]);
  });

  it('keeps two queries for different fields of the same RIO objects complete in the cache, value objects included', async () => {
    const library = apollo();
    try {
      const client = library.client(newSchool.token);
      const first = gql('query First { branch(brin6: "16AH00") { id name provider { id code name } address { id city municipality { id name } } } }');
      const second = gql(
        'query Second { provider(code: "010A823") { id brin4 board { id code } } location(code: "646X831") { id address { id street postcode municipality { id code } } } }',
      );
      const firstAnswer = (await client.query({ query: first })).data;
      const secondAnswer = (await client.query({ query: second })).data;

      // What the issue saw: the second answer replaced the provider and the address the first had read.
      expect(client.readQuery({ query: first })).toEqual(firstAnswer);
      expect(client.readQuery({ query: second })).toEqual(secondAnswer);
      expect((await client.query({ query: first, fetchPolicy: 'cache-only' })).data).toEqual(firstAnswer);
      expect(client.cache.extract()).toMatchObject({
        'Provider:010A823': { code: '010A823', name: expect.any(String), brin4: '16AH' },
        'Address:646X831': { city: 'EMMEN', street: expect.any(String), postcode: expect.any(String) },
        'Municipality:0114': { code: '0114', name: expect.any(String) },
      });
    } finally {
      library.close();
    }
  });

  it("runs the README's enrollLearner through Apollo Client, and its answer lands in the cache by id", async () => {
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    const example = JSON.parse(/-d '(\{"query":"mutation\(\$input: EnrollLearnerInput!\)[\s\S]*?\}\}\})'/.exec(readme)![1]!.replace(/\n\s*/g, ' ')) as {
      query: string;
      variables: { input: Record<string, unknown> };
    };
    const library = apollo();
    try {
      const client = library.client(newSchool.token);
      // The README's own selection, not a registered operation's: typed by hand.
      type ReadmeEnrolled = { enrollLearner: { enrollment: { id: string; branch: { id: string }; fundingStatus: { id: string; outcome: string } } } };
      const { data } = await client.mutate<ReadmeEnrolled>({ mutation: gql(example.query), variables: example.variables });
      expect(data!.enrollLearner.enrollment.branch).toMatchObject({ id: '16AH00', name: "Openbare Basisschool 't Eenspan" });
      expect(data!.enrollLearner.enrollment.fundingStatus).toMatchObject({ outcome: 'FUNDABLE' });
      expect(client.cache.extract()).toMatchObject({
        [`Enrollment:${data!.enrollLearner.enrollment.id}`]: { branch: { __ref: 'Branch:16AH00' } },
        [`FundingStatus:${data!.enrollLearner.enrollment.fundingStatus.id}`]: { outcome: 'FUNDABLE' },
      });
    } finally {
      library.close();
    }
  });
});

describe('a refused token over WebSocket, set up as the README says', () => {
  it('fails at once with 4403, after one connection and no retries, through graphql-ws and through GraphQLWsLink', async () => {
    const attempts = { count: 0 };
    const ws = wsClient('not-a-token', attempts);
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      ws.subscribe({ query: operation('TransferNoticeIssued'), variables: {} }, { next: () => undefined, error: resolve as never, complete: () => undefined }),
    );
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/^Forbidden: /);
    expect(attempts.count).toBe(1);

    const linked = { count: 0 };
    const client = new ApolloClient({ link: new GraphQLWsLink(wsClient('not-a-token', linked)), cache: new InMemoryCache() });
    const error = await new Promise<Error>((resolve) =>
      client
        .subscribe({ query: gql(operation('TransferNoticeIssued')), variables: {} })
        .subscribe({ next: (result) => result.error && resolve(result.error), error: resolve }),
    );
    expect(String(error)).toMatch(/4403|Forbidden/);
    expect(linked.count).toBe(1);
    client.stop();
    await ws.dispose();
  });
});

describe("CSRF prevention (Apollo Server's csrfPrevention)", () => {
  const query = '{ branch(brin6: "16AH00") { id name } }';
  const get = (url: string, headers: Record<string, string>) => fetch(`${url}?query=${encodeURIComponent(query)}`, { headers });

  it('lets a GET through at the gateway that carries only Authorization, as urql sends it', async () => {
    const response = await get(system.url, { authorization: `Bearer ${newSchool.token}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { branch: { id: '16AH00', name: "Openbare Basisschool 't Eenspan" } } });
  });

  it('still blocks a GET without Authorization or another header a browser must preflight, with 400 BAD_REQUEST naming the headers', async () => {
    const response = await get(system.url, {});
    expect(response.status).toBe(400);
    const { errors } = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(errors[0]!.message).toMatch(/Cross-Site Request Forgery[\s\S]*authorization/);
  });

  it('refuses a mutation sent as GET, Authorization or not (405), as the README says', async () => {
    const mutation = 'mutation { runCountDate(countDate: "2026-02-01") { id } }';
    const response = await fetch(`${system.url}?query=${encodeURIComponent(mutation)}`, { headers: { authorization: `Bearer ${operatorToken}` } });
    expect(response.status).toBe(405);
  });

  it('treats a subgraph served alone the same: a GET with the signed viewer passes, one with neither header is blocked', async () => {
    const subgraph = await listenToSubgraph(system, 'institutions');
    try {
      const assertion = await signViewerAssertion({ role: 'OPERATOR' }, system.config.viewerSecret, 'institutions');
      const passed = await get(subgraph.url, { [viewerHeader]: assertion });
      expect(passed.status).toBe(200);
      expect(await passed.json()).toMatchObject({ data: { branch: { id: '16AH00' } } });
      const blocked = await get(subgraph.url, {});
      expect(blocked.status).toBe(400);
      expect(((await blocked.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/Cross-Site Request Forgery/);
    } finally {
      await subgraph.close();
    }
  });
});

describe('the custom scalars', () => {
  it('carry @specifiedBy in the served schema', async () => {
    const { data } = await system.query<{ date: { specifiedByURL: string }; dateTime: { specifiedByURL: string } }>(
      '{ date: __type(name: "Date") { specifiedByURL } dateTime: __type(name: "DateTime") { specifiedByURL } }',
    );
    expect(data).toEqual({
      date: { specifiedByURL: 'https://scalars.graphql.org/andimarek/local-date.html' },
      dateTime: { specifiedByURL: 'https://scalars.graphql.org/andimarek/date-time.html' },
    });
  });
});
