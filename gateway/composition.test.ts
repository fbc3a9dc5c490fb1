import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  CompositionError,
  apiSchemaOf,
  checkSchema,
  composeSupergraph,
  deprecationsWithoutDateOrReplacement,
  formatReport,
  readOperations,
  readSubgraphSdls,
  supergraphFile,
  type RegisteredOperation,
} from './composition.ts';
import { operationTypes } from './operationTypes.ts';

const repositorySchemaDir = fileURLToPath(new URL('../schema', import.meta.url));
const fixturePath = (variant: string) => fileURLToPath(new URL(`../test/fixtures/schema/${variant}`, import.meta.url));
const fixture = (variant: string) => readSubgraphSdls(fixturePath(variant));
const composedFile = (variant: string) => supergraphFile(composeSupergraph(fixture(variant)).supergraphSdl);

/** Checks `variant` as if base were on main and the variant's own supergraph were committed. */
const checkAgainstBase = (variant: string, allowBreaking = false, operations: RegisteredOperation[] = []) =>
  checkSchema({
    subgraphs: fixture(variant),
    committedSupergraph: composedFile(variant),
    baselineSupergraph: composedFile('base'),
    allowBreaking,
    operations,
  });

describe('reading subgraph SDLs', () => {
  it('reads every .graphql but the supergraph, sorted by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schema-'));
    try {
      for (const file of ['learners.graphql', 'absence.graphql', 'supergraph.graphql', 'README.md']) writeFileSync(join(dir, file), 'type Query { x: Int }');
      expect(readSubgraphSdls(dir).map((subgraph) => subgraph.name)).toEqual(['absence', 'learners']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('composition', () => {
  it("composes the repository's real schema/*.graphql without errors", () => {
    const subgraphs = readSubgraphSdls(repositorySchemaDir);
    expect(subgraphs.map((subgraph) => subgraph.name)).toContain('institutions');
    const api = apiSchemaOf(composeSupergraph(subgraphs).supergraphSdl);
    expect(api.getQueryType()?.getFields()).toHaveProperty('branch');
    expect(api.getDirective('join__field')).toBeUndefined();
  });

  it('reports a composition error readably, with its code', async () => {
    expect(() => composeSupergraph(fixture('conflict'))).toThrow(CompositionError);
    expect(() => composeSupergraph(fixture('conflict'))).toThrow(/INVALID_FIELD_SHARING: .*"Board\.name"/);
    const report = await checkSchema({ subgraphs: fixture('conflict'), committedSupergraph: null, baselineSupergraph: null, allowBreaking: false });
    expect(report.ok).toBe(false);
    expect(formatReport(report)).toMatch(/Composition failed:\n {2}- INVALID_FIELD_SHARING: /);
  });

  it('reports a subgraph that does not parse, naming the subgraph', () => {
    expect(() => composeSupergraph([{ name: 'learners', typeDefs: 'type Query {' }])).toThrow(/GRAPHQL_PARSE_FAILED: subgraph "learners"/);
  });
});

describe('schema check', () => {
  it('passes when the committed supergraph matches, ignoring trailing whitespace', async () => {
    const committed = composedFile('base').replace(/\n/g, '  \r\n') + '\n\n';
    const report = await checkSchema({ subgraphs: fixture('base'), committedSupergraph: committed, baselineSupergraph: null, allowBreaking: false });
    expect(report).toMatchObject({ ok: true, stale: false, changes: null });
  });

  it('detects a stale committed supergraph', async () => {
    const report = await checkSchema({
      subgraphs: fixture('additive'),
      committedSupergraph: composedFile('base'),
      baselineSupergraph: null,
      allowBreaking: false,
    });
    expect(report).toMatchObject({ ok: false, stale: true });
    expect(formatReport(report)).toContain('schema/supergraph.graphql is stale: run npm run schema:compose');
  });

  it('treats a missing committed supergraph as stale', async () => {
    const report = await checkSchema({ subgraphs: fixture('base'), committedSupergraph: null, baselineSupergraph: null, allowBreaking: false });
    expect(report).toMatchObject({ ok: false, stale: true });
  });

  it('passes an additive change (new optional field, new type) as not breaking', async () => {
    const report = await checkAgainstBase('additive');
    expect(report.ok).toBe(true);
    expect(report.changes?.breaking).toEqual([]);
    expect(report.changes?.safe.map((change) => change.path)).toEqual(expect.arrayContaining(['Board.address', 'BoardAddress']));
  });

  it('fails on a breaking change and names it', async () => {
    const report = await checkAgainstBase('breaking');
    expect(report.ok).toBe(false);
    expect(report.changes?.breaking.map((change) => change.path)).toEqual(expect.arrayContaining(['Board.name', 'Query.boards.first']));
    const text = formatReport(report);
    expect(text).toMatch(/Breaking changes \(\d+\):\n {2}- /);
    expect(text).toContain('Board.name: ');
    expect(text).toMatch(/Schema check failed: \d+ breaking change\(s\)\./);
  });

  it('allowBreaking turns the verdict to ok while still listing the breaking change', async () => {
    const report = await checkAgainstBase('breaking', true);
    expect(report.ok).toBe(true);
    expect(report.changes?.breaking.map((change) => change.path)).toContain('Board.name');
    expect(formatReport(report)).toMatch(/Board\.name: [\s\S]*Schema check passed: \d+ breaking change\(s\) allowed\./);
  });

  it('reports an added enum value as dangerous, not breaking', async () => {
    const report = await checkAgainstBase('dangerous');
    expect(report.ok).toBe(true);
    expect(report.changes?.breaking).toEqual([]);
    expect(report.changes?.dangerous).toEqual([expect.objectContaining({ path: 'BoardKind.PUBLIC_BODY', criticality: 'DANGEROUS' })]);
    expect(formatReport(report)).toContain('Dangerous changes (1):');
  });

  it('fails, even with breaking changes allowed, when a registered client operation no longer validates', async () => {
    const report = await checkAgainstBase('breaking', true, readOperations(fixturePath('operations')));
    expect(report.ok).toBe(false);
    expect(report.operationErrors).toEqual([expect.stringMatching(/^BoardNames\.graphql: Cannot query field "name" on type "Board"/)]);
    const text = formatReport(report);
    expect(text).toMatch(/Registered client operations this schema breaks \(schema\/operations\):\n {2}- BoardNames\.graphql: /);
    expect(text).toMatch(/Schema check failed: .*registered operations broken/);
  });

  it("names a vendor's registered operation (schema/operations/vendors/<OIN>/) that a change breaks", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'operations-'));
    try {
      mkdirSync(join(folder, 'vendors', '00000001800866472000'), { recursive: true });
      writeFileSync(
        join(folder, 'vendors', '00000001800866472000', 'BoardNames.graphql'),
        readOperations(fixturePath('operations')).find((operation) => operation.name === 'BoardNames.graphql')!.source,
      );
      const report = await checkAgainstBase('breaking', true, readOperations(folder));
      expect(report.ok).toBe(false);
      expect(report.operationErrors).toEqual([expect.stringMatching(/^vendors\/00000001800866472000\/BoardNames\.graphql: Cannot query field "name"/)]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('passes an additive change that every registered operation still validates against', async () => {
    const report = await checkAgainstBase('additive', false, readOperations(fixturePath('operations')));
    expect(report).toMatchObject({ ok: true, operationErrors: [] });
    expect(report.operations).toEqual(['BoardKinds.graphql', 'BoardNames.graphql']);
  });

  it('fails on a deprecation whose reason gives no date, and names it', async () => {
    const report = await checkAgainstBase('deprecated');
    expect(report.ok).toBe(false);
    expect(report.deprecationErrors).toEqual(['Board.name: "Use displayName."']);
    expect(formatReport(report)).toMatch(/Schema check failed: .*deprecations without date or replacement/);
  });

  it('accepts a deprecation that gives its date and a replacement, or says there is none', () => {
    const schema = buildSchema(`
      type Query {
        board(code: ID, brin4: ID @deprecated(reason: "Since 2026-12-07. Use code.")): String @deprecated(reason: "Since 2026-12-07. Use boards.")
        boards(filter: Filter): [String]
      }
      input Filter { kind: Kind @deprecated(reason: "Since 2026-12-07. Use kinds, which takes several.") kinds: [Kind] }
      enum Kind { A B @deprecated(reason: "Since 2026-12-07. No replacement: the law has no such kind.") C @deprecated(reason: "Since 7 December. Use A.") }
    `);
    expect(deprecationsWithoutDateOrReplacement(schema)).toEqual(['Kind.C: "Since 7 December. Use A."']);
  });

  it('detects operation types (schema/operations.ts) that are not what the schema and operations generate', async () => {
    const input = { subgraphs: readSubgraphSdls(repositorySchemaDir), committedSupergraph: null, baselineSupergraph: null, allowBreaking: false };
    const operations = readOperations(join(repositorySchemaDir, 'operations'));
    const generated = await operationTypes(apiSchemaOf(composeSupergraph(input.subgraphs).supergraphSdl), operations);
    expect(generated).toMatch(/^export type EnrollLearnerMutation = /m);
    expect((await checkSchema({ ...input, operations, committedOperationTypes: generated })).typesStale).toBe(false);
    const edited = generated.replace('export type EnrollLearnerMutation = {', 'export type EnrollLearnerMutation = { extra: string, ');
    const report = await checkSchema({ ...input, operations, committedOperationTypes: edited });
    expect(report).toMatchObject({ typesStale: true, ok: false });
    expect(formatReport(report)).toContain('schema/operations.ts is stale: run npm run schema:compose');
  });

  it("validates the repository's own registered operations against its schema", async () => {
    const operations = readOperations(fileURLToPath(new URL('../schema/operations', import.meta.url)));
    expect(operations.length).toBeGreaterThan(0);
    const report = await checkSchema({
      subgraphs: readSubgraphSdls(repositorySchemaDir),
      committedSupergraph: null,
      baselineSupergraph: null,
      allowBreaking: false,
      operations,
    });
    expect(report.operationErrors).toEqual([]);
  });
});
