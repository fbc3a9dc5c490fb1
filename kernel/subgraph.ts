import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import type { Context as TraceContext } from '@opentelemetry/api';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { LRUCache } from 'lru-cache';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLResolveInfo,
  type GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';
import { projectRoot } from './config.ts';
import type { SubgraphTask } from './tasks.ts';
import { AuditTrail, pgnsNamedIn, writeAudit } from './audit.ts';
import type { Database, Db } from './db.ts';
import { cursorBefore, type ConsumerOptions, type StoredEvent } from './events.ts';
import { sharedParser } from './parsed.ts';
import { EventFeed, type FeedEvents, type SubscriptionField } from './feed.ts';
import { startingAfter, untilExpiry } from './upstream.ts';
import { retry } from './retry.ts';
import { mapped } from './iterators.ts';
import { codedErrorOf, RegisterError, renderError, unwrap } from './errors.ts';
import { verifyViewerAssertion, viewerHeader, type Viewer } from './viewer.ts';
import { requestIdHeader, requestIdOf, requestLog, silentLogger, type Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';
import { extractTraceContext, subgraphSpans } from './tracing.ts';
import { csrfPrevention } from './http.ts';

/** What every resolver of a subgraph receives: who asks, the database, and this request's loaders. */
export interface SubgraphContext<Loaders = unknown> {
  viewer: Viewer;
  db: Db;
  loaders: Loaders;
  /** The process's log, for progress of long work; each line carries the request id. */
  log(message: string): void;
  /** The id of the client's request, from the gateway (kernel/logging.ts). */
  requestId: string;
  /** The trace context the request arrived with, while tracing is on (kernel/tracing.ts). */
  traceContext: TraceContext | undefined;
  /** This request's accesses to PGN data, written to the subgraph's audit log as the response goes out. */
  audit: AuditTrail;
  /** The client's address, as the gateway saw it. */
  origin: string | undefined;
  /** This process's subscriptions to its streams. */
  feed: EventFeed;
  /** Per entity of an `_entities` fetch, by its index, what its answer depends on (`dependsOn`). */
  entityTags: Map<number, string[]>;
}

/**
 * Says that the answer for the entity being resolved depends on what `tag` names (e.g.
 * `learner:<id>`): the answer carries it in `extensions.dependsOn`, and the gateway's entity cache
 * drops the entity when an event names it (gateway/cache.ts). Outside an entity fetch it says nothing.
 */
export function dependsOn(context: Pick<SubgraphContext, 'entityTags'>, info: GraphQLResolveInfo, tag: string): void {
  let path: GraphQLResolveInfo['path'] | undefined = info.path;
  while (path?.prev && path.prev.prev) path = path.prev;
  if (path?.prev?.key !== '_entities' || typeof path.key !== 'number') return;
  context.entityTags.set(path.key, [...(context.entityTags.get(path.key) ?? []), tag]);
}

// Parents and arguments are as the SDL gives them; each resolver declares the shape it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resolver<Context> = (parent: any, args: any, context: Context, info: GraphQLResolveInfo) => unknown;

/** A subgraph's resolvers: per type, per field; scalars as their GraphQLScalarType. */
export type ResolverMap<Context> = Record<
  string,
  // `any`: each resolver types its own parent and arguments.
  GraphQLScalarType | Record<string, Resolver<Context> | SubscriptionField<Context>>
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
  consumers?: readonly Pick<ConsumerOptions, 'stream' | 'consumer' | 'handle' | 'types' | 'bulk'>[];
  /** Work it does of itself, on time and when woken (kernel/tasks.ts): started with its consumers, once they have caught up. */
  tasks?: readonly SubgraphTask[];
  /**
   * Runs for every operation once the viewer is known, before any resolver: a RegisterError refuses
   * the whole operation (a vendor without a mandate for this subgraph's service, for one).
   */
  authorize?(db: Db, viewer: Viewer): Promise<void>;
  /** Records its accesses to PGN data in the audit log (kernel/audit.ts), refused attempts included. */
  audited?: boolean;
}

export const schemaFolder = path.join(projectRoot, 'schema');

/** An operation as a subgraph receives it. */
export interface OperationRequest {
  query: string;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
}

