import { describe, expect, it } from 'vitest';
import { buildSchema, execute, GraphQLError, parse, validate, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import { covers, cut, keyOf, primaryOf, printShared, project, projectionOf, shared, sizeOf, union } from './share.ts';

// The shape of a subgraph's subscription: an event object with scalars, an argument, nesting, an enum.
const schema = buildSchema(`
  type Query { ok: Boolean }
  type Subscription { changed(after: String): Change! }
  type Change { cursor: String! year: Int! outcome: Outcome! enrollment: Enrollment! note: String }
  type Enrollment { id: ID! status(countDate: String): Status }
  type Status { countDate: String! outcome: Outcome! reasons: [String!]! }
  enum Outcome { FUNDABLE NOT_FUNDABLE }
`);

/** One event as the subgraph resolves it: `status` answers per count date; `note` fails. */
const event = {
  changed: {
    cursor: 'c1',
    year: 2028,
    outcome: 'NOT_FUNDABLE',
    note: () => {
      throw new GraphQLError('Not for you', { extensions: { code: 'FORBIDDEN' } });
    },
    enrollment: {
      id: 'e1',
      status: ({ countDate }: { countDate?: string }) => ({ countDate: countDate ?? '2027-02-01', outcome: 'FUNDABLE', reasons: countDate ? ['LATE'] : [] }),
    },
  },
};

/** What the subgraph answers to `document`: the reference each cut is compared with. */
function answered(document: DocumentNode, variables: Record<string, unknown> = {}): FormattedExecutionResult {
  const result = execute({ schema, document, rootValue: event, variableValues: variables }) as {
    data?: Record<string, unknown> | null;
    errors?: readonly GraphQLError[];
  };
  return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors.map((error) => error.toJSON()) } : {}) };
}

const documents: [string, Record<string, unknown>][] = [
  ['subscription S($after: String) { changed(after: $after) { cursor y: year } }', { after: null }],
  ['subscription { renamed: changed { year outcome enrollment { __typename id } } }', {}],
  ['subscription($d: String) { changed { a: enrollment { s: status(countDate: $d) { outcome reasons } } b: enrollment { id } } }', { d: '2028-02-01' }],
  ['subscription { changed { enrollment { status { countDate } later: status(countDate: "2029-02-01") { countDate reasons } } } }', {}],
  [
    'subscription($skip: Boolean!) { changed { ...Parts year @skip(if: $skip) } } fragment Parts on Change { outcome ... on Change { cursor } }',
    { skip: true },
  ],
  ['subscription { changed { year note } }', {}],
];

describe('a subscription shared by documents that select differently', () => {
  it('knows a field by its name and argument values, whatever its alias', () => {
    const plain = primaryOf(schema, parse('subscription { changed { y: year enrollment { status(countDate: "2028-02-01") { outcome } } } }'), {});
    const aliased = primaryOf(schema, parse('subscription($d: String) { x: changed { year e: enrollment { s: status(countDate: $d) { o: outcome } } } }'), {
      d: '2028-02-01',
    });
    const otherDate = primaryOf(schema, parse('subscription { changed { enrollment { status(countDate: "2029-02-01") { outcome } } } }'), {});
    expect(covers(plain.selection, aliased.selection) && covers(aliased.selection, plain.selection)).toBe(true);
    expect(covers(plain.selection, otherDate.selection)).toBe(false);
    expect(keyOf('status', { countDate: '2028-02-01' })).not.toBe(keyOf('status', { countDate: '2029-02-01' }));
    expect(keyOf('year', {})).toBe('year');
    const both = union(plain.selection, otherDate.selection);
    expect(covers(both, plain.selection) && covers(both, otherDate.selection)).toBe(true);
    expect(sizeOf(both)).toBe(sizeOf(plain.selection) + 2);
  });

  it('sends one valid subscription selecting the union, and cuts out of its answer exactly what each document would have been answered', () => {
    const primaries = documents.map(([text, variables]) => primaryOf(schema, parse(text), variables));
    const selection = primaries.map((primary) => primary.selection).reduce(union);
    const text = printShared(primaries[0]!, selection, 'Shared');
    const sharedDocument = parse(text);
    expect(validate(schema, sharedDocument)).toEqual([]);
    expect(text).toContain('changed(after: $registerAfter)');
    const answer = shared(answered(sharedDocument, { registerAfter: null }));
    for (const [source, variables] of documents) {
      const document = parse(source);
      expect({ source, cut: cut(schema, document, variables, answer) }).toEqual({ source, cut: answered(document, variables) });
    }
  });

  it('copies a document answered by the shared fetch alone straight out of an answer without errors, as execution would shape it', () => {
    const clean = documents.filter(([source]) => !source.includes('note'));
    const primaries = clean.map(([text, variables]) => primaryOf(schema, parse(text), variables));
    const sharedDocument = parse(printShared(primaries[0]!, primaries.map((primary) => primary.selection).reduce(union), 'Shared'));
    const answer = shared(answered(sharedDocument, { registerAfter: null }));
    expect(answer.failed).toBe(false);
    for (const [source, variables] of clean) {
      const document = parse(source);
      expect({ source, data: project(answer.data, projectionOf(schema, document, undefined, variables)) }).toEqual({
        source,
        data: answered(document, variables).data,
      });
    }
  });
});
