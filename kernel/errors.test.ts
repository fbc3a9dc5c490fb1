import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, isErrorCode, RegisterError, renderError } from './errors.ts';

const masked = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/** Collects what `renderError` reports, so that a test can see what was masked. */
function reporter() {
  const reported: unknown[] = [];
  return { reported, report: (error: unknown) => void reported.push(error) };
}

/** What graphql-js does with an error a resolver throws: wraps it, keeping it as `originalError`. */
const wrapped = (error: Error) =>
  new GraphQLError(error.message, { path: ['school', 'name'], originalError: error });

describe('renderError', () => {
  it("answers Apollo's refusal of a request without a code but with a 4xx status as BAD_REQUEST, and reports nothing", () => {
    const refusal = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
    const { reported, report } = reporter();

    expect(renderError({ message: refusal.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, refusal, report)).toEqual({ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } });
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

describe('the error catalogue', () => {
  it.each(Object.entries(errorCatalogue))('gives %s a meaning', (code, meaning) => {
    expect(isErrorCode(code)).toBe(true);
    expect(meaning.trim()).not.toBe('');
  });

  it.each(['UNKNOWN', 'toString', 'constructor', '', 42, undefined])('does not know %j', (value) => {
    expect(isErrorCode(value)).toBe(false);
  });
});
