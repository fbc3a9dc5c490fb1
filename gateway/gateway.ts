import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions, type ServiceMap } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { Kind, parse, type DocumentNode, type FieldNode, type FormattedExecutionResult, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { codedErrorOf, isOutage, refusal, RegisterError, renderError, unavailableMessage } from '../kernel/errors.ts';
import { channel } from '../kernel/iterators.ts';
import { csrfPrevention, outageStatus, type HeadersLike, type Peer } from '../kernel/http.ts';
import type { SubgraphServer } from '../kernel/subgraph.ts';
import { isOin } from '../kernel/ids/index.ts';
import { parseViewer, schoolHeader, verifyToken, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import { requestIdHeader, requestIdOf, requestLog, silentLogger, type Logger } from '../kernel/logging.ts';
import type { Metrics } from '../kernel/metrics.ts';
import { injectTraceContext } from '../kernel/tracing.ts';
import type { Db } from '../kernel/db.ts';
import { ViewerAssertions } from './assertions.ts';
import { EntityCache } from './cache.ts';
import { defaultLimits, operationLimitsPlugin, type OperationLimits } from './limits.ts';
import { createLimiter, rateKey } from './rateLimit.ts';
import { trustedDocumentCache, trustedDocumentStore, trustedDocumentsPlugin } from './trusted.ts';
import { SubscriptionHub, worthReopening, type UpstreamSubscribe } from './hub.ts';
import { SubscriptionPlanner } from './plan.ts';

/** The gateway's request context: the verified viewer and the signed form each subgraph receives. */
export interface GatewayContext {
  viewer: Viewer;
  /** The viewer signed for one subgraph, as that subgraph's fetches carry it (gateway/assertions.ts). */
  assertionFor(subgraph: string): Promise<string>;
  /** Ties the log lines of the request together, here and at every subgraph (kernel/logging.ts). */
  requestId: string;
}

/** What every subgraph fetch carries besides the viewer, in process and over HTTP alike: request id and trace context. */
function passOn(context: Partial<GatewayContext> | undefined, set: (name: string, value: string) => void): void {
  if (context?.requestId) set(requestIdHeader, context.requestId);
  injectTraceContext(set);
}

/**
 * A subgraph in the same process: the gateway's query planner runs as usual, and the request enters
 * the subgraph through the same context function (and so the same viewer check) as one over HTTP.
 */
class InProcessDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly subgraph: SubgraphServer) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const { request } = options;
    const headers = new HeaderMap();
    const assertion = await (options.context as Partial<GatewayContext> | undefined)?.assertionFor?.(this.subgraph.name);
    if (assertion) headers.set(viewerHeader, assertion);
    passOn(options.context, (name, value) => headers.set(name, value));
    const contextValue = await this.subgraph.contextFor(headers);
    const response = await this.subgraph.server.executeOperation(
      { query: request.query, variables: request.variables, operationName: request.operationName, extensions: request.extensions },
      { contextValue },
    );
    if (response.body.kind !== 'single') throw new Error(`${this.subgraph.name} answered an incremental response to a subgraph fetch`);
    return response.body.singleResult;
  }
}

type Fetcher = ConstructorParameters<typeof RemoteGraphQLDataSource>[0] extends { fetcher?: infer F } ? F : never;

/**
 * A subgraph in another process, called with Node's own fetch (faster than Apollo's default fetcher;
 * docs/architecture.md, "Library facts the code relies on"), which must have answered within
 * `timeoutMs` (SUBGRAPH_TIMEOUT), body and all.
 */
function remoteDataSource(name: string, url: string, timeoutMs: number): GraphQLDataSource<GatewayContext> {
  const timed = (input: string, init?: RequestInit) => globalThis.fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return new RemoteGraphQLDataSource<GatewayContext>({
    url,
    fetcher: timed as unknown as Fetcher,
    async willSendRequest({ request, context }) {
      const assertion = await (context as Partial<GatewayContext> | undefined)?.assertionFor?.(name);
      if (assertion) request.http?.headers.set(viewerHeader, assertion);
      passOn(context, (name, value) => request.http?.headers.set(name, value));
    },
  });
}

