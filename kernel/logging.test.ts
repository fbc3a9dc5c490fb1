import { describe, expect, it } from 'vitest';
import { createLogger, errorForLog, redactText } from './logging.ts';

/** drizzle-orm's error of a failed statement, as it builds it: its message lists the parameters. */
class DrizzleQueryError extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    override readonly cause: Error,
  ) {
    super(`Failed query: ${query}\nparams: ${params}`);
  }
}

/** A database error as node-postgres and PGlite give it: a SQLSTATE, and a detail that may hold a row. */
function databaseError(message: string, fields: Record<string, string>): Error {
  return Object.assign(new Error(message), { severity: 'ERROR', ...fields });
}

const statement = 'INSERT INTO "learners"."learner" ("id", "pgn", "family_name") SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])';
const failed = new DrizzleQueryError(
  statement,
  ['b32d61be-c0e9-4aec-8ac7-4b28788ee239', '111222333', 'Zwanenburg\nline two'],
  databaseError('new row for relation "learner" violates check constraint "learner_name"', {
    code: '23514',
    table: 'learner',
    constraint: 'learner_name',
    detail: 'Failing row contains (b32d61be, 111222333, Zwanenburg).',
    where: "unnamed portal parameter $2 = '111222333'",
  }),
);

describe('the log keeps no value of a statement', () => {
  it("keeps drizzle's statement, which has placeholders only, and cuts its parameters", () => {
    expect(redactText(failed.message)).toBe(`Failed query: ${statement}\nparams: [redacted]`);
    expect(redactText(`learners feed: ${failed.message}; retrying`)).toBe(`learners feed: Failed query: ${statement}\nparams: [redacted]`);
  });

  it('blanks the value a database message quotes, and keeps the names it quotes', () => {
    expect(redactText('invalid input syntax for type date: "2018-05-17"')).toBe('invalid input syntax for type date: "[redacted]"');
    expect(redactText('value "111222333" is out of range for type integer')).toBe('value "[redacted]" is out of range for type integer');
    expect(redactText('duplicate key value violates unique constraint "learner_pgn_pkey"')).toBe(
      'duplicate key value violates unique constraint "learner_pgn_pkey"',
    );
    expect(redactText('invalid byte sequence for encoding "UTF8": 0x00')).toBe('invalid byte sequence for encoding "UTF8": 0x00');
    expect(redactText('column "family_name" of relation "learner" does not exist')).toBe('column "family_name" of relation "learner" does not exist');
  });

  it('logs an error with its SQLSTATE, table and constraint, and without its detail, context or parameters, down its causes', () => {
    const logged = JSON.stringify(errorForLog(failed));
    for (const value of ['111222333', 'Zwanenburg', 'b32d61be', 'Failing row']) expect(logged).not.toContain(value);
    expect(errorForLog(failed)).toMatchObject({
      type: 'DrizzleQueryError',
      message: `Failed query: ${statement}\nparams: [redacted]`,
      stack: expect.stringMatching(/^DrizzleQueryError: Failed query: .*\nparams: \[redacted\]\n\s+at /s),
      cause: {
        code: '23514',
        table: 'learner',
        constraint: 'learner_name',
        message: 'new row for relation "learner" violates check constraint "learner_name"',
      },
    });
  });

  it('redacts what a logger writes, in messages and in errors', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    logger.error({ err: failed }, 'internal error');
    logger.warn(`consumer failed: ${failed.message}`);
    logger.error(failed);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain('111222333');
      expect(line).not.toContain('Zwanenburg');
    }
    expect(JSON.parse(lines[0]!).err.cause.code).toBe('23514');
  });
});
