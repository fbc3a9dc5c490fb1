/*
 * What one upstream subscription selects for every subscription that shares it (gateway/hub.ts): the
 * union of their primary fetches, and each one's answer cut out of it (issue 20: "subscriptions with
 * distinct documents share one upstream per stream and filter per subscriber").
 *
 * A field is known by its name and its arguments' values, not by the alias a document gave it: two
 * documents that select `fundingYear` under different aliases, or `fundingStatus(countDate: $d)`
 * with the same `$d`, select the same thing. In the shared selection such a field goes by one
 * response key (`keyOf`), its arguments written out as literals, so the shared subscription has no
 * variables but its `after`. A subscriber's answer is its own primary fetch executed over the shared
 * result (graphql-js `execute`, no resolvers but `keyOf`): its aliases, fragments, @skip and
 * @include, and its errors where its own selection put them. A document the shared fetch alone
 * answers is copied out of it by a projection made once per document and variables (`project`).
 */
import { createHash } from 'node:crypto';
import {
  astFromValue,
  execute,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getVariableValues,
  GraphQLError,
  isObjectType,
  Kind,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { operationOf, resumeVariable } from './plan.ts';

/** A selection as the shared subscription makes it: per response key, the field and what it selects. */
export type Selection = Map<string, SelectedField>;

interface SelectedField {
  name: string;
  /** Its arguments as literals. */
  arguments: readonly ArgumentNode[];
  selection?: Selection;
}

/** The primary fetch of one subscription: what the shared selection must hold for it. */
export interface Primary {
  /** The root field's name; its `after` is the shared subscription's own. */
  root: string;
  /** The root field's other arguments, as literals: only subscriptions that agree on them can share. */
  rootArguments: readonly ArgumentNode[];
  selection: Selection;
}

/**
 * The primary fetch's selection, for `variables`. Subscription events are object types (none of the
 * subgraphs' payloads is an interface or a union), so a fragment's type is the type it is spread in.
 */
export function primaryOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): Primary {
  const { operation, walk } = walkOf(schema, document, undefined, variables);
  const field = operation.selectionSet.selections[0] as FieldNode;
  const definition = schema.getSubscriptionType()!.getFields()[field.name.value]!;
  const rootArguments = literals(definition, getArgumentValues(definition, field, walk.values)).filter((argument) => argument.name.value !== 'after');
  const selection: Selection = new Map();
  collect(selection, field.selectionSet!, objectTypeOf(definition), walk);
  return { root: field.name.value, rootArguments, selection };
}

/** The operation, and what walking it needs: its fragments and its variables, coerced. */
function walkOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): { operation: OperationDefinitionNode; walk: Walk } {
  const operation = operationOf(document, operationName);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw coerced.errors[0]!;
  return { operation, walk: { schema, fragments: fragmentsOf(document), values: coerced.coerced } };
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  values: Record<string, unknown>;
}

function collect(into: Selection, selectionSet: SelectionSetNode, type: GraphQLObjectType, walk: Walk): void {
  for (const node of selectionSet.selections) collectOne(into, node, type, walk);
}

function collectOne(into: Selection, node: SelectionNode, type: GraphQLObjectType, walk: Walk): void {
  if (node.kind === Kind.INLINE_FRAGMENT) return collect(into, node.selectionSet, sameType(type, node.typeCondition?.name.value), walk);
  if (node.kind === Kind.FRAGMENT_SPREAD) {
    const fragment = walk.fragments.get(node.name.value)!;
    return collect(into, fragment.selectionSet, sameType(type, fragment.typeCondition.name.value), walk);
  }
  const name = node.name.value;
  if (name === '__typename') return void into.set(name, { name, arguments: [] });
  const definition = type.getFields()[name];
  if (!definition) throw new Error(`${type.name} has no field ${name}`);
  const values = getArgumentValues(definition, node, walk.values);
  const key = keyOf(name, values);
  let selected = into.get(key);
  if (!selected) {
    selected = { name, arguments: literals(definition, values) };
    into.set(key, selected);
  }
  if (!node.selectionSet) return;
  selected.selection ??= new Map();
  collect(selected.selection, node.selectionSet, objectTypeOf(definition), walk);
}

