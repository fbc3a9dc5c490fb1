import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { defaultPageSize } from '../kernel/pages.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { apiSchemaOf, readOperations } from './composition.ts';
import { assumedListSize, checkOperationLimits, coerceVariables, defaultLimits, measureOperation, type Measured } from './limits.ts';

/** The shapes the register's API has: a paged connection, a list without pages, an object, a page with a default. */
const schema = buildSchema(`
  type Query {
    branch(id: ID!): Branch
    branches(first: Int, after: String, filter: BranchFilter): BranchConnection!
    notices(first: Int = 3): NoticeConnection!
  }
  type BranchConnection { totalCount: Int! edges: [BranchEdge!]! }
  type BranchEdge { cursor: String! node: Branch! }
  type NoticeConnection { totalCount: Int! }
  type Branch { name: String! tags: [Tag!]! address: Address }
  type Tag { label: String! }
  type Address { city: String! }
  input BranchFilter { name: String }
`);

function measure(source: string, variables?: Record<string, unknown>): Measured {
  const document = parse(source);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition')!;
  return measureOperation(schema, document, operation, variables && coerceVariables(schema, operation, variables));
}

const operationOf = (source: string) => parse(source).definitions[0] as OperationDefinitionNode;

describe('measureOperation: what an operation asks for, as it will run', () => {
  it('counts depth as fields nested in fields, and each field once in the cost', () => {
    expect(measure('{ branch(id: "1") { name address { city } } }')).toEqual({ depth: 3, aliases: 0, rootFields: 1, cost: 4 });
  });

  it('counts aliases and root fields', () => {
    expect(measure('{ a: branch(id: "1") { name } b: branch(id: "2") { n: name } }')).toEqual({ depth: 2, aliases: 3, rootFields: 2, cost: 4 });
  });

  it("multiplies what is below a paged field by its page, and adds no factor for the page's edges", () => {
    // branches 1; totalCount, edges, node and name 10 each.
    expect(measure('{ branches(first: 10) { totalCount edges { node { name } } } }')).toMatchObject({ depth: 4, cost: 41 });
  });

  it('multiplies what is below a list without pages by the assumed list size, also inside a page', () => {
    expect(measure('{ branch(id: "1") { tags { label } } }').cost).toBe(1 + 1 + assumedListSize);
    expect(measure('{ branches(first: 10) { edges { node { tags { label } } } } }').cost).toBe(1 + 10 + 10 + 10 + 10 * assumedListSize);
  });

  it('follows fragments where they are spread, named or inline, as often as they are spread', () => {
    const direct = measure('{ branch(id: "1") { name address { city } } }');
    expect(measure('{ branch(id: "1") { ...Parts } } fragment Parts on Branch { name address { city } }')).toEqual(direct);
    expect(measure('{ branch(id: "1") { ... on Branch { name address { city } } } }')).toEqual(direct);
    expect(measure('{ a: branch(id: "1") { ...Parts } b: branch(id: "2") { ...Parts } } fragment Parts on Branch { name address { city } }').cost).toBe(
      2 * direct.cost,
    );
  });

  it('stops at a fragment that spreads itself (validation refuses one; the measure must end anyway)', () => {
    expect(measure('{ branch(id: "1") { ...Loop } } fragment Loop on Branch { name ...Loop }')).toEqual({ depth: 2, aliases: 0, rootFields: 1, cost: 2 });
  });

  it("reads the page from a variable, else its default, else the argument's default, else the page a resolver gives", () => {
    const paged = 'query($n: Int = 5) { branches(first: $n) { totalCount } }';
    expect(measure(paged, { n: 7 }).cost).toBe(1 + 7);
    expect(measure(paged, {}).cost).toBe(1 + 5);
    expect(measure(paged, { n: null }).cost).toBe(1 + defaultPageSize);
    expect(measure('{ notices { totalCount } }').cost).toBe(1 + 3);
    expect(measure('{ branches { totalCount } }').cost).toBe(1 + defaultPageSize);
    expect(measure('{ branches(first: 0) { totalCount } }').cost).toBe(1 + 1);
  });

  it('refuses a variable that does not coerce as BAD_USER_INPUT, as execution would', () => {
    expect(() => coerceVariables(schema, operationOf('query($n: Int) { branches(first: $n) { totalCount } }'), { n: 'many' })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });

  it('coerces only the variables a page size can come from, and reads the page beside an input object it left to execution', () => {
    const document = parse('query($n: Int, $filter: BranchFilter!) { branches(first: $n, filter: $filter) { totalCount } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const variables = coerceVariables(schema, operation, { n: 7, filter: 'many' });
    expect(variables).toEqual({ n: 7 });
    expect(measureOperation(schema, document, operation, variables)).toEqual(measure('{ branches(first: 7) { totalCount } }'));
  });
});

describe('checkOperationLimits', () => {
  const within: Measured = { depth: defaultLimits.depth, aliases: defaultLimits.aliases, rootFields: defaultLimits.rootFields, cost: defaultLimits.cost };

  it('lets an operation at every limit pass', () => {
    expect(() => checkOperationLimits(within, defaultLimits)).not.toThrow();
  });

  it.each(['depth', 'aliases', 'rootFields', 'cost'] as const)('refuses one over the %s limit with LIMIT_EXCEEDED, naming it', (limit) => {
    expect(() => checkOperationLimits({ ...within, [limit]: defaultLimits[limit] + 1 }, defaultLimits)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(`${defaultLimits[limit] + 1}, at most ${defaultLimits[limit]}`),
        extensions: expect.objectContaining({ code: 'LIMIT_EXCEEDED', limit }),
      }),
    );
  });
});

describe('every registered operation within the limits', async () => {
  const api = apiSchemaOf(await readFile(path.join(schemaFolder, 'supergraph.graphql'), 'utf8'));
  it.each(readOperations(path.join(schemaFolder, 'operations')).map((operation) => [operation.name, operation.source] as const))(
    '%s, with pages of 200',
    (_, source) => {
      const document = parse(source);
      const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition')!;
      const measured = measureOperation(api, document, operation, { first: 200 });
      for (const limit of ['depth', 'aliases', 'rootFields', 'cost'] as const) expect(measured[limit]).toBeLessThanOrEqual(defaultLimits[limit]);
    },
  );
});
