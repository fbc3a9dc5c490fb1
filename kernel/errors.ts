import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The error catalogue: every code the API can answer with, defined once with its meaning.
 * Domain rules throw a `RegisterError`; the edge (`renderError`) turns it into a GraphQL error
 * whose `extensions.code` is the code. Anything else is masked as INTERNAL_SERVER_ERROR.
 *
 * The GRAPHQL_* and BAD_REQUEST codes are the ones Apollo Server itself produces; they are listed so
 * that a client finds every code it can meet in one place.
 */
export const errorCatalogue = {
  UNAUTHENTICATED: 'The request carries no valid credentials: no token, an expired token, or a bad signature.',
  FORBIDDEN: 'The viewer is known but may not read or change this object.',
  BAD_USER_INPUT: 'An argument or input field is invalid; `extensions.field` names it. Nothing was changed.',
  NOT_FOUND: 'The object named by the input does not exist.',
  CONFLICT: 'The input contradicts what the register already holds. Nothing was changed.',
  LIMIT_EXCEEDED: 'The operation asks too much at once (depth, aliases, root fields or cost); `extensions.limit` names the limit. Ask in smaller parts.',
  RATE_LIMITED: 'The viewer sent more requests than its rate allows (HTTP 429); wait the seconds the Retry-After header gives.',
  UNTRUSTED_OPERATION: 'The gateway runs registered operations only (TRUSTED_DOCUMENTS=strict) and this is not one of them.',
  GRAPHQL_PARSE_FAILED: 'The request is not syntactically valid GraphQL.',
  GRAPHQL_VALIDATION_FAILED: 'The operation does not validate against the schema.',
  BAD_REQUEST: 'The HTTP request is malformed (method, headers or body), a persisted query among it: a hash that is not the SHA-256 of the text sent with it, or a version other than 1.',
  PERSISTED_QUERY_NOT_FOUND: 'The persisted query hash is unknown.',
  OPERATION_RESOLUTION_FAILURE: 'The operation name does not match an operation in the document.',
  UNAVAILABLE: 'The server is still starting (HTTP 503, with Retry-After): /readyz names what it waits for. Try again shortly.',
  INTERNAL_SERVER_ERROR: 'An unexpected error. Details are logged on the server, never shown to the client.',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
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

/**
 * Renders any error thrown while serving a request as the client may see it: a `RegisterError` or a
 * GraphQL error carrying a catalogued code keeps its message and code; Apollo's refusal of a request
 * without a code is BAD_REQUEST; everything else (a database failure, a bug) becomes
 * INTERNAL_SERVER_ERROR without message, stack or path to its cause.
 * `report` receives what was masked, so that the server log keeps it.
 */
export function renderError(
  formatted: GraphQLFormattedError,
  thrown: unknown,
  report: (masked: unknown) => void = (masked) => console.error(masked),
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
  report(original ?? thrown);
  return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
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
