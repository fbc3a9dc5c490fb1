import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { codedError, codedErrorOf, errorCatalogue, isErrorCode, isOutage, refusal, RegisterError, renderError } from './errors.ts';

const masked = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/** Collects what `renderError` reports, so that a test can see what was masked. */
function reporter() {
  const reported: unknown[] = [];
  return { reported, report: (error: unknown) => void reported.push(error) };
}

/** What graphql-js does with an error a resolver throws: wraps it, keeping it as `originalError`. */
const wrapped = (error: Error) => new GraphQLError(error.message, { path: ['school', 'name'], originalError: error });

describe('renderError', () => {
  it("answers Apollo's refusal of a request without a code but with a 4xx status as BAD_REQUEST, and reports nothing", () => {
    const refusal = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
    const { reported, report } = reporter();

    expect(renderError({ message: refusal.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, refusal, report)).toEqual({
      message: 'provided sha does not match query',
      extensions: { code: 'BAD_REQUEST' },
    });
    expect(reported).toEqual([]);
  });

  it('masks an error without a code whose status is a server error', () => {
    const failure = new GraphQLError('upstream broke', { extensions: { http: { status: 502 } } });
    const { reported, report } = reporter();

    expect(renderError({ message: failure.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, failure, report)).toEqual(masked);
    expect(reported).toEqual([failure]);
  });

  it.each([
    ['thrown as is', (error: RegisterError) => error as unknown],
    ['wrapped by graphql-js', (error: RegisterError) => wrapped(error)],
    ['wrapped twice', (error: RegisterError) => new GraphQLError('outer', { originalError: wrapped(error) })],
  ])('keeps a RegisterError’s message, code and field when %s', (_, wrap) => {
    const error = new RegisterError('BAD_USER_INPUT', 'BRIN6 "16AH" must be 2 digits, 2 letters and 2 digits', 'brin6');
    const formatted: GraphQLFormattedError = {
      message: 'Unexpected error.',
      path: ['school'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['RegisterError: at parseBrin6'] },
    };
    const { reported, report } = reporter();

    expect(renderError(formatted, wrap(error), report)).toEqual({
      message: 'BRIN6 "16AH" must be 2 digits, 2 letters and 2 digits',
      path: ['school'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'BAD_USER_INPUT', field: 'brin6' },
    });
    expect(reported).toEqual([]);
  });

  it('gives no field for a RegisterError that names none', () => {
    const error = new RegisterError('FORBIDDEN', 'This school belongs to another board');
    const rendered = renderError({ message: 'x' }, wrapped(error), () => undefined);

    expect(rendered.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(rendered.message).toBe('This school belongs to another board');
  });

  it.each(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND'])(
    'keeps a GraphQL error with the catalogued code %s and strips its stacktrace',
    (code) => {
      const formatted: GraphQLFormattedError = {
        message: 'Cannot query field "nam" on type "Branch". Did you mean "name"?',
        locations: [{ line: 2, column: 5 }],
        extensions: { code, stacktrace: ['GraphQLError: Cannot query field', '    at validate (/srv/node_modules/graphql/validation/validate.js:1:1)'] },
      };
      const { reported, report } = reporter();

      const rendered = renderError(formatted, new GraphQLError(formatted.message), report);

      expect(rendered).toEqual({
        message: 'Cannot query field "nam" on type "Branch". Did you mean "name"?',
        locations: [{ line: 2, column: 5 }],
        extensions: { code },
      });
      expect(rendered.extensions).not.toHaveProperty('stacktrace');
      expect(reported).toEqual([]);
    },
  );

  it('keeps the other extensions of a catalogued GraphQL error', () => {
    const formatted: GraphQLFormattedError = { message: 'Bad', extensions: { code: 'BAD_USER_INPUT', field: 'first', stacktrace: ['at x'] } };

    expect(renderError(formatted, new GraphQLError('Bad'), () => undefined).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  const secret = 'connect ECONNREFUSED 10.0.0.5:5432 password=hunter2';

  it.each([
    ['an ordinary Error', () => new Error(secret), 'INTERNAL_SERVER_ERROR'],
    ['an ordinary Error wrapped by graphql-js', () => wrapped(new Error(secret)), 'INTERNAL_SERVER_ERROR'],
    ['a GraphQL error with an unknown code', () => new GraphQLError(secret, { extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }), 'DOWNSTREAM_SERVICE_ERROR'],
    ['a GraphQL error without a code', () => new GraphQLError(secret), undefined],
    ['a thrown string', () => secret as unknown, 'INTERNAL_SERVER_ERROR'],
  ])('masks %s without leaking its message, and reports the original', (_, make, code) => {
    const thrown = make();
    const formatted: GraphQLFormattedError = {
      message: secret,
      path: ['schools', 0, 'name'],
      extensions: { ...(code === undefined ? {} : { code }), stacktrace: [`Error: ${secret}`] },
    };
    const { reported, report } = reporter();

    const rendered = renderError(formatted, thrown, report);

    expect(rendered).toEqual({ ...masked, path: ['schools', 0, 'name'] });
    expect(JSON.stringify(rendered)).not.toContain('hunter2');
    const original = thrown instanceof GraphQLError && thrown.originalError ? thrown.originalError : thrown;
    expect(reported).toEqual([original]);
    expect(reported[0]).toBe(original);
  });

  it('masks an error that claims INTERNAL_SERVER_ERROR itself, keeping none of its message', () => {
    const formatted: GraphQLFormattedError = { message: secret, extensions: { code: 'INTERNAL_SERVER_ERROR', detail: secret } };
    const { reported, report } = reporter();

    expect(renderError(formatted, new GraphQLError(secret), report)).toEqual(masked);
    expect(reported).toHaveLength(1);
  });
});

/** An error as Node, undici, node-postgres or drizzle make one: a message, perhaps a code and a cause. */
const failure = (message: string, fields: { code?: string; name?: string; cause?: unknown } = {}) =>
  Object.assign(new Error(message, { cause: fields.cause }), fields.code ? { code: fields.code } : {}, fields.name ? { name: fields.name } : {});

describe('isOutage', () => {
  it.each([
    ['a connection refused', failure('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['a connection reset', failure('read ECONNRESET', { code: 'ECONNRESET' })],
    ["fetch's failure, by its cause", new TypeError('fetch failed', { cause: failure('other side closed', { code: 'UND_ERR_SOCKET' }) })],
    [
      "fetch's failure to connect",
      new TypeError('fetch failed', { cause: new AggregateError([failure('connect ECONNREFUSED ::1:4001', { code: 'ECONNREFUSED' })]) }),
    ],
    ['a timeout of AbortSignal.timeout', failure('The operation was aborted due to timeout', { name: 'TimeoutError' })],
    ['PostgreSQL shutting down (57P01)', failure('terminating connection due to administrator command', { code: '57P01' })],
    ['PostgreSQL starting (57P03)', failure('the database system is starting up', { code: '57P03' })],
    ['a statement timeout (57014)', failure('canceling statement due to statement timeout', { code: '57014' })],
    ['an idle transaction ended (25P03)', failure('terminating connection due to idle-in-transaction timeout', { code: '25P03' })],
    ['a connection exception (class 08)', failure('connection failure', { code: '08006' })],
    ['too many connections (53300)', failure('sorry, too many clients already', { code: '53300' })],
    ["node-postgres's lost connection", failure('Connection terminated unexpectedly')],
    ["node-postgres's pool timeout", failure('timeout exceeded when trying to connect')],
    ['a database failure under drizzle', failure('Failed query: select 1', { cause: failure('Connection terminated unexpectedly') })],
    ['a database failure under drizzle under graphql-js', wrapped(failure('Failed query: select 1', { cause: failure('x', { code: '57P01' }) }))],
    ["a subgraph's 503, as the gateway's data source reports it", new GraphQLError('503: Service Unavailable', { extensions: { response: { status: 503 } } })],
    [
      "a subgraph's 500 whose errors say UNAVAILABLE",
      new GraphQLError('500: Internal Server Error', {
        extensions: { response: { status: 500, body: { errors: [{ message: 'Unavailable now', extensions: { code: 'UNAVAILABLE' } }] } } },
      }),
    ],
    ['an error already marked UNAVAILABLE', new GraphQLError('Unavailable now', { extensions: { code: 'UNAVAILABLE' } })],
    ['a RegisterError UNAVAILABLE', new RegisterError('UNAVAILABLE', 'starting')],
  ])('knows %s as an outage', (_, error) => {
    expect(isOutage(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a message that merely mentions a refused connection', new Error('connect ECONNREFUSED 10.0.0.5:5432')],
    ['a unique violation (23505)', failure('duplicate key value violates unique constraint', { code: '23505' })],
    ['a missing table (42P01)', failure('relation "x" does not exist', { code: '42P01' })],
    ['a wrong password (28P01)', failure('password authentication failed for user "register"', { code: '28P01' })],
    ['a database that does not exist (3D000)', failure('database "register" does not exist', { code: '3D000' })],
    ['a refusal', new RegisterError('FORBIDDEN', 'not yours')],
    [
      "a subgraph's 500",
      new GraphQLError('500: Internal Server Error', {
        extensions: { response: { status: 500, body: { errors: [{ message: 'x', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } } },
      }),
    ],
    ['nothing', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('does not take %s for an outage', (_, error) => {
    expect(isOutage(error)).toBe(false);
  });

  it('is not led in circles by an error that is its own cause', () => {
    const error = failure('odd');
    Object.assign(error, { cause: error });
    expect(isOutage(error)).toBe(false);
  });
});

describe('renderError of an outage', () => {
  it('answers UNAVAILABLE with a message that names no host, and reports the original as such', () => {
    const original = failure('connect ECONNREFUSED 10.0.0.5:5432', { code: 'ECONNREFUSED' });
    const reported: [unknown, string][] = [];

    const rendered = renderError({ message: original.message, path: ['branch'] }, wrapped(original), (masked, as) => void reported.push([masked, as]));

    expect(rendered).toEqual({ message: expect.stringMatching(/^Unavailable now/), path: ['branch'], extensions: { code: 'UNAVAILABLE' } });
    expect(JSON.stringify(rendered)).not.toContain('10.0.0.5');
    expect(reported).toEqual([[original, 'UNAVAILABLE']]);
  });
});

describe('the error catalogue', () => {
  it.each(Object.entries(errorCatalogue))('gives %s a meaning and an HTTP status', (code, { meaning, status }) => {
    expect(isErrorCode(code)).toBe(true);
    expect(meaning.trim()).not.toBe('');
    expect(status >= 200 && status < 600).toBe(true);
  });

  it('makes a refusal with the code, its status, its extensions and headers', () => {
    const error = refusal('RATE_LIMITED', 'Too many', { limit: 'rate' }, [['retry-after', '2']]);
    expect(error.message).toBe('Too many');
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', limit: 'rate', http: { status: 429, headers: new Map([['retry-after', '2']]) } });
    expect(refusal('UNAUTHENTICATED', 'No token').extensions).toEqual({ code: 'UNAUTHENTICATED', http: { status: 401 } });
  });

  it("makes an error inside an answer without a status, and keeps a RegisterError's field", () => {
    expect(codedError('LIMIT_EXCEEDED', 'Too many', { limit: 'subscriptions' }).extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'subscriptions' });
    expect(codedErrorOf(new RegisterError('BAD_USER_INPUT', 'Bad', 'pgn')).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'pgn' });
    expect(codedErrorOf(new RegisterError('UNAUTHENTICATED', 'Expired'), true).extensions).toEqual({ code: 'UNAUTHENTICATED', http: { status: 401 } });
  });

  it.each(['UNKNOWN', 'toString', 'constructor', '', 42, undefined])('does not know %j', (value) => {
    expect(isErrorCode(value)).toBe(false);
  });
});
