import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { parse, type DocumentNode, type GraphQLError } from 'graphql';
import { refusal } from '../kernel/errors.ts';
import type { RegisteredOperation } from './composition.ts';

/*
 * Trusted documents (OWASP GraphQL Cheat Sheet: allow-lists of operations; docs/architecture.md,
 * "Library facts the code relies on"): the registered operations (schema/operations, the register's own
 * and each vendor's) are the only ones a gateway in strict mode runs. A document is known by the
 * SHA-256 of its exact text, the id Apollo's persisted queries use, so a client may send the hash
 * alone.
 */

export const documentId = (source: string) => createHash('sha256').update(source).digest('hex');

/** The registered operations by document id. */
export function trustedDocuments(operations: readonly RegisteredOperation[]): Map<string, string> {
  return new Map(operations.map((operation) => [documentId(operation.source), operation.source]));
}

/**
 * Apollo's persisted-query cache, answered from the registered operations only: a client sends the
 * hash of a registered document without its text, and a document sent with its hash is not added.
 */
export function trustedDocumentCache(documents: Map<string, string>) {
  const prefix = 'apq:';
  return {
    async get(key: string) {
      return key.startsWith(prefix) ? documents.get(key.slice(prefix.length)) : undefined;
    },
    async set() {},
    async delete() {
      return true;
    },
  };
}

/**
 * Apollo's store of parsed and validated documents, for strict mode. The trust check must come
 * before parsing and validation, whose messages (and "Did you mean" suggestions) would map the schema
 * for anyone who sends text, and Apollo has no plugin hook before them that may refuse a request.
 * But it skips both for a document its store holds: so this store answers any unregistered text with
 * a placeholder, and the trust check (trustedDocumentsPlugin) refuses the request before it runs. A
 * registered document is parsed and validated once, and kept.
 */
export function trustedDocumentStore(documents: Map<string, string>) {
  const kept = new Map<string, DocumentNode>();
  // Apollo's key is a prefix of its own (the schema's hash) and the SHA-256 of the text: the document id.
  const idOf = (key: string) => key.slice(-64);
  return {
    async get(key: string) {
      return documents.has(idOf(key)) ? kept.get(key) : placeholder;
    },
    async set(key: string, document: DocumentNode) {
      if (documents.has(idOf(key))) kept.set(key, document);
    },
    async delete(key: string) {
      return kept.delete(key);
    },
  };
}

/** Stands in for a document that is not registered: it is never parsed, validated or run. */
const placeholder = parse('{ __typename }');

export function untrusted(): GraphQLError {
  return refusal(
    'UNTRUSTED_OPERATION',
    'This register runs registered operations only: register the operation (npm run operations:register) and send it, or its SHA-256 as a persisted query',
  );
}

/** Refuses every operation whose text is not a registered one. */
export function trustedDocumentsPlugin<Context extends object>(documents: Map<string, string>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source }) {
          if (documents.has(documentId(source))) return;
          throw untrusted();
        },
      };
    },
  };
}
