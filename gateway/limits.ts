import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  type GraphQLError,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  typeFromAST,
} from 'graphql';
import { refusal } from '../kernel/errors.ts';
import { defaultPageSize } from '../kernel/pages.ts';

/*
 * Operation limits at the gateway (OWASP GraphQL Cheat Sheet: depth, amount and cost limits; the peers'
 * defaults in docs/architecture.md, "Library facts the code relies on"). They are checked once the
 * operation is known and before any subgraph is asked, as pure functions of the schema, the document
 * and the variables, so that every transport (HTTP now, WebSocket later) runs the same checks.
 */

export interface OperationLimits {
  /** Fields nested in fields: `enrollments { edges { node { location { address { city } } } } }` is 6. */
  depth: number;
  /** Fields requested under another name: aliases multiply work without multiplying requests. */
  aliases: number;
  /** Fields at the top of the operation, each a separate entry into the register. */
  rootFields: number;
  /** Lexical tokens of the document, checked by the parser itself before it builds anything. */
  tokens: number;
  /** The fields the answer can hold at most, lists counted at their size (`measureOperation`). */
  cost: number;
}

/**
 * Generous for every registered operation, tight for abuse. Apollo Router's example (depth 100,
 * aliases 30, root fields 20, 15,000 parser tokens) and GraphQL Armor's defaults (depth 6, aliases
 * 15, 1,000 tokens, cost 5,000) bracket them; a page of a school's 200 enrollments with learner,
 * location and funding status costs about 3,600 here.
 */
export const defaultLimits: OperationLimits = { depth: 12, aliases: 30, rootFields: 20, tokens: 5_000, cost: 25_000 };

/** A list without a `first` argument (a learner's enrollments, a report's day parts) is assumed this long. */
export const assumedListSize = 20;

export interface Measured {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
}

/**
 * What an operation asks for, as it will run. Fragments are followed where they are spread. A field
 * with a `first` argument multiplies everything below it by the page it will get, and the list that
 * page holds (`edges`) adds no factor of its own; any other list field multiplies by
 * `assumedListSize`. The page is read as execution reads it (GraphQL spec, CoerceArgumentValues),
 * from the `variables` as execution coerces them (`coerceVariables`): a variable's value, else its
 * default, else the argument's default; null or nothing at all is the page a resolver gives then
 * (kernel/pages.ts).
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): Measured {
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const measured: Measured = { depth: 0, aliases: 0, rootFields: 0, cost: 0 };
  const root = schema.getRootType(operation.operation);
  if (!root) return measured;

  const walk = (
    selections: SelectionSetNode,
    parentType: GraphQLNamedType | null | undefined,
    depth: number,
    multiplier: number,
    paged: boolean,
    seen: Set<string>,
  ) => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), depth, multiplier, paged, new Set([...seen, fragment.name.value]));
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType, depth, multiplier, paged, seen);
        continue;
      }
      if (depth === 0) measured.rootFields++;
      if (selection.alias) measured.aliases++;
      measured.depth = Math.max(measured.depth, depth + 1);
      measured.cost += multiplier;
      const definition = parentType && (isObjectType(parentType) || isInterfaceType(parentType)) ? parentType.getFields()[selection.name.value] : undefined;
      if (!selection.selectionSet || !definition) continue;
      const pageSize = firstOf(definition, selection, variables);
      const list = isListType(getNullableType(definition.type));
      let below = multiplier;
      let pagedBelow = false;
      if (pageSize !== undefined) {
        below *= pageSize;
        pagedBelow = !list;
      } else if (list && !paged) {
        below *= assumedListSize;
      }
      walk(selection.selectionSet, getNamedType(definition.type), depth + 1, below, pagedBelow, seen);
    }
  };
  walk(operation.selectionSet, root, 0, 1, false, new Set());
  return measured;
}

/**
 * The variables a page size can be read from as execution will have them (GraphQL spec,
 * CoerceVariableValues): given values coerced, defaults for those not given. Ones that do not coerce
 * are BAD_USER_INPUT, as they would be at execution. Only the variables of a scalar or enum type are
 * coerced, as only those can be a `first`: an input object or list is left to execution, which
 * coerces and refuses it as well (a bulk call's 1,000 items were coerced once more here: 3% of the
 * bulk benchmark's profile).
 */
export function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, given: Record<string, unknown>): Record<string, unknown> {
  const scalars = (operation.variableDefinitions ?? []).filter((variable) => isLeafType(getNullableType(typeFromAST(schema, variable.type))));
  const coerced = getVariableValues(schema, scalars, given);
  if (coerced.errors) throw refusal('BAD_USER_INPUT', coerced.errors[0]!.message);
  return coerced.coerced;
}

/** The page a field with a `first` argument will get; undefined for a field without one. */
function firstOf(definition: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): number | undefined {
  if (!definition.args.some((arg) => arg.name === 'first')) return undefined;
  let first: unknown;
  try {
    // Only `first` is read: the field's other arguments may name variables that were not coerced.
    first = getArgumentValues({ ...definition, args: definition.args.filter((arg) => arg.name === 'first') }, node, variables).first;
  } catch (error) {
    throw refusal('BAD_USER_INPUT', (error as Error).message);
  }
  const size = first ?? defaultPageSize;
  return typeof size === 'number' && Number.isFinite(size) && size > 0 ? size : 1;
}

/** Refuses an operation over a limit, naming the limit, what was asked and what is allowed. */
export function checkOperationLimits(measured: Measured, limits: OperationLimits): void {
  const checks: [keyof Measured, string][] = [
    ['depth', 'fields nested'],
    ['aliases', 'aliases'],
    ['rootFields', 'root fields'],
    ['cost', 'cost (the fields the answer can hold, lists counted at their size)'],
  ];
  for (const [limit, what] of checks) {
    if (measured[limit] > limits[limit]) {
      throw refusal('LIMIT_EXCEEDED', `The operation exceeds the limit on ${what}: ${measured[limit]}, at most ${limits[limit]}`, { limit });
    }
  }
}

/**
 * The refusal of a request whose `operationName` picks none of its document's operations (400, as
 * the GraphQL over HTTP spec has a request it cannot run); left alone, the gateway's executor
 * would fail on it later with an error clients see only as INTERNAL_SERVER_ERROR.
 */
export function unresolvedOperation(operationName: string | null | undefined): GraphQLError {
  const message = operationName
    ? `The document holds no operation named ${JSON.stringify(operationName)}`
    : 'The document holds several operations: name the one to run in operationName';
  return refusal('OPERATION_RESOLUTION_FAILURE', message);
}

/** Checks every operation the gateway serves over HTTP, after it is parsed and validated, before it is planned. */
export function operationLimitsPlugin<Context extends object>(limits: OperationLimits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) throw unresolvedOperation(request.operationName);
          checkOperationLimits(measureOperation(schema, document, operation, coerceVariables(schema, operation, request.variables ?? {})), limits);
        },
      };
    },
  };
}