function sameType(type: GraphQLObjectType, condition: string | undefined): GraphQLObjectType {
  if (condition !== undefined && condition !== type.name) throw new Error(`A subscription's event is an object type: ${condition} within ${type.name}`);
  return type;
}

function objectTypeOf(definition: GraphQLField<unknown, unknown>): GraphQLObjectType {
  const type = getNamedType(definition.type);
  if (!isObjectType(type)) throw new Error(`A subscription's event is an object type, not ${type.name}`);
  return type;
}

function literals(definition: GraphQLField<unknown, unknown>, values: Record<string, unknown>): ArgumentNode[] {
  return definition.args
    .filter((argument) => values[argument.name] !== undefined)
    .map((argument): ArgumentNode => ({
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: argument.name },
      value: astFromValue(values[argument.name], argument.type)!,
    }));
}

/**
 * The response key of a field in the shared selection: its name when it has no arguments, else its
 * name and a digest of their values (coerced, so in the order the schema defines them).
 */
export function keyOf(name: string, values: Record<string, unknown>): string {
  const json = JSON.stringify(values);
  if (json === '{}') return name;
  return `${name}_${createHash('sha256').update(json).digest('base64url').slice(0, 12).replace(/-/g, '_')}`;
}

/** Whether `outer` selects everything `inner` does. */
export function covers(outer: Selection, inner: Selection): boolean {
  for (const [key, field] of inner) {
    const other = outer.get(key);
    if (!other) return false;
    if (field.selection && !(other.selection && covers(other.selection, field.selection))) return false;
  }
  return true;
}

/** A new selection holding both. */
export function union(a: Selection, b: Selection): Selection {
  const merged: Selection = new Map();
  for (const [key, field] of [...a, ...b]) {
    const had = merged.get(key);
    const selection = had?.selection && field.selection ? union(had.selection, field.selection) : (had?.selection ?? field.selection);
    merged.set(key, { ...field, ...(selection ? { selection } : {}) });
  }
  return merged;
}

/** How many fields it selects, at every depth: the shared selection's bound. */
export function sizeOf(selection: Selection): number {
  let size = 0;
  for (const field of selection.values()) size += 1 + (field.selection ? sizeOf(field.selection) : 0);
  return size;
}

/** The shared subscription's text: the root field with `after: $registerAfter` and `cursor`, over the selection. */
export function printShared(primary: Primary, selection: Selection, operationName: string): string {
  const rootArguments = [...primary.rootArguments.map((argument) => print(argument)), `after: $${resumeVariable}`].join(', ');
  const selected = print(selectionSetOf(union(selection, new Map([['cursor', { name: 'cursor', arguments: [] }]]))));
  return `subscription ${operationName}($${resumeVariable}: String) { ${primary.root}(${rootArguments}) ${selected} }`;
}

function selectionSetOf(selection: Selection): SelectionSetNode {
  return {
    kind: Kind.SELECTION_SET,
    selections: [...selection].map(([key, field]): FieldNode => ({
      kind: Kind.FIELD,
      ...(key === field.name ? {} : { alias: { kind: Kind.NAME, value: key } }),
      name: { kind: Kind.NAME, value: field.name },
      arguments: field.arguments,
      ...(field.selection ? { selectionSet: selectionSetOf(field.selection) } : {}),
    })),
  };
}

/** Where the shared answer's errors are kept: on the object holding the field that failed, by its key. */
const failures = Symbol('failures');
type WithFailures = Record<string | symbol, unknown> & { [failures]?: Map<string, GraphQLFormattedError> };

/**
 * Prepares a shared answer to be cut: each error with a path is put beside the field it is about,
 * so a subscriber that selected that field gets it at its own path. The rest (no path, or one that
 * leads nowhere in the data) go to every subscriber.
 */
export function shared(result: FormattedExecutionResult): { data: WithFailures; unplaced: GraphQLFormattedError[]; failed: boolean } {
  const data = (result.data ?? {}) as WithFailures;
  const unplaced: GraphQLFormattedError[] = [];
  for (const error of result.errors ?? []) {
    const path = error.path ?? [];
    let parent: unknown = data;
    for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | null)?.[step];
    const last = path.at(-1);
    if (typeof last !== 'string' || typeof parent !== 'object' || parent === null) {
      unplaced.push(error);
      continue;
    }
    const holder = parent as WithFailures;
    (holder[failures] ??= new Map()).set(last, error);
  }
  return { data, unplaced, failed: Boolean(result.errors?.length) };
}