/**
 * A fetch that fails because its subgraph is out of reach (kernel/errors.ts, isOutage: refused,
 * reset, timed out, answering 503) answers UNAVAILABLE at each field it was to fill, rather than
 * failing as a whole: the query planner merges that into the answer, so the rest keeps its data and
 * the error's path says which part is missing (as the GraphQL spec's "Handling Field Errors" asks).
 * `report` hears what failed.
 */
class OutageAnswering implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly source: GraphQLDataSource<GatewayContext>,
    private readonly report: (error: unknown, context: Partial<GatewayContext> | undefined) => void,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    try {
      return await this.source.process(options);
    } catch (error) {
      if (!isOutage(error)) throw error;
      this.report(error, options.context as Partial<GatewayContext> | undefined);
      const document = ('document' in options && options.document) || parse(options.request.query!);
      const extensions = { code: 'UNAVAILABLE' };
      return { errors: unfilledPaths(document, options.request.variables).map((path) => ({ message: unavailableMessage, path, extensions })) };
    }
  }
}

/**
 * The paths a subgraph fetch would have filled, as the subgraph itself would name them in errors:
 * each root field of a root fetch; each field of each entity of an entity fetch
 * (`_entities.<i>.<field>`), which the gateway turns into the entity's place in the whole answer.
 */
function unfilledPaths(document: DocumentNode, variables: Record<string, unknown> | undefined): (string | number)[][] {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const roots = operation?.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD) ?? [];
  const entities = roots.find((field) => field.name.value === '_entities');
  const responseName = (field: FieldNode) => field.alias?.value ?? field.name.value;
  if (!entities) return roots.filter((field) => field.name.value !== '__typename').map((field) => [responseName(field)]);
  const fields = new Set<string>();
  for (const fragment of entities.selectionSet?.selections ?? []) {
    const selections = fragment.kind === Kind.FIELD ? [fragment] : fragment.kind === Kind.INLINE_FRAGMENT ? fragment.selectionSet.selections : [];
    for (const field of selections) if (field.kind === Kind.FIELD && field.name.value !== '__typename') fields.add(responseName(field));
  }
  const count = Array.isArray(variables?.representations) ? variables.representations.length : 0;
  return Array.from({ length: count }, (_, i) => [...fields].map((field) => ['_entities', i, field])).flat();
}

/**
 * A subscription at a subgraph in another process, over graphql-ws: one connection per subgraph
 * carries every upstream subscription, each with its own signed viewer. The client does not retry
 * by itself: it would subscribe again from the first cursor; the hub resumes from the last.
 *
 * One connection cannot make the subgraph wait for one subscription, so the events the hub has not
 * taken yet (it is holding one, or pacing a slow subscriber) are bounded otherwise: once `bound` wait,
 * the subscription is ended at the subgraph, and the hub, having taken those, resumes from its cursor,
 * reading the rest from the subgraph's outbox as it goes (kernel/feed.ts does the same). The results
 * pass through a channel (kernel/iterators.ts says why not graphql-ws's `client.iterate()`).
 */
