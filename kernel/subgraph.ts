import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, type GraphQLResolveInfo, type GraphQLScalarType } from 'graphql';
import { projectRoot } from './config.ts';
import { AuditTrail, writeAudit } from './audit.ts';
import type { Database, Db } from './db.ts';
import type { ConsumerOptions } from './events.ts';
import { RegisterError, renderError } from './errors.ts';
import { verifyViewerAssertion, viewerHeader, type Viewer } from './viewer.ts';

/** What every resolver of a subgraph receives: who asks, the database, and this request's loaders. */
export interface SubgraphContext<Loaders = unknown> {
  viewer: Viewer;
  db: Db;
  loaders: Loaders;
  /** The process's log, for progress of long work. */
  log(message: string): void;
  /** This request's accesses to PGN data, written to the subgraph's audit log as the response goes out. */
  audit: AuditTrail;
  /** The client's address, as the gateway saw it. */
  origin: string | undefined;
}

/** A subgraph's resolvers: per type, per field; scalars as their GraphQLScalarType. */
export type ResolverMap<Context> = Record<
  string,
  // `any`: each resolver types its own parent and arguments.
  GraphQLScalarType | Record<string, (parent: any, args: any, context: Context, info: GraphQLResolveInfo) => unknown>
>;

/**
 * A subgraph as a value. Its `name` is one word used everywhere: the folder `subgraphs/<name>`, the
 * SDL `schema/<name>.graphql`, the Postgres schema, `migrations/<name>/` and the name in composition.
 */
export interface Subgraph<Loaders = unknown> {
  name: string;
  resolvers: ResolverMap<SubgraphContext<Loaders>>;
  /** Per-request DataLoaders, so that every entity reference in one request is fetched once, batched. */
  loaders(db: Db): Loaders;
  /** Fills an empty register with its demo or reference data; run on start unless SEED=false. */
  seed?(database: Database, log: (message: string) => void): Promise<void>;
  /** Other subgraphs' streams this one keeps its own state from; the cursor lives in this subgraph's schema. */
  consumers?: readonly Pick<ConsumerOptions, 'stream' | 'consumer' | 'handle' | 'types'>[];
  /**
   * Runs for every operation once the viewer is known, before any resolver: a RegisterError refuses
   * the whole operation (a vendor without a mandate for this subgraph's service, for one).
   */
  authorize?(db: Db, viewer: Viewer): Promise<void>;
  /** Records its accesses to PGN data in the audit log (kernel/audit.ts), refused attempts included. */
  audited?: boolean;
}

export const schemaFolder = path.join(projectRoot, 'schema');

/** A running subgraph: its Apollo server and how to build a request's context from its headers. */
export interface SubgraphServer<Loaders = unknown> {
  name: string;
  server: ApolloServer<SubgraphContext<Loaders>>;
  contextFor(headers: { get(name: string): string | undefined }): Promise<SubgraphContext<Loaders>>;
}

export async function createSubgraphServer<Loaders>(
  subgraph: Subgraph<Loaders>,
  options: { db: Db; viewerSecret: string; production: boolean; log?: (message: string) => void },
): Promise<SubgraphServer<Loaders>> {
  const typeDefs = parse(await readFile(path.join(schemaFolder, `${subgraph.name}.graphql`), 'utf8'));
  const server = new ApolloServer<SubgraphContext<Loaders>>({
    // buildSubgraphSchema types its resolver map loosely; this is the one place it is cast.
    schema: buildSubgraphSchema({ typeDefs, resolvers: subgraph.resolvers as Parameters<typeof buildSubgraphSchema>[0] extends { resolvers?: infer R } ? R : never }),
    formatError: (formatted, thrown) => renderError(formatted, thrown),
    includeStacktraceInErrorResponses: false,
    // Shutdown is the process's own (cli/start.ts): Apollo's handler would re-raise the signal and
    // end the process before the database is closed.
    stopOnTerminationSignals: false,
    introspection: !options.production,
    // Inline traces feed Apollo's hosted studio, which this register does not report to.
    plugins: [ApolloServerPluginInlineTraceDisabled(), authorization(subgraph), auditing(subgraph.name)],
  });
  await server.start();
  const auditKey = auditKeyOf(options.viewerSecret);
  return {
    name: subgraph.name,
    server,
    contextFor: async (headers) => {
      try {
        const { viewer, origin } = await verifyViewerAssertion(headers.get(viewerHeader), options.viewerSecret);
        return { viewer, origin, db: options.db, loaders: subgraph.loaders(options.db), log: options.log ?? (() => undefined), audit: new AuditTrail(auditKey) };
      } catch (error) {
        if (!(error instanceof RegisterError)) throw error;
        throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
      }
    },
  };
}

/**
 * The subgraph's `authorize`, as an Apollo plugin: a refusal is an ordinary GraphQL error (HTTP 200),
 * which the gateway passes on with its code; a 403 would reach clients as the gateway's own
 * "403: Forbidden" with the subgraph's address in it.
 */
function authorization<Loaders>(subgraph: Subgraph<Loaders>): ApolloServerPlugin<SubgraphContext<Loaders>> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operationName }) {
          try {
            await subgraph.authorize?.(contextValue.db, contextValue.viewer);
          } catch (error) {
            if (!(error instanceof RegisterError)) throw error;
            // A refused attempt is logged too (domain.md §10), where the subgraph keeps an audit log.
            // The gateway names its fetch `<operation>__<subgraph>__<n>`; the log keeps the client's name.
            if (subgraph.audited) contextValue.audit.record(operationName?.replace(/__[a-z]+__\d+$/, '') ?? 'operation', null, 'REFUSED');
            throw new GraphQLError(error.message, { extensions: { code: error.code } });
          }
        },
      };
    },
  };
}

/**
 * The key of the audit log's PGN hashes, derived from the viewer secret that every process of the
 * register shares, so that every subgraph hashes a PGN alike. A new viewer secret starts new hashes.
 */
function auditKeyOf(viewerSecret: string): string {
  return createHmac('sha256', viewerSecret).update('register-graph audit log').digest('hex');
}

/** Writes each request's audit trail, in one statement, before the response goes out. */
function auditing<Loaders>(schema: string): ApolloServerPlugin<SubgraphContext<Loaders>> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          await writeAudit(contextValue.db, schema, contextValue.viewer, contextValue.origin, contextValue.audit);
        },
      };
    },
  };
}
