/*
 * The process's log: one JSON object per line (pino), and the request id that ties the lines of one
 * request together, from the gateway to every subgraph it asks, over HTTP and in process alike.
 *
 * No line may hold a PGN, a name, a birth date or a postcode (BIO 8.15: no more in a log than it
 * needs; docs/domain.md §10), and the way they get in is an error: drizzle's message carries a failed
 * statement's parameters, a database error's detail the failing row, and some database messages
 * quote the value they refused. Every line passes `redactText` and every error `errorForLog`.
 */
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
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
  const options: LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: errorForLog },
    hooks: {
      logMethod(args, method) {
        // The message and its interpolated values; the bindings object is the register's own. Without
        // a message pino would take an error's own, unredacted: it gets the redacted one here.
        const [first, ...rest] = args as unknown[];
        const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        const message = typeof rest[0] === 'string' || !(error instanceof Error) ? [] : [error.message];
        const redacted = [first, ...message, ...rest].map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
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
export function requestLog<Context extends { requestId: string }>(
  logger: Logger,
  level: 'info' | 'debug',
  bindings: Record<string, string>,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operation, operationName, errors }) {
          const { requestId } = contextValue;
          const codes = errors?.map(
            (error) =>
              renderError({ message: error.message, extensions: error.extensions }, error, (masked, as) =>
                as === 'UNAVAILABLE'
                  ? logger.warn({ ...bindings, requestId, err: masked }, 'unavailable')
                  : logger.error({ ...bindings, requestId, err: masked }, 'internal error'),
              ).extensions?.code,
          );
          if (!logger.isLevelEnabled(level)) return;
          const ms = Math.round((performance.now() - started) * 10) / 10;
          logger[level](
            {
              ...bindings,
              requestId,
              operation: operationName ?? undefined,
              type: operation?.operation,
              status: response.http.status ?? 200,
              ms,
              errors: codes,
            },
            'request',
          );
        },
      };
    },
  };
}

/**
 * Words after which PostgreSQL quotes a name of its own (a relation, a constraint, an encoding): kept.
 * A quoted part anywhere else in a database message is the value it refused (`invalid input syntax
 * for type date: "…"`), which may be anybody's data.
 */
const quotedName =
  /\b(?:relation|constraint|column|table|index|schema|type|function|sequence|role|database|trigger|view|encoding|channel|cursor|savepoint|operator|extension|parameter)\s+$/i;

/**
 * A text as it may go into the log. drizzle's message of a failed statement keeps the statement,
 * which has placeholders only, and loses its parameters (`Failed query: <statement>\nparams:
 * <values>`); elsewhere every quoted part that is not a database name is blanked.
 */
export function redactText(text: string): string {
  const statement = text.indexOf('Failed query: ');
  if (statement < 0) return blankQuotedValues(text);
  const parameters = text.indexOf('\nparams: ', statement);
  return `${blankQuotedValues(text.slice(0, statement))}${text.slice(statement, parameters < 0 ? undefined : parameters)}${parameters < 0 ? '' : '\nparams: [redacted]'}`;
}

const blankQuotedValues = (text: string) =>
  text.replace(/"(?:[^"\\]|\\.)*"/g, (quoted, offset: number) => (quotedName.test(text.slice(Math.max(0, offset - 40), offset)) ? quoted : '"[redacted]"'));

/** What the log keeps of a database error: its SQLSTATE and where, never its detail, hint, context or parameters. */
const databaseFields = ['code', 'severity', 'schema', 'table', 'column', 'constraint', 'routine'] as const;

/**
 * An error as the log keeps it: type, message and stack passed through `redactText`, the database
 * error's fields that name no value (`databaseFields`), and its causes likewise. Anything else an
 * error carries (drizzle's `params`, pg's `detail` with the failing row, `where`) is left out.
 */
export function errorForLog(error: unknown, depth = 0): unknown {
  if (error === null || typeof error !== 'object') return typeof error === 'string' ? redactText(error) : error;
  const source = error as Record<string, unknown> & { message?: unknown; stack?: unknown; cause?: unknown; extensions?: { code?: unknown } };
  const message = typeof source.message === 'string' ? source.message : '';
  const type = error instanceof Error ? error.constructor.name : 'Object';
  const logged: Record<string, unknown> = { type, message: redactText(message) };
  if (typeof source.stack === 'string') logged.stack = `${type}: ${logged.message as string}${framesOf(source.stack, message)}`;
  for (const field of databaseFields) if (typeof source[field] === 'string') logged[field] = source[field];
  if (source.extensions?.code !== undefined) logged.extensions = { code: source.extensions.code };
  if (Array.isArray(source.path)) logged.path = source.path;
  if (source.cause !== undefined && depth < 5) logged.cause = errorForLog(source.cause, depth + 1);
  return logged;
}

/** The call frames of a stack, without the message it starts with (which may run over several lines). */
function framesOf(stack: string, message: string): string {
  const end = message ? stack.indexOf(message) : -1;
  if (end >= 0) return redactText(stack.slice(end + message.length));
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => `\n${redactText(line)}`)
    .join('');
}
