import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { RegisterError, renderError } from '../kernel/errors.ts';
import type { HeadersLike, Peer } from '../kernel/http.ts';
import type { SubgraphServer } from '../kernel/subgraph.ts';
import { isOin } from '../kernel/ids/index.ts';
import { parseViewer, signViewerAssertion, verifyToken, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import { defaultLimits, operationLimitsPlugin, type OperationLimits } from './limits.ts';
import { RateLimiter, rateKey } from './rateLimit.ts';
import { trustedDocumentCache, trustedDocumentsPlugin } from './trusted.ts';

/** The gateway's request context: the verified viewer and the signed form the subgraphs receive. */
export interface GatewayContext {
  viewer: Viewer;
  viewerAssertion: string;
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
    const assertion = (options.context as Partial<GatewayContext> | undefined)?.viewerAssertion;
    if (assertion) headers.set(viewerHeader, assertion);
    const contextValue = await this.subgraph.contextFor(headers);
    const response = await this.subgraph.server.executeOperation(
      { query: request.query, variables: request.variables, operationName: request.operationName, extensions: request.extensions },
      { contextValue },
    );
    if (response.body.kind !== 'single') throw new Error(`${this.subgraph.name} answered an incremental response to a subgraph fetch`);
    return response.body.singleResult;
  }
}

/** A subgraph in another process, called with Node's own fetch (faster than the default; stack.md). */
function remoteDataSource(url: string): GraphQLDataSource<GatewayContext> {
  return new RemoteGraphQLDataSource<GatewayContext>({
    url,
    fetcher: globalThis.fetch as ConstructorParameters<typeof RemoteGraphQLDataSource>[0] extends { fetcher?: infer F } ? F : never,
    willSendRequest({ request, context }) {
      const assertion = (context as Partial<GatewayContext> | undefined)?.viewerAssertion;
      if (assertion) request.http?.headers.set(viewerHeader, assertion);
    },
  });
}

export type SubgraphSource = { kind: 'in-process'; server: SubgraphServer } | { kind: 'remote'; url: string };

export interface Gateway {
  server: ApolloServer<GatewayContext>;
  contextFor(headers: HeadersLike, peer?: Peer): Promise<GatewayContext>;
}

export async function createGateway(options: {
  supergraphSdl: string;
  sources: Map<string, SubgraphSource>;
  tokenSecret: string;
  viewerSecret: string;
  production: boolean;
  /** Requests per second per viewer; 0: no limit. */
  rateLimit: number;
  /** Served over two-sided TLS: vendors are known by their certificate, not by a token. */
  clientCertificates?: boolean;
  /** Set: run only these operations (trusted documents), by document id. */
  trustedDocuments?: Map<string, string>;
  limits?: OperationLimits;
}): Promise<Gateway> {
  const limiter = options.rateLimit > 0 ? new RateLimiter(options.rateLimit) : undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name }) => {
      const source = options.sources.get(name);
      if (!source) throw new Error(`The supergraph names subgraph "${name}", but this gateway has no source for it`);
      return source.kind === 'in-process' ? new InProcessDataSource(source.server) : remoteDataSource(source.url);
    },
  });
  const limits = options.limits ?? defaultLimits;
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: (formatted, thrown) => renderError(options.production ? withoutSuggestions(formatted) : formatted, thrown),
    includeStacktraceInErrorResponses: false,
    // The parser stops counting at the limit, before it builds anything (GRAPHQL_PARSE_FAILED).
    parseOptions: { maxTokens: limits.tokens },
    plugins: [
      ...(options.trustedDocuments ? [trustedDocumentsPlugin<GatewayContext>(options.trustedDocuments)] : []),
      operationLimitsPlugin<GatewayContext>(limits),
    ],
    ...(options.trustedDocuments ? { persistedQueries: { cache: trustedDocumentCache(options.trustedDocuments), ttl: null } } : {}),
    // Shutdown is the process's own (cli/start.ts): Apollo's handler would re-raise the signal and
    // end the process before the database is closed.
    stopOnTerminationSignals: false,
    introspection: !options.production,
  });
  await server.start();
  return {
    server,
    contextFor: async (headers, peer) => {
      try {
        const viewer = options.clientCertificates ? await viewerOverTls(headers, peer, options.tokenSecret) : await verifyToken(bearerToken(headers.get('authorization')), options.tokenSecret);
        const wait = limiter?.take(rateKey(viewer)) ?? 0;
        if (wait > 0) {
          throw new GraphQLError(`Too many requests: at most ${options.rateLimit} a second; try again in ${wait} s`, {
            extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: new Map([['retry-after', String(wait)]]) } },
          });
        }
        return { viewer, viewerAssertion: await signViewerAssertion(viewer, options.viewerSecret, peer?.address) };
      } catch (error) {
        if (!(error instanceof RegisterError)) throw error;
        throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
      }
    },
  };
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) throw new RegisterError('UNAUTHENTICATED', 'Send a bearer token in the Authorization header (npm run token makes one for development)');
  return match[1]!;
}

/**
 * "Did you mean …?" names fields and types a client did not ask about: in production it is left out
 * (OWASP GraphQL cheat sheet, secure configuration), as introspection is.
 */
function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return { ...formatted, message: formatted.message.replace(/ Did you mean .*\?$/, '') };
}

/** The header in which a vendor with a certificate names the school it acts for. */
export const schoolHeader = 'x-register-school';

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
 * Over two-sided TLS (domain.md §2.3, §9): a vendor is the organisation whose OIN its certificate
 * carries as subject serialNumber, acting for the school the request names in `x-register-school`;
 * the mandate check (subgraphs/institutions/mandates.ts) decides whether it may. Other viewers
 * (municipalities, boards, the operator) still bring a token, but no token makes a vendor here.
 */
async function viewerOverTls(headers: HeadersLike, peer: Peer | undefined, tokenSecret: string): Promise<Viewer> {
  const certificate = peer?.certificate;
  if (!certificate) {
    const viewer = await verifyToken(bearerToken(headers.get('authorization')), tokenSecret);
    if (viewer.role === 'VENDOR') throw new RegisterError('UNAUTHENTICATED', 'A vendor identifies itself with its client certificate on this register, not with a token');
    return viewer;
  }
  if (!certificate.authorized) {
    const why = certificateRefusals[certificate.error ?? ''] ?? `it does not verify (${certificate.error ?? 'unknown reason'})`;
    throw new RegisterError('UNAUTHENTICATED', `The client certificate is refused: ${why}`);
  }
  const oin = certificate.subjectSerialNumber;
  if (!oin || !isOin(oin)) throw new RegisterError('UNAUTHENTICATED', "The client certificate carries no OIN as its subject's serialNumber");
  const school = headers.get(schoolHeader);
  if (!school) throw new RegisterError('UNAUTHENTICATED', `Name the school you act for in the ${schoolHeader} header (its BRIN6)`);
  return parseViewer({ role: 'VENDOR', vendorOin: oin, school });
}
