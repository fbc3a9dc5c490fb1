import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, sep } from 'node:path';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { operationTypes } from './operationTypes.ts';
import { GraphQLError, isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

export interface SubgraphSdl {
  name: string;
  typeDefs: string;
}

/**
 * A client operation the API promises to keep serving: `schema/operations/<name>.graphql` (the
 * register's own clients) or `schema/operations/vendors/<OIN>/<name>.graphql` (a vendor's, added by
 * `npm run operations:register`). `name` is the path below `schema/operations`.
 */
export interface RegisteredOperation {
  name: string;
  source: string;
}

export interface Change {
  message: string;
  path?: string;
  criticality: CriticalityLevel;
}

export interface ApiChanges {
  breaking: Change[];
  dangerous: Change[];
  safe: Change[];
}

export interface SchemaCheckReport {
  ok: boolean;
  subgraphs: string[];
  /** "CODE: message" per composition error; empty when composition succeeded. */
  compositionErrors: string[];
  stale: boolean;
  /** schema/operations.ts is not what the schema and the registered operations generate. */
  typesStale: boolean;
  /** The registered operations checked, by file name. */
  operations: string[];
  /** "file: message" per registered operation the new API schema no longer serves. */
  operationErrors: string[];
  /** "Type.field: reason" per deprecation whose reason does not give its date and replacement. */
  deprecationErrors: string[];
  /** Null when there was no baseline to diff against, or composition failed. */
  changes: ApiChanges | null;
  allowBreaking: boolean;
}

export const SUPERGRAPH_HEADER = '# Composed from schema/*.graphql by npm run schema:compose. Do not edit.';

/** Thrown for a subgraph set that does not compose: an expected failure, readable without a stack. */
export class CompositionError extends Error {
  override readonly name = 'CompositionError';
  constructor(readonly errors: string[]) {
    super(`Composition failed:\n${errors.map((error) => `  - ${error}`).join('\n')}`);
  }
}

export function readSubgraphSdls(schemaDir: string): SubgraphSdl[] {
  return readdirSync(schemaDir)
    .filter((file) => extname(file) === '.graphql' && file !== 'supergraph.graphql')
    .sort()
    .map((file) => ({ name: basename(file, '.graphql'), typeDefs: readFileSync(join(schemaDir, file), 'utf8') }));
}

export function readOperations(operationsDir: string): RegisteredOperation[] {
  if (!existsSync(operationsDir)) return [];
  return (readdirSync(operationsDir, { recursive: true }) as string[])
    .filter((file) => extname(file) === '.graphql')
    .map((file) => file.split(sep).join('/'))
    .sort()
    .map((file) => ({ name: file, source: readFileSync(join(operationsDir, file), 'utf8') }));
}

/** Which registered operations no longer parse or validate against the API schema, and why. */
export function brokenOperations(apiSchema: GraphQLSchema, operations: readonly RegisteredOperation[]): string[] {
  return operations.flatMap(({ name, source }) => {
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      return [`${name}: ${(error as Error).message}`];
    }
    return validate(apiSchema, document).map((error) => `${name}: ${error.message}`);
  });
}

/**
 * How a deprecation reason reads, so that a vendor's check (cli/check-operations.mjs) can tell a
 * developer since when and what to use instead: "Since 2026-12-07. Use Branch.id. <why>", or, where
 * nothing replaces it, "Since 2026-12-07. No replacement: <why>".
 */
export const deprecationReason = /^Since \d{4}-\d{2}-\d{2}\. (Use \S.*|No replacement: \S.*)$/s;

/** Every deprecated field, argument, input field and enum value whose reason is not in that form. */
export function deprecationsWithoutDateOrReplacement(apiSchema: GraphQLSchema): string[] {
  const found: string[] = [];
  const check = (path: string, reason: string | null | undefined) => {
    if (reason != null && !deprecationReason.test(reason)) found.push(`${path}: "${reason}"`);
  };
  for (const type of Object.values(apiSchema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.deprecationReason);
        for (const argument of field.args) check(`${type.name}.${field.name}(${argument.name}:)`, argument.deprecationReason);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.deprecationReason);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.deprecationReason);
    }
  }
  return found;
}

export function composeSupergraph(subgraphs: readonly SubgraphSdl[]): { supergraphSdl: string } {
  const result = composeServices(
    // Composition accepts a missing url but then writes `url: ""`, which the gateway logs as an error.
    // The placeholder is never dialled: the gateway maps subgraph names to its own data sources.
    subgraphs.map(({ name, typeDefs }) => ({ name, typeDefs: parseSubgraph(name, typeDefs), url: `http://${name}/graphql` })),
  );
  if (result.errors) throw new CompositionError(result.errors.map(describeError));
  return { supergraphSdl: result.supergraphSdl };
}

/** The supergraph as committed in schema/supergraph.graphql. */
export function supergraphFile(supergraphSdl: string): string {
  return `${SUPERGRAPH_HEADER}\n${supergraphSdl.trimEnd()}\n`;
}