/** A running subgraph: its Apollo server and how to build a request's context from its headers. */
export interface SubgraphServer<Loaders = unknown> {
  name: string;
  server: ApolloServer<SubgraphContext<Loaders>>;
  schema: GraphQLSchema;
  /** Its subscriptions to its own stream. */
  feed: EventFeed;
  contextFor(headers: { get(name: string): string | undefined }): Promise<SubgraphContext<Loaders>>;
  /**
   * Runs a subscription for the viewer the gateway signed (`assertion`): the refusal as a result
   * with errors, or a result naming where it starts, then one per event, until the assertion expires
   * (kernel/upstream.ts). Each event runs with fresh loaders and writes its own audit lines, as a
   * request does.
   */
  subscribe(request: OperationRequest, assertion: string | undefined): Promise<FormattedExecutionResult | AsyncIterableIterator<FormattedExecutionResult>>;
  /** Parses a subscription's text, sharing the document with every open one of the same text. */
  parse(text: string): DocumentNode;
}

export async function createSubgraphServer<Loaders>(
  subgraph: Subgraph<Loaders>,
  options: { database: Database; viewerSecret: string; production: boolean; eventHoldMs?: number; logger?: Logger; metrics?: Metrics | undefined },
): Promise<SubgraphServer<Loaders>> {
  const { db } = options.database;
  const logger = options.logger ?? silentLogger;
  const bindings = { subgraph: subgraph.name };
  const feed = new EventFeed(options.database, { log: (message) => logger.warn(bindings, message) });
  const report = (masked: unknown) => logger.error({ ...bindings, err: masked }, 'internal error');
  const typeDefs = parse(await readFile(path.join(schemaFolder, `${subgraph.name}.graphql`), 'utf8'));
  // buildSubgraphSchema types its resolver map loosely; this is the one place it is cast.
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: subgraph.resolvers as Parameters<typeof buildSubgraphSchema>[0] extends { resolvers?: infer R } ? R : never,
  });
  const server = new ApolloServer<SubgraphContext<Loaders>>({
    schema,
    // What is masked is logged by requestLog, with the request id.
    formatError: (formatted, thrown) => renderError(formatted, thrown, () => undefined),
    includeStacktraceInErrorResponses: false,
    // Shutdown is the process's own (cli/start.ts): Apollo's handler would re-raise the signal and
    // end the process before the database is closed.
    stopOnTerminationSignals: false,
    introspection: !options.production,
    // As at the gateway: a subgraph served alone (SERVE=<name>) takes a GET carrying the signed viewer.
    csrfPrevention,
    // Inline traces feed Apollo's hosted studio, which this register does not report to; its landing
    // page loads from a CDN (a subgraph is for the gateway, not for browsers).
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      // Apollo's cache-control plugin computes a cache hint at every field (a whole school is 2,000
      // of them), and its presence makes Apollo wrap every resolver; no field declares a hint, so
      // every answer was `no-store`, which `noStore` still says (bench --profile, issue 20).
      ApolloServerPluginCacheControlDisabled(),
      noStore(),
      subgraphSpans<SubgraphContext<Loaders>>(subgraph.name),
      requestLog<SubgraphContext<Loaders>>(logger, 'debug', bindings),
      ...(options.metrics ? [options.metrics.plugin<SubgraphContext<Loaders>>(subgraph.name)] : []),
      authorization(subgraph),
      auditing(subgraph.name),
      entityTagging<Loaders>(),
    ],
  });
  await server.start();
  const auditKey = auditKeyOf(options.viewerSecret);
  // An event's check per viewer, kept 5 s: long enough for every subscription the event reaches.
  const checks = new LRUCache<string, Promise<void>>({ max: 10_000, ttl: 5000 });
  const parseShared = sharedParser();
  // A shared document validates once: the gateway opens its subscriptions afresh at every renewal.
  const validated = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const validateOnce = (document: DocumentNode) => {
    let errors = validated.get(document);
    if (!errors) validated.set(document, (errors = validate(schema, document)));
    return errors;
  };
  const contextOf = (viewer: Viewer, origin: string | undefined, requestId: string, traceContext?: TraceContext): SubgraphContext<Loaders> => ({
    viewer,
    origin,
    db,
    loaders: subgraph.loaders(db),
    log: (message) => logger.info({ ...bindings, requestId }, message),
    requestId,
    traceContext,
    audit: new AuditTrail(auditKey),
    feed,
    entityTags: new Map(),
  });
  return {
    name: subgraph.name,
    server,
    schema,
    feed,
    parse: parseShared,
    contextFor: async (headers) => {
      try {
        const { viewer, origin } = await verifyViewerAssertion(headers.get(viewerHeader), options.viewerSecret, subgraph.name);
        return contextOf(viewer, origin, requestIdOf(headers.get(requestIdHeader)), extractTraceContext(headers));
      } catch (error) {
        if (!(error instanceof RegisterError)) throw error;
        throw codedErrorOf(error, true);
      }
    },
    subscribe: async (request, assertion) => {
      let context: SubgraphContext<Loaders>;
      let document: DocumentNode;
      let expiresAt: number;
      try {
        const verified = await verifyViewerAssertion(assertion, options.viewerSecret, subgraph.name);
        expiresAt = verified.expiresAt;
        // A subscription's lines (its masked errors, its audit) share one id for as long as it lasts.
        context = contextOf(verified.viewer, verified.origin, requestIdOf(undefined));
        document = parseShared(request.query);
      } catch (error) {
        return failed(error, report);
      }
      const invalid = validateOnce(document);
      if (invalid.length) return { errors: invalid.map((error) => renderError(error.toJSON(), error, report)) };
      const refusal = await authorized(context, request.operationName);
      if (refusal) return refusal;
      const args = { schema, document, variableValues: request.variables, operationName: request.operationName };
      const source = await createSourceEventStream({ ...args, contextValue: context });
      if (!(Symbol.asyncIterator in source)) return formatted(source, report);
      const events = source as AsyncIterableIterator<StoredEvent> & Partial<Pick<FeedEvents, 'start'>>;
      const deliver = async (event: StoredEvent): Promise<FormattedExecutionResult> => {
        // Asked again for every event, so that a mandate that ends stops what a subscription delivers.
        const ended = await authorized(context, request.operationName, event);
        if (ended) {
          void events.return?.();
          return ended;
        }
        const eventContext = contextOf(context.viewer, context.origin, context.requestId);
        const result = await execute({ ...args, rootValue: event, contextValue: eventContext });
        const outage = result.errors?.find((error) => !isDecision(error));
        if (outage) throw outage;
        await writeAudit(db, subgraph.name, eventContext.viewer, eventContext.origin, eventContext.audit);
        return formatted(result, report);
      };
      // Where it starts, for the gateway to resume from should it have to (kernel/upstream.ts); and it
      // lasts no longer than the viewer assertion it was opened with.
      const start = (await events.start?.()) ?? null;
      return untilExpiry(
        startingAfter(
          start,
          mapped(events, (event, signal) =>
            untilDelivered(
              event,
              () => deliver(event),
              signal,
              () => void events.return?.(),
            ),
          ),
        ),
        expiresAt,
      );
    },
  };

  /**
   * An event's result, tried again while what fails is not a decision but what lies underneath (the
   * database restarting, its connections dropped, a table it cannot read): an outage must not turn an
   * acknowledged event into an error, which would skip it (docs/architecture.md, "Events and
   * subscriptions": nothing is lost). After `eventHoldMs` the subscription ends, with UNAVAILABLE
   * naming the cursor right before the event in `extensions.after`: the gateway lets its subscribers go
   * with 4503, to resume there. Undefined once the subscription ends.
   */
  async function untilDelivered(
    event: StoredEvent,
    attempt: () => Promise<FormattedExecutionResult>,
    signal: AbortSignal,
    end: () => void,
  ): Promise<FormattedExecutionResult | undefined> {
    const holdMs = options.eventHoldMs ?? 60_000;
    const tried = await retry(attempt, {
      waits: feed.settings.pollMs,
      giveUpAfterMs: holdMs,
      signal,
      onRetry: (error, _, waitMs) => logger.warn({ ...bindings, err: error }, `a subscription's event failed; trying it again in ${waitMs} ms`),
    });
    if (tried.kind === 'done') return tried.value;
    if (tried.kind === 'stopped') return undefined;
    logger.error(
      { ...bindings, err: tried.error },
      `a subscription's event could not be delivered within ${holdMs / 1000} s; ending it, to resume right before the event`,
    );
    end();
    return {
      errors: [
        {
          message: `An event could not be delivered within ${holdMs / 1000} s; resume after extensions.after`,
          extensions: { code: 'UNAVAILABLE', after: cursorBefore(event.cursor) },
        },
      ],
    };
  }

  /**
   * The subgraph's `authorize` for a subscription: the refusal (logged, where the subgraph audits),
   * or nothing. For an event, it is asked once per event and viewer, however many of the viewer's
   * subscriptions the event reaches.
   */
  async function authorized(
    context: SubgraphContext<Loaders>,
    operationName: string | undefined,
    event?: StoredEvent,
  ): Promise<FormattedExecutionResult | undefined> {
    if (!subgraph.authorize) return undefined;
    const key = `${event?.id}\n${JSON.stringify(context.viewer)}`;
    let check = event ? checks.get(key) : undefined;
    if (!check) {
      check = subgraph.authorize(db, context.viewer);
      if (event) {
        checks.set(key, check);
      }
    }
    try {
      await check;
      return undefined;
    } catch (error) {
      if (!(error instanceof RegisterError)) {
        // No refusal but a failure to decide: an event's is tried again (untilDelivered).
        checks.delete(key);
        if (event) throw error;
        return failed(error, report);
      }
      if (subgraph.audited) {
        const trail = new AuditTrail(auditKey);
        trail.record(operationName?.replace(/__[a-z]+__\d+$/, '') ?? 'subscription', null, 'REFUSED');
        await writeAudit(db, subgraph.name, context.viewer, context.origin, trail);
      }
      return failed(error, report);
    }
  }
}

