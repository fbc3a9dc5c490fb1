/*
 * TypeScript types for the register's registered operations (schema/operations/*.graphql), written to
 * schema/operations.ts by `npm run schema:compose` and checked for staleness by `npm run schema:check`.
 *
 * GraphQL Code Generator rather than gql.tada: our operations are .graphql files, the documents the
 * gateway registers and the schema check validates, and Code Generator reads them as they are;
 * gql.tada infers types from operations written inside TypeScript with its graphql() function, which
 * would make the TypeScript the source and the registered files a copy. Each operation becomes a
 * TypedDocumentNode, which Apollo Client and urql take as they are.
 */
import { codegen } from '@graphql-codegen/core';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { parse, printSchema, type GraphQLSchema } from 'graphql';
import type { RegisteredOperation } from './composition.ts';

export const OPERATION_TYPES_HEADER = '// Generated from schema/operations/*.graphql by npm run schema:compose. Do not edit.';

/** The register's own operations: a vendor's (schema/operations/vendors/) are typed by the vendor. */
export const ownOperations = (operations: readonly RegisteredOperation[]) => operations.filter((operation) => !operation.name.startsWith('vendors/'));

export async function operationTypes(schema: GraphQLSchema, operations: readonly RegisteredOperation[]): Promise<string> {
  const generated = await codegen({
    filename: 'schema/operations.ts',
    schema: parse(printSchema(schema)),
    schemaAst: schema,
    documents: ownOperations(operations).map(({ name, source }) => ({ location: `schema/operations/${name}`, document: parse(source) })),
    plugins: [{ typescriptOperations: {} }, { typedDocumentNode: {} }],
    pluginMap: { typescriptOperations, typedDocumentNode },
    config: {
      // Both travel as text, as their @specifiedBy pages say; an unknown scalar fails the generation.
      scalars: { Date: 'string', DateTime: 'string' },
      strictScalars: true,
      // Types, not TypeScript enums: nothing to run, and `import type` takes all of them.
      enumsAsTypes: true,
      useTypeImports: true,
      skipTypename: false,
      nonOptionalTypename: false,
    },
  });
  return `${OPERATION_TYPES_HEADER}\n${generated.trimEnd()}\n`;
}
