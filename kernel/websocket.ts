/*
 * GraphQL over WebSocket (the graphql-ws protocol), on the same server, port and path as HTTP
 * (architecture.md, "Events and subscriptions"). The gateway serves clients this way; a subgraph in a
 * process of its own serves the gateway's upstream subscriptions this way.
 */
import type { Server } from 'node:http';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import type { OperationResult, ServerOptions } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { graphqlPath, maxBodyBytes } from './http.ts';
import type { SubgraphServer } from './subgraph.ts';
import { viewerHeader } from './viewer.ts';

export type SocketExtra = Extra & Record<string, unknown>;

/**
 * Serves `options` on `server` at the GraphQL path. The protocol's keep-alive pings every
 * `keepAliveMs` and drops a client that does not answer within as long.
 */
export function serveWebSocket(server: Server, options: ServerOptions<Record<string, unknown> | undefined, SocketExtra>, keepAliveMs = 12_000): { close(): Promise<void> } {
  // A message may be as large as an HTTP request body, no larger (ws would allow 100 MiB).
  const sockets = new WebSocketServer({ server, path: graphqlPath, maxPayload: maxBodyBytes });
  const served = useServer(options, sockets, keepAliveMs);
  return { close: async () => void (await served.dispose()) };
}

/**
 * graphql-ws types results as carrying GraphQLError objects; these carry formatted errors, which
 * `onNext` sends as they are (toJSON would be missing on them; stack.md, pitfalls).
 */
export function eventsOf(contextValue: unknown): OperationResult {
  return (contextValue as Opened).events as unknown as OperationResult;
}

/** What a subscription's `contextValue` carries from `onSubscribe` to `subscribe`. */
interface Opened {
  events: AsyncIterableIterator<FormattedExecutionResult>;
}

/**
 * A subgraph's subscriptions for the gateway: each subscribe message carries the gateway's signed
 * viewer in `extensions`, since one connection carries the subscriptions of many viewers. Anyone
 * else is refused, as over HTTP.
 */
export function subgraphSubscriptions(subgraph: SubgraphServer): ServerOptions<Record<string, unknown> | undefined, SocketExtra> {
  return {
    onSubscribe: async (_context, _id, payload) => {
      const assertion = payload.extensions?.[viewerHeader];
      const request = { query: payload.query, variables: payload.variables ?? undefined, operationName: payload.operationName ?? undefined };
      const opened = await subgraph.subscribe(request, typeof assertion === 'string' ? assertion : undefined);
      if (!(Symbol.asyncIterator in opened)) return (opened.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions ?? {} }));
      const contextValue: Opened = { events: opened };
      return { schema: subgraph.schema, document: subgraph.parse(payload.query), variableValues: payload.variables, operationName: payload.operationName, contextValue };
    },
    subscribe: (args) => eventsOf(args.contextValue),
    execute: (args) => eventsOf(args.contextValue),
    // The results are formatted already (kernel/subgraph.ts): sent as they are.
    onNext: (_context, _id, _payload, _args, result) => result as FormattedExecutionResult,
  };
}