export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export async function diffApiSchemas(oldSupergraphSdl: string, newSupergraphSdl: string): Promise<ApiChanges> {
  const changes = (await diff(apiSchemaOf(oldSupergraphSdl), apiSchemaOf(newSupergraphSdl))).map(({ message, path, criticality }): Change => ({
    message,
    path,
    criticality: criticality.level,
  }));
  const at = (level: CriticalityLevel) => changes.filter((change) => change.criticality === level);
  return { breaking: at(CriticalityLevel.Breaking), dangerous: at(CriticalityLevel.Dangerous), safe: at(CriticalityLevel.NonBreaking) };
}

export async function checkSchema(input: {
  subgraphs: readonly SubgraphSdl[];
  committedSupergraph: string | null;
  baselineSupergraph: string | null;
  allowBreaking: boolean;
  operations?: readonly RegisteredOperation[];
  /** schema/operations.ts as committed; left out: not checked. */
  committedOperationTypes?: string | null;
}): Promise<SchemaCheckReport> {
  const report = {
    subgraphs: input.subgraphs.map((subgraph) => subgraph.name),
    operations: (input.operations ?? []).map((operation) => operation.name),
    allowBreaking: input.allowBreaking,
  };
  let supergraphSdl: string;
  try {
    ({ supergraphSdl } = composeSupergraph(input.subgraphs));
  } catch (error) {
    if (!(error instanceof CompositionError)) throw error;
    return {
      ...report,
      ok: false,
      compositionErrors: error.errors,
      stale: false,
      typesStale: false,
      operationErrors: [],
      deprecationErrors: [],
      changes: null,
    };
  }
  const stale = normalise(input.committedSupergraph ?? '') !== normalise(supergraphFile(supergraphSdl));
  const changes = input.baselineSupergraph === null ? null : await diffApiSchemas(input.baselineSupergraph, supergraphSdl);
  // Allowing breaking changes covers what no registered client uses; a broken registered operation always fails.
  const apiSchema = apiSchemaOf(supergraphSdl);
  const operationErrors = brokenOperations(apiSchema, input.operations ?? []);
  const deprecationErrors = deprecationsWithoutDateOrReplacement(apiSchema);
  const typesStale =
    input.committedOperationTypes !== undefined &&
    operationErrors.length === 0 &&
    normalise(input.committedOperationTypes ?? '') !== normalise(await operationTypes(apiSchema, input.operations ?? []));
  const ok = !stale && !typesStale && operationErrors.length === 0 && deprecationErrors.length === 0 && (input.allowBreaking || !changes?.breaking.length);
  return { ...report, ok, compositionErrors: [], stale, typesStale, operationErrors, deprecationErrors, changes };
}

export function formatReport(report: SchemaCheckReport): string {
  const lines = [`Subgraphs: ${report.subgraphs.join(', ') || '(none)'}`, `Registered client operations: ${report.operations.join(', ') || '(none)'}`];
  if (report.compositionErrors.length) lines.push('Composition failed:', ...bullets(report.compositionErrors));
  if (report.stale) lines.push('schema/supergraph.graphql is stale: run npm run schema:compose');
  if (report.typesStale) lines.push('schema/operations.ts is stale: run npm run schema:compose');
  if (report.changes) lines.push(...changeSections(report.changes));
  if (report.operationErrors.length) {
    lines.push(`Registered client operations this schema breaks (schema/operations):`, ...bullets(report.operationErrors));
  }
  if (report.deprecationErrors.length) {
    lines.push('Deprecations without "Since YYYY-MM-DD. Use <replacement>." (or "No replacement: <why>"):', ...bullets(report.deprecationErrors));
  }
  lines.push(verdict(report));
  return lines.join('\n');
}

function parseSubgraph(name: string, typeDefs: string): DocumentNode {
  try {
    return parse(typeDefs);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    throw new CompositionError([`GRAPHQL_PARSE_FAILED: subgraph "${name}": ${error.message}`]);
  }
}

function describeError(error: GraphQLError): string {
  const code = error.extensions.code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

// Only line-end whitespace: an editor or git (autocrlf) may change it without changing the schema.
function normalise(sdl: string): string {
  return sdl.replace(/[ \t\r]+$/gm, '').trimEnd();
}

function changeSections(changes: ApiChanges): string[] {
  const sections: [string, Change[]][] = [
    ['Breaking', changes.breaking],
    ['Dangerous', changes.dangerous],
    ['Safe', changes.safe],
  ];
  const lines = sections
    .filter(([, list]) => list.length)
    .flatMap(([label, list]) => [`${label} changes (${list.length}):`, ...bullets(list.map(describeChange))]);
  return lines.length ? lines : ['No API changes against the baseline.'];
}

function describeChange(change: Change): string {
  return change.path ? `${change.path}: ${change.message}` : change.message;
}

function bullets(items: string[]): string[] {
  return items.map((item) => `  - ${item}`);
}

function verdict(report: SchemaCheckReport): string {
  const breaking = report.changes?.breaking.length ?? 0;
  if (report.ok) return breaking ? `Schema check passed: ${breaking} breaking change(s) allowed.` : 'Schema check passed.';
  const reasons = [
    report.compositionErrors.length && 'composition failed',
    report.stale && 'supergraph is stale',
    report.typesStale && 'operation types are stale',
    report.operationErrors.length && 'registered operations broken',
    report.deprecationErrors.length && 'deprecations without date or replacement',
    breaking && `${breaking} breaking change(s)`,
  ].filter(Boolean);
  return `Schema check failed: ${reasons.join('; ')}.`;
}
