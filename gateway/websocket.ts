/*
 * The gateway's GraphQL over WebSocket (graphql-ws), on the port and path of HTTP: the viewer is
 * known at connection (token in `connection_init`, or the client certificate), and every operation
 * passes the checks of HTTP (rate, trusted documents, validation, operation limits) before it runs.
 */
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type DocumentNode,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import { decodeJwt } from 'jose';
import { codedError } from '../kernel/errors.ts';
import { peerOf, type HeadersLike } from '../kernel/http.ts';
import { channel } from '../kernel/iterators.ts';
import { sharedParser } from '../kernel/parsed.ts';
import { closeCodes, resultsOf, type SocketExtra } from '../kernel/websocket.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { bearerTokenOf, withoutSuggestions, type Gateway } from './gateway.ts';
import type { LetGo, Subscriber } from './hub.ts';
import { checkOperationLimits, coerceVariables, measureOperation, unresolvedOperation, type OperationLimits } from './limits.ts';
import { documentId, untrusted } from './trusted.ts';

export interface SubscriptionLimits {
  /** Subscriptions open at once on one connection. */
  perConnection: number;
  /** Subscriptions open at once for one viewer, over all its connections. */
  perViewer: number;
  /** Results a subscriber may leave unread before it is disconnected. */
  queue: number;
}

interface Connection {
  viewer: Viewer;
  origin: string | undefined;
  open: number;
  expiry: NodeJS.Timeout | undefined;
}

type Ctx = Context<Record<string, unknown> | undefined, SocketExtra & { connection?: Connection }>;

export function gatewaySubscriptions(
  gateway: Gateway,
  options: { production: boolean; limits: OperationLimits; subscriptions: SubscriptionLimits; trustedDocuments?: Map<string, string> | undefined },
): ServerOptions<Record<string, unknown> | undefined, SocketExtra & { connection?: Connection }> {
  const perViewer = new Map<string, number>();
  const { planner, subscriptions } = gateway;
  const parseShared = sharedParser({ maxTokens: options.limits.tokens });

  const refuse = (error: unknown): readonly GraphQLError[] => {
    if (!(error instanceof GraphQLError)) throw error;
    const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
    return [new GraphQLError((options.production ? withoutSuggestions(error) : error).message, { extensions })];
  };

  /** Parses and checks the operation as HTTP does, or throws the GraphQL error that refuses it. */
  const admitted = async (viewer: Viewer, query: string, operationName: string | undefined, variables: Record<string, unknown>) => {
    await gateway.admit(viewer);
    if (options.trustedDocuments && !options.trustedDocuments.has(documentId(query))) throw untrusted();
    let document: DocumentNode;
    try {
      document = parseShared(query);
    } catch (error) {
      throw codedError('GRAPHQL_PARSE_FAILED', (error as Error).message);
    }
    // In production, introspection is off here as over HTTP (OWASP GraphQL cheat sheet).
    const invalid = validate(planner.apiSchema, document, options.production ? [...specifiedRules, NoSchemaIntrospectionCustomRule] : specifiedRules);
    if (invalid.length) throw codedError('GRAPHQL_VALIDATION_FAILED', invalid[0]!.message);
    const operation = getOperationAST(document, operationName);
    if (!operation) throw unresolvedOperation(operationName);
    checkOperationLimits(measureOperation(planner.apiSchema, document, operation, coerceVariables(planner.apiSchema, operation, variables)), options.limits);
    return { document, operation };
  };

  const countFor = (viewer: Viewer, connection: Connection) => {
    const key = JSON.stringify(viewer);
    const open = perViewer.get(key) ?? 0;
    if (connection.open >= options.subscriptions.perConnection)
      throw tooMany('subscriptions on one connection', connection.open, options.subscriptions.perConnection);
    if (open >= options.subscriptions.perViewer) throw tooMany('subscriptions of one viewer', open, options.subscriptions.perViewer);
    connection.open++;
    perViewer.set(key, open + 1);
    return () => {
      connection.open--;
      const left = (perViewer.get(key) ?? 1) - 1;
      if (left > 0) perViewer.set(key, left);
      else perViewer.delete(key);
    };
  };

  return {
    onConnect: async (ctx: Ctx) => {
      const { socket, request } = ctx.extra;
      const headers = paramsAsHeaders(ctx.connectionParams ?? {});
      try {
        const viewer = await gateway.authenticate(headers, peerOf(request));
        const connection: Connection = { viewer, origin: request.socket.remoteAddress, open: 0, expiry: undefined };
        ctx.extra.connection = connection;
        const expiresAt = tokenExpiry(headers.get('authorization'));
        if (expiresAt !== undefined)
          closeAt(connection, expiresAt, () => socket.close(closeCodes.forbidden, 'Forbidden: the token has expired; connect again with a new one'));
        return true;
      } catch (error) {
        socket.close(closeCodes.forbidden, closeReason(`Forbidden: ${(error as Error).message}`));
        return false;
      }
    },
    onClose: (ctx: Ctx) => clearTimeout(ctx.extra.connection?.expiry),
    onSubscribe: async (ctx: Ctx, _id, payload) => {
      const connection = ctx.extra.connection!;
      const variables = payload.variables ?? {};
      const operationName = payload.operationName ?? undefined;
      try {
        const { document, operation } = await admitted(connection.viewer, payload.query, operationName, variables);
        const args = { schema: planner.apiSchema, document, variableValues: variables, operationName };
        if (operation.operation !== 'subscription') {
          const contextValue = await gateway.contextOf(connection.viewer, connection.origin);
          const response = await gateway.server.executeOperation({ query: payload.query, variables, operationName }, { contextValue });
          const result =
            response.body.kind === 'single' ? response.body.singleResult : { errors: [{ message: 'Incremental delivery is not served over WebSocket' }] };
          return { ...args, contextValue: { events: singleResult(result) } };
        }
        const coerced = subscriptionVariables(planner.apiSchema, operation, variables);
        const plan = planner.plan(payload.query, document, operationName);
        const release = countFor(connection.viewer, connection);
        let subscribed: Awaited<ReturnType<typeof subscriptions.subscribe>>;
        try {
          subscribed = await subscriptions.subscribe(
            connection.viewer,
            plan,
            coerced,
            (why) => ctx.extra.socket.close(...closeFor(why, options.subscriptions.queue)),
            connection.origin,
          );
        } catch (error) {
          release();
          throw error;
        }
        if (!isSubscriber(subscribed)) {
          release();
          return subscribed.map((error) => new GraphQLError(error.message, { extensions: error.extensions ?? {} }));
        }
        subscribed.whenEnded(release);
        return { ...args, contextValue: { events: subscribed } };
      } catch (error) {
        return refuse(error);
      }
    },
    subscribe: (args) => resultsOf(args.contextValue),
    execute: (args) => resultsOf(args.contextValue),
    // Results are formatted already, by the subgraphs and the hub: sent as they are.
    onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
  };
}