function remoteUpstream(url: string, bound: number): { subscribe: UpstreamSubscribe; close(): Promise<void> } {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, keepAlive: 10_000 });
  const subscribe: UpstreamSubscribe = async (request, assertion) => {
    const events = channel<FormattedExecutionResult>(() => unsubscribe());
    const unsubscribe = client.subscribe(
      { ...request, extensions: { [viewerHeader]: assertion } },
      {
        next: (value) => {
          if (events.size < bound) return void events.push(value as FormattedExecutionResult);
          unsubscribe();
          events.fail(new Error(`${bound} events of ${url} waited; reading on from the cursor`));
        },
        // A refusal: the subgraph's answer, which goes out as the last result. An outage (its reader
        // or database failed) or a closed connection: a break, which the hub resumes from.
        error: (error) => {
          if (Array.isArray(error) && !error.some(worthReopening)) {
            events.push({ errors: error as GraphQLFormattedError[] });
            return events.end();
          }
          events.fail(new Error(Array.isArray(error) ? `${url} failed: ${(error as GraphQLFormattedError[])[0]?.message}` : `the connection to ${url} closed`));
        },
        // Only the gateway ends a subscription: one the subgraph completes went down with it.
        complete: () => events.fail(new Error(`${url} ended the subscription`)),
      },
    );
    return events;
  };
  return { subscribe, close: () => Promise.resolve(client.dispose()) };
}

export type SubgraphSource = { kind: 'in-process'; server: SubgraphServer } | { kind: 'remote'; url: string };

export interface Gateway {
  server: ApolloServer<GatewayContext>;
  contextFor(headers: HeadersLike, peer?: Peer): Promise<GatewayContext>;
  /** Who the request or connection comes from: a token, or a client certificate over TLS. */
  authenticate(headers: HeadersLike, peer?: Peer): Promise<Viewer>;
  /** Takes one request from the viewer's rate; RATE_LIMITED when it has none left. */
  admit(viewer: Viewer): Promise<void>;
  /** The context a viewer's subgraph fetches carry; a new request id unless given one. */
  contextOf(viewer: Viewer, origin?: string, requestId?: string): Promise<GatewayContext>;
  subscriptions: SubscriptionHub;
  planner: SubscriptionPlanner;
  close(): Promise<void>;
}

