import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ConfigError } from './config.ts';
import { retryAfterSeconds } from './errors.ts';
import { requestIdHeader, requestIdOf, type Logger } from './logging.ts';
import { schoolHeader, viewerHeader } from './viewer.ts';

/** The path of the GraphQL endpoint, on the gateway and on every subgraph. */
export const graphqlPath = '/graphql';

/** Largest request body accepted: far above any real operation, far below a memory problem. */
export const maxBodyBytes = 1024 * 1024;

/**
 * Apollo Server's CSRF prevention (its `csrfPrevention` option), the same on the gateway and on every
 * subgraph: a GET, or a POST with a content type a form can send, runs only when it carries one of
 * these headers. None is a CORS-safelisted request header (Fetch standard, "CORS-safelisted request-header":
 * https://fetch.spec.whatwg.org/#cors-safelisted-request-header), so a browser preflights a
 * cross-site request that carries one, and no form or image can send it: `authorization`, which every
 * client's request carries (urql's default GET queries do), the school a vendor with a certificate
 * names instead (two-sided TLS), the viewer a gateway signs for a subgraph, and Apollo's own two (https://www.apollographql.com/docs/apollo-server/security/cors#preventing-cross-site-request-forgery-csrf).
 * A request with none of them is still refused with 400 BAD_REQUEST, naming them.
 */
export const csrfPrevention = { requestHeaders: ['authorization', schoolHeader, viewerHeader, 'apollo-require-preflight', 'x-apollo-operation-name'] };

export type HeadersLike = { get(name: string): string | undefined };

/** Who is on the other end of the connection, as far as the transport knows. */
export interface Peer {
  /** The client's address: the origin an audit line records. */
  address: string | undefined;
  /** The client certificate, on a TLS connection that presented one. */
  certificate?: {
    /** The subject's serialNumber: a Dutch organisation's OIN on PKIoverheid certificates (docs/domain.md §2.3). */
    subjectSerialNumber: string | undefined;
    /** Whether it chains to a trusted CA and is valid now; else `error` says why (OpenSSL's code). */
    authorized: boolean;
    error: string | undefined;
  };
}

export function peerOf(request: IncomingMessage): Peer {
  const socket = request.socket as Partial<TLSSocket>;
  const address = request.socket.remoteAddress;
  if (typeof socket.getPeerCertificate !== 'function') return { address };
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return { address };
  const subject = certificate.subject as Record<string, string | string[] | undefined> | undefined;
  const serial = subject?.serialNumber;
  const error = socket.authorizationError;
  return {
    address,
    certificate: {
      subjectSerialNumber: Array.isArray(serial) ? serial[0] : serial,
      authorized: socket.authorized === true,
      error: error ? String(error) : undefined,
    },
  };
}

class BodyTooLarge extends Error {}

/** How long a request may take (REQUEST_TIMEOUT), and where one that took longer is logged. */
export interface Deadline {
  timeoutMs: number;
  logger: Logger;
}

/**
 * Serves an Apollo server over node:http (Apollo Server 5 has no built-in HTTP integration): reads
 * the body, hands method, headers, query string and parsed JSON to `executeHTTPGraphQLRequest`, and
 * writes back what it answers, streamed when it answers in chunks. An answer not ready within the
 * deadline is UNAVAILABLE (503, Retry-After) at once; the work goes on to its own end (a transaction
 * commits or rolls back whole), and a mutation resent with its documentId learns which.
 */