/** Reads a field of the shared answer by its key; a field that failed there fails here too. */
const fromShared: GraphQLFieldResolver<WithFailures, unknown> = (source, args, _context, info) => {
  const key = info.parentType === info.schema.getSubscriptionType() ? info.fieldName : keyOf(info.fieldName, args);
  const value = source[key];
  const failure = value === null || value === undefined ? source[failures]?.get(key) : undefined;
  if (failure) throw new GraphQLError(failure.message, { extensions: failure.extensions ?? {} });
  return value;
};

/**
 * A subscriber's answer straight from a shared answer without errors, for a document whose primary
 * fetch alone answers it (no other subgraph is asked): the same as `cut` and the query plan would
 * give, computed once per document and variables as a list of keys to copy. 5,000 subscribers with
 * documents of their own cost 5,000 of these per event (bench/subscriptions.ts, `distinct`).
 */
export interface Projection {
  /** Where the subscriber wants it. */
  key: string;
  /** Where the shared answer has it, or the type name (`typename`) it is. */
  from: string;
  typename?: string;
  fields?: readonly Projection[];
}

/** The projection of the client's document (over the API schema) for its variables. */
export function projectionOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): Projection[] {
  const { operation, walk } = walkOf(schema, document, operationName, variables);
  return projectSelection(operation.selectionSet, schema.getSubscriptionType()!, walk, true);
}

function projectSelection(selectionSet: SelectionSetNode, type: GraphQLObjectType, walk: Walk, root = false): Projection[] {
  const fields = new Map<string, { node: FieldNode; selections: SelectionNode[] }>();
  const gather = (set: SelectionSetNode) => {
    for (const node of set.selections) {
      if (!included(node, walk.values)) continue;
      if (node.kind === Kind.INLINE_FRAGMENT) gather(node.selectionSet);
      else if (node.kind === Kind.FRAGMENT_SPREAD) gather(walk.fragments.get(node.name.value)!.selectionSet);
      else {
        const key = (node.alias ?? node.name).value;
        const had = fields.get(key);
        if (had) had.selections.push(...(node.selectionSet?.selections ?? []));
        else fields.set(key, { node, selections: [...(node.selectionSet?.selections ?? [])] });
      }
    }
  };
  gather(selectionSet);
  return [...fields].map(([key, { node, selections }]) => {
    const name = node.name.value;
    if (name === '__typename') return { key, from: name, typename: type.name };
    const definition = type.getFields()[name]!;
    const from = root ? name : keyOf(name, getArgumentValues(definition, node, walk.values));
    if (!node.selectionSet) return { key, from };
    return { key, from, fields: projectSelection({ kind: Kind.SELECTION_SET, selections }, objectTypeOf(definition), walk) };
  });
}

function included(node: SelectionNode, values: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, values)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, values)?.if !== false;
}

/** Copies what the projection names out of a shared answer (its data, or any object within it). */
export function project(value: unknown, fields: readonly Projection[]): Record<string, unknown> {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.typename !== undefined) {
      out[field.key] = field.typename;
      continue;
    }
    const inner = source[field.from];
    out[field.key] = field.fields && inner !== null && inner !== undefined ? projectValue(inner, field.fields) : inner;
  }
  return out;
}

function projectValue(value: unknown, fields: readonly Projection[]): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === null ? null : projectValue(item, fields)));
  return project(value, fields);
}

/** One subscriber's primary answer, cut out of the shared one: as if its own fetch had been sent. */
export function cut(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  answer: ReturnType<typeof shared>,
): FormattedExecutionResult {
  const result = execute({ schema, document, rootValue: answer.data, variableValues: variables, fieldResolver: fromShared }) as {
    data?: Record<string, unknown> | null;
    errors?: readonly GraphQLError[];
  };
  const errors = [...(result.errors ?? []).map((error) => error.toJSON()), ...answer.unplaced];
  return { data: result.data ?? null, ...(errors.length ? { errors } : {}) };
}
