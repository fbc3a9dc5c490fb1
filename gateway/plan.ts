/*
 * Subscriptions planned by the supergraph's own query planner (@apollo/query-planner's
 * SubscriptionNode; docs/architecture.md, "Library facts the code relies on"): a subscription plan is a
 * `primary` fetch to the subgraph that owns the root field and a `rest` of entity fetches. The gateway
 * runs the primary within an upstream subscription it shares with other subscribers (gateway/hub.ts,
 * gateway/share.ts) and, per event, the rest through @apollo/gateway's `executeQueryPlan`, with the
 * subscriber's cut of the event standing in for the primary's answer.
 */
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { buildOperationContext } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type QueryPlan } from '@apollo/query-planner';
import { LRUCache } from 'lru-cache';
import { GraphQLString, Kind, parse, valueFromAST, type DocumentNode, type FieldNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

type OperationContext = ReturnType<typeof buildOperationContext>;

/** The variable through which the gateway sets the owning subgraph's `after`, and so can resume. */
export const resumeVariable = 'registerAfter';

/** The name the event goes by in an event's plan: the primary fetch is answered from it. */
export const eventSource = '__event';

export interface SubscriptionPlan {
  /** Tells plans apart: subscribers of one plan and the same variables share each event's completion. */
  id: number;
  /** The subgraph that owns the root field. */
  serviceName: string;
  /** The fetch to the owning subgraph, which the gateway's hub sends as part of a shared subscription (gateway/share.ts). */
  primary: { document: DocumentNode; operationName: string | undefined };
  /** The client's operation, and whether the primary fetch alone answers it (no other subgraph is asked). */
  client: { document: DocumentNode; operationName: string | undefined; primaryOnly: boolean };
  /** The `after` the client asked for, literal or variable. */
  afterOf(variables: Record<string, unknown>): string | null;
  /** The whole operation for one event: the primary answered by `eventSource`, then the rest. */
  eventPlan: QueryPlan;
  operationContext: OperationContext;
}

let planned = 0;

export class SubscriptionPlanner {
  readonly apiSchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  readonly api: Schema;
  private readonly planner: QueryPlanner;
  // Bounded: trusted-documents mode aside, clients can send any number of distinct texts.
  private readonly cache = new LRUCache<string, SubscriptionPlan>({ max: 1000 });

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.api = supergraph.apiSchema();
    this.apiSchema = this.api.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** Plans a validated subscription; the same text and operation name are planned once. */
  plan(source: string, document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${source}`;
    let plan = this.cache.get(key);
    if (!plan) {
      plan = this.build(document, operationName);
      this.cache.set(key, plan);
    }
    return plan;
  }

  private build(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const operation = operationFromDocument(this.api, document, { operationName });
    const { node } = this.planner.buildQueryPlan(operation);
    if (node?.kind !== 'Subscription') throw new Error('Not a subscription plan');
    const { primary, rest } = node;
    const eventFetch: FetchNode = { ...primary, serviceName: eventSource };
    const clientField = rootFieldOf(operationOf(document, operationName));
    const afterArgument = clientField.arguments?.find((argument) => argument.name.value === 'after');
    return {
      id: ++planned,
      serviceName: primary.serviceName,
      primary: { document: parse(primary.operation), operationName: primary.operationName },
      client: { document, operationName, primaryOnly: !rest },
      afterOf: (variables) => (afterArgument ? ((valueFromAST(afterArgument.value, GraphQLString, variables) as string | null | undefined) ?? null) : null),
      eventPlan: { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [eventFetch, rest] } : eventFetch },
      operationContext: buildOperationContext({ schema: this.apiSchema, operationDocument: document, operationName }),
    };
  }
}

export function operationOf(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations[0];
  if (!operation) throw new Error(`No operation ${operationName ?? ''} in the document`);
  return operation;
}

/** A subscription has one root field (GraphQL spec, "Single root field"); validation made sure. */
function rootFieldOf(operation: OperationDefinitionNode): FieldNode {
  const field = operation.selectionSet.selections[0];
  if (field?.kind !== Kind.FIELD) throw new Error('A subscription selects its root field directly');
  return field;
}