export function graphqlHandler<Context extends BaseContext>(
  server: ApolloServer<Context>,
  context: (headers: HeadersLike, peer: Peer) => Promise<Context>,
  deadline?: Deadline,
) {
  return async (request: IncomingMessage, response: ServerResponse) => {
    // One id per request, the client's when well-formed: in the answer, and on to the subgraphs.
    const sent = request.headers[requestIdHeader];
    const requestId = requestIdOf(Array.isArray(sent) ? sent[0] : sent);
    response.setHeader(requestIdHeader, requestId);
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== graphqlPath)
      return sendJson(response, 404, { errors: [{ message: `Not found: GraphQL is served at ${graphqlPath}`, extensions: { code: 'BAD_REQUEST' } }] });
    let body: unknown;
    try {
      body = await readJsonBody(request);
    } catch (error) {
      const tooLarge = error instanceof BodyTooLarge;
      const message = tooLarge ? `The request body exceeds ${maxBodyBytes} bytes` : 'The request body is not valid JSON';
      return sendJson(response, tooLarge ? 413 : 400, { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    headers.set(requestIdHeader, requestId);
    const started = performance.now();
    const execution = server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body },
      context: () => context(headers, peerOf(request)),
    });
    const result = deadline ? await withinDeadline(execution, deadline.timeoutMs) : await execution;
    if (result === undefined) {
      const ms = Math.round(performance.now() - started);
      deadline!.logger.warn({ requestId, status: 503, ms, errors: ['UNAVAILABLE'] }, 'request timed out');
      response.setHeader('retry-after', String(retryAfterSeconds));
      const message = `No answer within ${deadline!.timeoutMs / 1000} s: a part of the register is slow or out of reach. Try again shortly; a mutation may still take effect, so resend it with the same documentId.`;
      return sendJson(response, 503, { errors: [{ message, extensions: { code: 'UNAVAILABLE' } }] });
    }
    for (const [key, value] of result.headers) response.setHeader(key, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') return void response.end(result.body.string);
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  };
}

/** What `work` resolves to, or undefined once `timeoutMs` has passed; a late failure is dropped. */
export async function withinDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, timeoutMs, undefined)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

/**
 * An answer that carries UNAVAILABLE goes out as HTTP 503 with Retry-After, the data it has kept in
 * its body: a client sees at the status that it should try again, and a mutation's data says what
 * was done. At the gateway only: a subgraph answers the gateway 200, so that the data it has kept
 * reaches the answer (a non-2xx answer is an error as a whole to the gateway's data source).
 */
export function outageStatus<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors?.some((error) => error.extensions?.code === 'UNAVAILABLE')) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfterSeconds));
        },
      };
    },
  };
}

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** Sends a request to the handler of its path (the probes, /metrics), any other to `fallback`. */
export function route(routes: Record<string, Handler>, fallback: Handler): Handler {
  return (request, response) => {
    if (request.url === graphqlPath) return fallback(request, response);
    const path = (request.url ?? '/').split('?')[0]!;
    return (Object.hasOwn(routes, path) ? routes[path]! : fallback)(request, response);
  };
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  return (request.headers['content-type'] ?? '').includes('application/json') ? JSON.parse(text) : text;
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** PEM texts for HTTPS: the server's certificate and key, and the CAs whose client certificates count. */
export interface TlsOptions {
  cert: string;
  key: string;
  clientCa: string;
}

/**
 * Listens on host and port (0 picks a free port) and reports the GraphQL URL. With `tls`, it serves
 * HTTPS and asks every client for a certificate (two-sided TLS, docs/domain.md §9), but lets the
 * connection through without one or with a bad one: the gateway then answers with a GraphQL error
 * that says why, which a failed handshake would not.
 */
export async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  host: string,
  port: number,
  logger: Logger,
  tls?: TlsOptions,
): Promise<Listening> {
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    handler(request, response).catch((error: unknown) => {
      // Through the logger, whose serializer redacts the error as every other log line's.
      logger.error({ err: error }, 'request failed outside GraphQL');
      if (!response.headersSent) sendJson(response, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else response.end();
    });
  };
  const server: Server = tls
    ? createTlsServer({ cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, serve)
    : createServer(serve);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve())).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES' && error.code !== 'EADDRNOTAVAIL') throw error;
    throw new ConfigError(`Cannot listen on ${host}:${port} (${error.code}): set HOST or PORT to a free address`);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}${graphqlPath}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
