import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The error catalogue: every code the API can answer with, defined once with its meaning and its
 * HTTP status. The status is the one a request gets when the error refuses it as a whole, before it
 * runs (GraphQL over HTTP, "application/graphql-response+json": 4xx for a request that cannot run);
 * an answer that ran holds its errors with status 200, save UNAVAILABLE, which is 503 (kernel/http.ts).
 * Domain rules throw a `RegisterError`; the edge (`renderError`) turns it into a GraphQL error whose
 * `extensions.code` is the code; the gateway's own refusals come from `refusal`. Anything else is
 * masked as INTERNAL_SERVER_ERROR.
 *
 * The GRAPHQL_*, BAD_REQUEST and PERSISTED_QUERY_NOT_FOUND codes are the ones Apollo Server itself
 * produces, with its statuses; they are listed so that a client finds every code it can meet in one
 * place.
 */
export const errorCatalogue = {
  UNAUTHENTICATED: { status: 401, meaning: 'The request carries no valid credentials: no token, an expired token, or a bad signature.' },
  FORBIDDEN: { status: 403, meaning: 'The viewer is known but may not read or change this object.' },
  BAD_USER_INPUT: { status: 400, meaning: 'An argument or input field is invalid; `extensions.field` names it. Nothing was changed.' },
  NOT_FOUND: { status: 404, meaning: 'The object named by the input does not exist.' },
  CONFLICT: { status: 409, meaning: 'The input contradicts what the register already holds. Nothing was changed.' },
  AMBIGUOUS: {
    status: 409,
    meaning:
      'The input matches more than one object the register holds and it cannot tell which is meant; give more of what tells them apart. Nothing was changed.',
  },
  LIMIT_EXCEEDED: {
    status: 400,
    meaning: 'The operation asks too much at once (depth, aliases, root fields or cost); `extensions.limit` names the limit. Ask in smaller parts.',
  },
  RATE_LIMITED: { status: 429, meaning: 'The viewer sent more requests than its rate allows (HTTP 429); wait the seconds the Retry-After header gives.' },
  UNTRUSTED_OPERATION: { status: 400, meaning: 'The gateway runs registered operations only (TRUSTED_DOCUMENTS=strict) and this is not one of them.' },
  GRAPHQL_PARSE_FAILED: { status: 400, meaning: 'The request is not syntactically valid GraphQL.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, meaning: 'The operation does not validate against the schema.' },
  BAD_REQUEST: {
    status: 400,
    meaning:
      'The HTTP request is malformed (method, headers or body), a persisted query among it: a hash that is not the SHA-256 of the text sent with it, or a version other than 1.',
  },
  // Apollo Server answers it with 200: the client is to send the query's text with its hash.
  PERSISTED_QUERY_NOT_FOUND: { status: 200, meaning: 'The persisted query hash is unknown.' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, meaning: 'The operation name does not match an operation in the document.' },
  UNAVAILABLE: {
    status: 503,
    meaning:
      "The register, or the part of it that answers this field, cannot serve now: it is starting, or a database or subgraph behind it cannot be reached or did not answer in time (HTTP 503, with Retry-After). The error's path says which part of an answer is missing; the data that came is kept. Try again after Retry-After; resend a mutation with the same documentId, which answers what it did, or does it once.",
  },
  INTERNAL_SERVER_ERROR: { status: 500, meaning: 'An unexpected error. Details are logged on the server, never shown to the client.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

/**
 * A GraphQL error with a catalogued code, for an error inside an answer: its message, the code and
 * extensions of its own (`field`, `limit`). The answer's status stays the one the catalogue's note
 * above gives.
 */
export function codedError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/**
 * A GraphQL error that refuses a request as a whole, before it runs: as `codedError`, with the
 * catalogue's HTTP status for the code, and headers to send with it (Retry-After).
 */
export function refusal(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, headers?: [string, string][]): GraphQLError {
  const http = { status: errorCatalogue[code].status, ...(headers ? { headers: new Map(headers) } : {}) };
  return new GraphQLError(message, { extensions: { code, ...extensions, http } });
}

/** A RegisterError as a GraphQL error, for where it escapes a resolver's reach (contexts, subscriptions), keeping its code and field. */
export function codedErrorOf(error: RegisterError, asRefusal = false): GraphQLError {
  const extensions = error.field ? { field: error.field } : {};
  return asRefusal ? refusal(error.code, error.message, extensions) : codedError(error.code, error.message, extensions);
}

/** A refusal the register means to give: a catalogued code, a readable message, the offending field. */
export class RegisterError extends Error {
  override readonly name = 'RegisterError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const badInput = (field: string, message: string) => new RegisterError('BAD_USER_INPUT', message, field);

/** What a client reads when a part of the register is out of reach; which part is in the error's path. */
export const unavailableMessage = 'Unavailable now: a part of the register that answers this cannot be reached or did not answer in time. Try again shortly.';

/** Seconds a client is asked to wait (Retry-After) before it tries again after UNAVAILABLE. */
export const retryAfterSeconds = 1;

/**
 * Renders any error thrown while serving a request as the client may see it: a `RegisterError` or a
 * GraphQL error carrying a catalogued code keeps its message and code; Apollo's refusal of a request
 * without a code is BAD_REQUEST; an outage (`isOutage`) becomes UNAVAILABLE; everything else (a bug)
 * becomes INTERNAL_SERVER_ERROR; neither shows message, stack or path to its cause. `report` receives
 * what was masked, and as what, so that the server log keeps it.
 */
export function renderError(
  formatted: GraphQLFormattedError,
  thrown: unknown,
  report: (masked: unknown, code: 'UNAVAILABLE' | 'INTERNAL_SERVER_ERROR') => void = (masked) => console.error(masked),
): GraphQLFormattedError {
  const original = unwrap(thrown);
  const base = { path: formatted.path, locations: formatted.locations };
  if (original instanceof RegisterError) {
    const extensions: Record<string, unknown> = { code: original.code };
    if (original.field) extensions.field = original.field;
    return { ...base, message: original.message, extensions };
  }
  if (isUncodedRefusal(original)) return { ...base, message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  const code = formatted.extensions?.code;
  if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
    // Which subgraph answered and how (`serviceName`, `response`, added by the gateway) is the
    // register's inside, not the client's business.
    const { stacktrace: _dropped, exception: _alsoDropped, serviceName: _inside, response: _alsoInside, ...extensions } = formatted.extensions ?? {};
    return { ...base, message: formatted.message, extensions };
  }
  if (isOutage(thrown)) {
    report(original ?? thrown, 'UNAVAILABLE');
    return { ...base, message: unavailableMessage, extensions: { code: 'UNAVAILABLE' } };
  }
  report(original ?? thrown, 'INTERNAL_SERVER_ERROR');
  return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * Whether an error says that something the register needs is out of reach for now, rather than that
 * something is wrong: the one place that tells them apart, for answers (UNAVAILABLE, HTTP 503), for
 * a process starting without its database, and for retrying an event. It looks through the errors
 * that wrap one (GraphQL's `originalError`, drizzle's and undici's `cause`). An outage is:
 * - a connection refused, reset, timed out or unreachable (Node's and undici's error codes);
 * - a timeout of our own (an AbortSignal.timeout, as the gateway's fetches use);
 * - PostgreSQL's classes for the same: 08 (connection exception), 57P01-57P03 (the server shuts
 *   down, crashed, or is starting), 57014 (a statement cancelled: statement_timeout), 25P03 (a
 *   transaction idle too long), 53300 (too many connections); and node-postgres's own messages for
 *   a connection that ended or could not be had in time, which carry no code;
 * - an error already marked UNAVAILABLE (by a subgraph, or a RegisterError), or a subgraph's HTTP
 *   answer as the gateway's data source reports it (`extensions.response`): 502, 503 or 504, or
 *   another whose errors say UNAVAILABLE.
 */
export function isOutage(thrown: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [thrown];
  while (pending.length) {
    const error = pending.pop();
    if (!error || typeof error !== 'object' || seen.has(error)) continue;
    seen.add(error);
    if (outageItself(error as Record<string, unknown>)) return true;
    const { originalError, cause, errors } = error as { originalError?: unknown; cause?: unknown; errors?: unknown };
    pending.push(originalError, cause, ...(Array.isArray(errors) ? errors : []));
  }
  return false;
}

const outageCodes = new Set([
  // Node's and undici's (fetch) codes for a peer that cannot be reached or went away.
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  // PostgreSQL's (SQLSTATE, appendix A of its manual), besides class 08.
  '57P01',
  '57P02',
  '57P03',
  '57014',
  '25P03',
  '53300',
]);

/** node-postgres's errors for a lost connection and its pool's timeout, which have no code. */
const outageMessages = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Query read timeout$/,
];

function outageItself(error: Record<string, unknown>): boolean {
  if (error instanceof RegisterError) return error.code === 'UNAVAILABLE';
  const { code, name, message } = error;
  const extensions = error.extensions as { code?: unknown; response?: { status?: unknown; body?: { errors?: unknown } } } | undefined;
  if (extensions?.code === 'UNAVAILABLE') return true;
  const answered = extensions?.response;
  if ([502, 503, 504].includes(answered?.status as number)) return true;
  // A subgraph that failed before it ran the operation (its authorization asked the database) answers 500 with its errors.
  if (
    Array.isArray(answered?.body?.errors) &&
    answered.body.errors.some((each: { extensions?: { code?: unknown } }) => each?.extensions?.code === 'UNAVAILABLE')
  )
    return true;
  if (typeof code === 'string' && (outageCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (name === 'TimeoutError') return true;
  return typeof message === 'string' && outageMessages.some((pattern) => pattern.test(message));
}

/**
 * A GraphQL error without a code but with a 4xx HTTP status of its own: Apollo Server's refusal of a
 * request it cannot take (a persisted query whose hash is not its text's, or of a version it does
 * not know), the client's fault, not the server's.
 */
function isUncodedRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** What was thrown under the GraphQLErrors that wrap it. */
export function unwrap(thrown: unknown): unknown {
  let error = thrown;
  while (error instanceof GraphQLError && error.originalError && error.originalError !== error) error = error.originalError;
  return error;
}
