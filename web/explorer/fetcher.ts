import type { GraphiQLProps } from 'graphiql';
import { getOperationAST, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

type Fetcher = GraphiQLProps['fetcher'];

/** The headers that also identify a client over the socket (README, "Real-time subscriptions"). */
const connectionHeaders = ['authorization', 'x-register-school'];

/**
 * GraphiQL's own fetcher (@graphiql/toolkit) fixes the socket's connection_init payload when it is
 * made; here the payload follows the header editor, so a token pasted there serves subscriptions
 * too: a new socket whenever those headers change.
 */
export function explorerFetcher(url: URL): Fetcher {
  let socket: { key: string; client: Client } | undefined;
  const socketFor = (params: Record<string, string>) => {
    const key = JSON.stringify(params);
    if (socket?.key !== key) {
      // dispose() rejects when that socket's connection was refused: nothing to report then.
      if (socket) Promise.resolve(socket.client.dispose()).catch(() => undefined);
      const wsUrl = new URL(url);
      wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      socket = { key, client: createClient({ url: wsUrl.href, connectionParams: params, lazy: true, retryAttempts: 0 }) };
    }
    return socket.client;
  };
  return (request, options) => {
    const headers = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
    if (isSubscription(options?.documentAST, request.operationName)) {
      const params = Object.fromEntries(connectionHeaders.filter((name) => headers[name]).map((name) => [name, headers[name]!]));
      // GraphiQL's types say ExecutionResult (GraphQLError objects); what travels, and what it shows, is their JSON form.
      return subscription(socketFor(params), request) as unknown as ReturnType<Fetcher>;
    }
    return fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify(request),
    }).then((response) => response.json());
  };
}

function isSubscription(document: DocumentNode | undefined, operationName: string | null | undefined): boolean {
  return document !== undefined && getOperationAST(document, operationName ?? undefined)?.operation === 'subscription';
}

/** The subscription's results; a closed socket ends it with an error that says why. */
async function* subscription(
  client: Client,
  request: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null },
): AsyncGenerator<FormattedExecutionResult> {
  try {
    yield* client.iterate<Record<string, unknown>>({
      query: request.query,
      variables: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
    }) as AsyncIterable<FormattedExecutionResult>;
  } catch (error) {
    // A refusal (FORBIDDEN, BAD_USER_INPUT) arrives as the errors themselves, codes and all.
    yield { errors: Array.isArray(error) ? error : [{ message: closeMessage(error) }] };
  }
}

function closeMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const { code, reason } = error as { code: number; reason?: string };
    return `The socket closed (${code}${reason ? `: ${reason}` : ''})`;
  }
  return error instanceof Error ? error.message : String(error);
}