type Report = (masked: unknown) => void;

function formatted(result: ExecutionResult, report: Report): FormattedExecutionResult {
  return result.errors ? { ...result, errors: result.errors.map((error) => renderError(error.toJSON(), error, report)) } : (result as FormattedExecutionResult);
}

function failed(error: unknown, report: Report): FormattedExecutionResult {
  const graphqlError = error instanceof GraphQLError ? error : new GraphQLError((error as Error).message, { originalError: error as Error });
  return { errors: [renderError(graphqlError.toJSON(), error, report)] };
}

/** A refusal or an error of the operation itself, as opposed to something underneath that failed. */
function isDecision(error: GraphQLError): boolean {
  const original = unwrap(error);
  return original instanceof RegisterError || original instanceof GraphQLError;
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
        async didResolveOperation({ contextValue, operationName, document, request }) {
          try {
            await subgraph.authorize?.(contextValue.db, contextValue.viewer);
          } catch (error) {
            if (!(error instanceof RegisterError)) throw error;
            // A refused attempt is logged too (docs/domain.md §10), where the subgraph keeps an audit log,
            // one line per PGN it named, so that auditLog(pgn:) finds it.
            // The gateway names its fetch `<operation>__<subgraph>__<n>`; the log keeps the client's name.
            if (subgraph.audited) {
              const action = operationName?.replace(/__[a-z]+__\d+$/, '') ?? 'operation';
              const pgns = pgnsNamedIn(document, request.variables);
              for (const pgn of pgns.length ? pgns : [null]) contextValue.audit.record(action, pgn, 'REFUSED');
            }
            throw codedErrorOf(error);
          }
        },
      };
    },
  };
}

/** Every answer of a subgraph is the viewer's own at that moment: `cache-control: no-store`. */
function noStore<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}

/**
 * The key of the audit log's PGN hashes, derived from the viewer secret that every process of the
 * register shares, so that every subgraph hashes a PGN alike. A new viewer secret starts new hashes.
 */
function auditKeyOf(viewerSecret: string): KeyObject {
  return createSecretKey(Buffer.from(createHmac('sha256', viewerSecret).update('register-graph audit log').digest('hex'), 'utf8'));
}

/** What the entities of an answer depend on (`dependsOn`), in its `extensions.dependsOn`, by entity index. */
function entityTagging<Loaders>(): ApolloServerPlugin<SubgraphContext<Loaders>> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single' || contextValue.entityTags.size === 0) return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, dependsOn: Object.fromEntries(contextValue.entityTags) };
        },
      };
    },
  };
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