export async function createGateway(options: {
  supergraphSdl: string;
  sources: Map<string, SubgraphSource>;
  tokenSecret: string;
  viewerSecret: string;
  /** Seconds a signed viewer for a subgraph is valid (VIEWER_ASSERTION_LIFETIME). */
  viewerAssertionLifetime: number;
  /** Seconds a bearer token may live at most (TOKEN_MAX_LIFETIME). */
  tokenMaxLifetime: number;
  production: boolean;
  /** Requests per second per viewer; 0: no limit. */
  rateLimit: number;
  /** Set: the rate limit is shared through this Redis by every gateway replica (gateway/rateLimit.ts). */
  redisUrl?: string | undefined;
  /** Served over two-sided TLS: vendors are known by their certificate, not by a token. */
  clientCertificates?: boolean;
  /** Set: run only these operations (trusted documents), by document id. */
  trustedDocuments?: Map<string, string>;
  limits?: OperationLimits;
  /** Results a subscriber may leave unread before it is disconnected; events held per upstream subscription. @default 1000 */
  subscriberQueue?: number;
  /** How long a subgraph in another process has to answer one fetch. @default 20 s */
  subgraphTimeoutMs?: number;
  /** How long an event is held while a part of the register it needs is out. @default 60000 */
  eventHoldMs?: number;
  /** The entity cache (gateway/cache.ts), where the gateway can read the streams; none: every entity is fetched. */
  entityCache?: { db: Db; entries: number } | undefined;
  logger?: Logger;
  metrics?: Metrics | undefined;
}): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const limiter = options.rateLimit > 0 ? createLimiter(options.rateLimit, options.redisUrl, logger) : undefined;
  const dataSources: ServiceMap = {};
  const upstreams = new Map<string, UpstreamSubscribe>();
  const closers: (() => Promise<void>)[] = limiter ? [() => limiter.close()] : [];
  const unreachable = (name: string) => (error: unknown, context: Partial<GatewayContext> | undefined) =>
    logger.warn({ service: 'gateway', subgraph: name, requestId: context?.requestId, err: error }, 'subgraph unavailable');
  const queue = options.subscriberQueue ?? 1000;
  const cache = options.entityCache && new EntityCache({ ...options.entityCache, metrics: options.metrics });
  for (const [name, source] of options.sources) {
    const fetching =
      source.kind === 'in-process' ? new InProcessDataSource(source.server) : remoteDataSource(name, source.url, options.subgraphTimeoutMs ?? 20_000);
    const answering = new OutageAnswering(fetching, unreachable(name));
    dataSources[name] = cache ? cache.wrap(name, answering) : answering;
    if (source.kind === 'in-process') upstreams.set(name, (request, assertion) => source.server.subscribe(request, assertion));
    else {
      const remote = remoteUpstream(source.url, queue);
      upstreams.set(name, remote.subscribe);
      closers.push(remote.close);
    }
  }
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name }) => {
      const source = dataSources[name];
      if (!source) throw new Error(`The supergraph names subgraph "${name}", but this gateway has no source for it`);
      return source;
    },
  });
  const limits = options.limits ?? defaultLimits;
  const server = new ApolloServer<GatewayContext>({
    gateway,
    // What is masked is logged by requestLog, with the request id.
    formatError: (formatted, thrown) => renderError(options.production ? withoutSuggestions(formatted) : formatted, thrown, () => undefined),
    includeStacktraceInErrorResponses: false,
    // The parser stops counting at the limit, before it builds anything (GRAPHQL_PARSE_FAILED).
    parseOptions: { maxTokens: limits.tokens },
    csrfPrevention,
    plugins: [
      // Apollo's landing page loads from its CDN, and shows nothing offline: browsers get the
      // bundled explorer instead (gateway/web.ts).
      ApolloServerPluginLandingPageDisabled(),
      ...(options.trustedDocuments ? [trustedDocumentsPlugin<GatewayContext>(options.trustedDocuments)] : []),
      operationLimitsPlugin<GatewayContext>(limits),
      // Before the log, which records the status it sets.
      outageStatus<GatewayContext>(),
      requestLog<GatewayContext>(logger, 'info', { service: 'gateway' }),
      ...(options.metrics ? [options.metrics.plugin<GatewayContext>('gateway')] : []),
    ],
    ...(options.trustedDocuments
      ? {
          persistedQueries: { cache: trustedDocumentCache(options.trustedDocuments), ttl: null },
          documentStore: trustedDocumentStore(options.trustedDocuments),
        }
      : {}),
    // Shutdown is the process's own (cli/start.ts): Apollo's handler would re-raise the signal and
    // end the process before the database is closed.
    stopOnTerminationSignals: false,
    introspection: !options.production,
  });
  await server.start();
  await limiter?.ready();
  const authenticate = async (headers: HeadersLike, peer?: Peer) => {
    try {
      const token = { secret: options.tokenSecret, maxLifetime: options.tokenMaxLifetime };
      return options.clientCertificates
        ? await viewerOverTls(headers, peer, token)
        : await verifyToken(bearerToken(headers.get('authorization')), token.secret, token.maxLifetime);
    } catch (error) {
      if (!(error instanceof RegisterError)) throw error;
      throw codedErrorOf(error, true);
    }
  };
  const admit = async (viewer: Viewer) => {
    const wait = limiter ? await limiter.take(rateKey(viewer)) : 0;
    if (wait > 0) {
      throw refusal('RATE_LIMITED', `Too many requests: at most ${options.rateLimit} a second; try again in ${wait} s`, {}, [['retry-after', String(wait)]]);
    }
  };
  const assertions = new ViewerAssertions(options.viewerSecret, options.viewerAssertionLifetime);
  // Signed only for the subgraphs a request's plan actually asks.
  const contextOf = async (viewer: Viewer, origin?: string, requestId = requestIdOf(undefined)): Promise<GatewayContext> => ({
    viewer,
    assertionFor: async (subgraph) => (await assertions.forRequest(viewer, origin, subgraph)).text,
    requestId,
  });
  const planner = new SubscriptionPlanner(options.supergraphSdl);
  // An upstream subscription carries the client's address too, which the subgraph's audit lines record.
  const assertion = (viewer: Viewer, subgraph: string, origin?: string) => assertions.sign(viewer, origin, subgraph);
  const subscriptions = new SubscriptionHub({
    planner,
    dataSources,
    upstreams,
    contextOf,
    assertion,
    queue,
    holdMs: options.eventHoldMs ?? 60_000,
    log: (message) => logger.warn({ service: 'gateway' }, message),
  });
  return {
    server,
    authenticate,
    admit,
    contextOf,
    contextFor: async (headers, peer) => {
      const requestId = requestIdOf(headers.get(requestIdHeader));
      let viewer: Viewer;
      try {
        viewer = await authenticate(headers, peer);
        await admit(viewer);
      } catch (error) {
        // Refused before it became an operation, so no plugin sees it: its line and count are here.
        const extensions = (error as Partial<GraphQLError>).extensions;
        const code = String(extensions?.code ?? 'INTERNAL_SERVER_ERROR');
        const status = (extensions?.http as { status?: number } | undefined)?.status ?? 500;
        logger.info({ service: 'gateway', requestId, status, errors: [code] }, 'request refused');
        options.metrics?.countRefusal('gateway', code);
        throw error;
      }
      return contextOf(viewer, peer?.address, requestId);
    },
    subscriptions,
    planner,
    close: async () => {
      await Promise.all(closers.map((close) => close()));
      await server.stop();
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), if it is one. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}

