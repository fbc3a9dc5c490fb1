/*
 * GraphQL over WebSocket (the graphql-ws protocol), on the same server, port and path as HTTP
 * (docs/architecture.md, "Events and subscriptions"). The gateway serves clients this way; a subgraph in a
 * process of its own serves the gateway's upstream subscriptions this way.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import type { OperationResult, ServerOptions } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { graphqlPath, maxBodyBytes } from './http.ts';
import type { SubgraphServer } from './subgraph.ts';
import { viewerHeader } from './viewer.ts';

export type SocketExtra = Extra & Record<string, unknown>;

/**
 * The close codes a client can meet besides graphql-ws's own, each mirroring an HTTP or WebSocket
 * status: 4403 (403) follows the graphql-ws recipe for an expired token (reconnect with a new one,
 * enisdenjo/graphql-ws issue #482); 4008 (1008, policy violation) is a client that fell behind; 4503
 * (503) a subscription whose next event could not be completed in time, which resumes right before it.
 */
export const closeCodes = { forbidden: 4403, fellBehind: 4008, unavailable: 4503 } as const;

/**
 * Serves `options` on `server` at the GraphQL path, with the keep-alive below every `keepAliveMs`.
 */
export function serveWebSocket(
  server: Server,
  options: ServerOptions<Record<string, unknown> | undefined, SocketExtra>,
  keepAliveMs = 12_000,
): { close(): Promise<void> } {
  // A message may be as large as an HTTP request body, no larger (ws would allow 100 MiB).
  const sockets = new WebSocketServer({ server, path: graphqlPath, maxPayload: maxBodyBytes });
  const alive = keepAlive(sockets, keepAliveMs);
  // graphql-ws's own keep-alive is off: it drops a client whose answer is late without a word.
  const served = useServer(options, sockets, 0);
  return {
    close: async () => {
      alive.stop();
      await served.dispose();
    },
  };
}

/** Bytes written to a connection: through its last ping, and through the last ping it answered. */
interface Pinged {
  connection: Socket;
  throughPing: number;
  answered: number;
  /** The size of the ping that waits for an answer; undefined when none does. */
  waiting: number | undefined;
}

/**
 * A ping every `intervalMs`; a connection that has not answered by the next one is let go. A ping
 * waits behind whatever was sent before it, and a client that is there but reads slowly answers
 * late: one that was sent anything since the ping it last answered is closed with 4008, a close
 * frame that it finds after what it has not read yet (ws drops the connection 30 s later if it
 * never does). A client that was sent nothing and does not answer is gone, and is dropped at once.
 * One timer serves every connection, and one listener function: a connection costs its record.
 */
function keepAlive(sockets: WebSocketServer, intervalMs: number): { stop(): void } {
  const pinged = new WeakMap<WebSocket, Pinged>();
  function answered(this: WebSocket): void {
    const record = pinged.get(this);
    if (!record) return;
    record.waiting = undefined;
    record.answered = record.throughPing;
  }
  sockets.on('connection', (socket, request) => {
    const written = request.socket.bytesWritten;
    pinged.set(socket, { connection: request.socket, throughPing: written, answered: written, waiting: undefined });
    socket.on('pong', answered);
  });
  const timer = setInterval(() => {
    for (const socket of sockets.clients) {
      const record = pinged.get(socket);
      if (!record || socket.readyState !== WebSocket.OPEN) continue;
      const written = record.connection.bytesWritten;
      if (record.waiting === undefined) {
        socket.ping();
        record.throughPing = record.connection.bytesWritten;
        record.waiting = record.throughPing - written;
      } else if (written - record.waiting > record.answered) {
        socket.close(closeCodes.fellBehind, `Fell behind: no answer within ${intervalMs / 1000} s; reconnect and resume with after: your last cursor`);
      } else socket.terminate();
    }
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}

/**
 * graphql-ws types results as carrying GraphQLError objects; these carry formatted errors, which
 * `onNext` sends as they are: graphql-ws calls `toJSON()` on each error unless `onNext` returns the
 * result, and a formatted error has none (docs/architecture.md, "Library facts the code relies on").
 */
export function resultsOf(contextValue: unknown): OperationResult {
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
      if (!(Symbol.asyncIterator in opened))
        return (opened.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions ?? {} }));
      const contextValue: Opened = { events: opened };
      return {
        schema: subgraph.schema,
        document: subgraph.parse(payload.query),
        variableValues: payload.variables,
        operationName: payload.operationName,
        contextValue,
      };
    },
    subscribe: (args) => resultsOf(args.contextValue),
    execute: (args) => resultsOf(args.contextValue),
    // The results are formatted already (kernel/subgraph.ts): sent as they are.
    onNext: (_context, _id, _payload, _args, result) => result as FormattedExecutionResult,
  };
}
