/*
 * The process's log: one JSON object per line (pino), and the request id that ties the lines of one
 * request together, from the gateway to every subgraph it asks, over HTTP and in process alike.
 */
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.ts';
import { renderError } from './errors.ts';

export type { Logger };

/** The header a request id travels in, to the gateway, back to the client, and on to each subgraph. */
export const requestIdHeader = 'x-request-id';

/**
 * A client's own id is kept when a log line can carry it as it is: up to 128 letters, digits and
 * `-_.:`, enough for a UUID, a W3C trace id or a load balancer's id, too little to smuggle a line.
 */
const wellFormedRequestId = /^[\w.:-]{1,128}$/;

/** The id a request goes by: the client's, when well-formed, else a new one. */
export function requestIdOf(sent: string | undefined): string {
  return sent !== undefined && wellFormedRequestId.test(sent) ? sent : randomUUID();
}

/** A logger writing JSON lines at `level` and above to `destination` (standard output by default). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing: for parts started without one (tests that assemble servers by hand). */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * One line per operation, as the response goes out: who served it (`bindings`), its request id, name
 * and type, HTTP status, milliseconds and the codes of its errors. An error answered as
 * INTERNAL_SERVER_ERROR gets a line of its own at `error`, one answered as UNAVAILABLE (an outage) at
 * `warn`, each with what was masked (kernel/errors.ts).
 */
export function requestLog<Context extends { requestId: string }>(logger: Logger, level: 'info' | 'debug', bindings: Record<string, string>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operation, operationName, errors }) {
          const { requestId } = contextValue;
          const codes = errors?.map((error) =>
            renderError({ message: error.message, extensions: error.extensions }, error, (masked, as) =>
              as === 'UNAVAILABLE' ? logger.warn({ ...bindings, requestId, err: masked }, 'unavailable') : logger.error({ ...bindings, requestId, err: masked }, 'internal error'),
            ).extensions?.code,
          );
          if (!logger.isLevelEnabled(level)) return;
          const ms = Math.round((performance.now() - started) * 10) / 10;
          logger[level]({ ...bindings, requestId, operation: operationName ?? undefined, type: operation?.operation, status: response.http.status ?? 200, ms, errors: codes }, 'request');
        },
      };
    },
  };
}