/**
 * The variables coerced to their declared types, as execution would (HTTP gets this from Apollo): a
 * missing or mistyped one is BAD_USER_INPUT here, not an error at the subgraph. The subscription's
 * field is selected directly: the planner and the resume logic (gateway/plan.ts) rely on it.
 */
function subscriptionVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>): Record<string, unknown> {
  if (operation.selectionSet.selections[0]?.kind !== Kind.FIELD) {
    throw codedError('BAD_USER_INPUT', 'Select the subscription field directly, not through a fragment');
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw codedError('BAD_USER_INPUT', coerced.errors[0]!.message);
  return coerced.coerced;
}

/**
 * The close that lets a subscriber go, and so its connection: it fell behind, or an event of its
 * could not be completed in time, and it resumes right before that event (a cursor is at most 54
 * characters, so the reason stays within the 123 bytes a close reason may hold).
 */
function closeFor(why: LetGo, queue: number): [code: number, reason: string] {
  if (why.kind === 'fell-behind')
    return [closeCodes.fellBehind, `Fell behind: over ${queue} results unread; reconnect and resume with after: your last cursor`];
  return [closeCodes.unavailable, `Unavailable: an event could not be completed; resume with after: ${why.after}`];
}

function isSubscriber(value: Subscriber | readonly GraphQLFormattedError[]): value is Subscriber {
  return !Array.isArray(value);
}

/** One result as an iterator, for a query or mutation sent over the socket. */
function singleResult(result: FormattedExecutionResult): AsyncIterableIterator<FormattedExecutionResult> {
  const results = channel<FormattedExecutionResult>();
  results.push(result);
  results.end();
  return results;
}

function tooMany(what: string, open: number, limit: number): GraphQLError {
  return codedError('LIMIT_EXCEEDED', `Too many ${what}: ${open} open, at most ${limit}; end one first`, { limit: 'subscriptions' });
}

/**
 * `connection_init`'s payload read as headers: `authorization` (or `token`, as Apollo's convention
 * has it) and, over TLS, `x-register-school`; browsers cannot set a WebSocket's headers.
 */
function paramsAsHeaders(params: Record<string, unknown>): HeadersLike {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const lower = new Map(Object.entries(params).map(([key, value]) => [key.toLowerCase(), text(value)]));
  return {
    get: (name) => {
      const value = lower.get(name.toLowerCase());
      if (value === undefined && name.toLowerCase() === 'authorization' && lower.get('token')) return `Bearer ${lower.get('token')}`;
      return value;
    },
  };
}

/** When the (already verified) bearer token expires, in ms since the epoch. */
function tokenExpiry(authorization: string | undefined): number | undefined {
  const token = bearerTokenOf(authorization);
  if (!token) return undefined;
  const { exp } = decodeJwt(token);
  return exp === undefined ? undefined : exp * 1000;
}

/** setTimeout holds at most 2^31-1 ms (about 24 days): a later moment is reached in steps. */
function closeAt(connection: Connection, at: number, close: () => void): void {
  const wait = at - Date.now();
  connection.expiry = wait <= 0 ? undefined : setTimeout(() => closeAt(connection, at, close), Math.min(wait, 2 ** 31 - 1));
  if (wait <= 0) close();
}

/** A WebSocket close reason holds at most 123 bytes (RFC 6455 §5.5). */
function closeReason(reason: string): string {
  return Buffer.byteLength(reason) <= 123
    ? reason
    : `${Buffer.from(reason)
        .subarray(0, 119)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}