function bearerToken(authorization: string | undefined): string {
  const token = bearerTokenOf(authorization);
  if (token === undefined)
    throw new RegisterError('UNAUTHENTICATED', 'Send a bearer token in the Authorization header (npm run token makes one for development)');
  return token;
}

/**
 * "Did you mean …?" names fields and types a client did not ask about: in production it is left out
 * (OWASP GraphQL cheat sheet, secure configuration), as introspection is.
 */
export function withoutSuggestions<Formatted extends { message: string }>(formatted: Formatted): Formatted {
  return { ...formatted, message: formatted.message.replace(/ Did you mean .*\?$/, '') };
}

const certificateRefusals: Record<string, string> = {
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it is not issued by a CA the register trusts',
  UNABLE_TO_GET_ISSUER_CERT: 'it is not issued by a CA the register trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'it is not issued by a CA the register trusts',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'it is not issued by a CA the register trusts',
};

/**
 * Over two-sided TLS (docs/domain.md §2.3, §9): a vendor is the organisation whose OIN its certificate
 * carries as subject serialNumber, acting for the school the request names in `x-register-school`;
 * the mandate check (contracts/mandates.ts) decides whether it may. Other viewers
 * (municipalities, boards, the operator) still bring a token, but no token makes a vendor here.
 */
async function viewerOverTls(headers: HeadersLike, peer: Peer | undefined, token: { secret: string; maxLifetime: number }): Promise<Viewer> {
  const certificate = peer?.certificate;
  if (!certificate) {
    const viewer = await verifyToken(bearerToken(headers.get('authorization')), token.secret, token.maxLifetime);
    if (viewer.role === 'VENDOR')
      throw new RegisterError('UNAUTHENTICATED', 'A vendor identifies itself with its client certificate on this register, not with a token');
    return viewer;
  }
  if (!certificate.authorized) {
    const why = certificateRefusals[certificate.error ?? ''] ?? `it does not verify (${certificate.error ?? 'unknown reason'})`;
    throw new RegisterError('UNAUTHENTICATED', `The client certificate is refused: ${why}`);
  }
  const oin = certificate.subjectSerialNumber;
  if (!oin || !isOin(oin)) throw new RegisterError('UNAUTHENTICATED', "The client certificate carries no OIN as its subject's serialNumber");
  const school = headers.get(schoolHeader);
  if (!school)
    throw new RegisterError('UNAUTHENTICATED', `Name the school you act for in the ${schoolHeader} header (a vestiging's BRIN6, or the whole school's BRIN4)`);
  return parseViewer({ role: 'VENDOR', vendorOin: oin, school });
}
