/*
 * The API schema as SDL at /schema.graphql, for a vendor's own schema check (cli/check-operations.mjs,
 * README "A vendor's schema check"): the schema clients see, without the federation directives.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, printSchema } from 'graphql';
import { apiSchemaOf } from './composition.ts';
import { etagOf, notModified } from './web.ts';
import type { HeadersLike, Handler, Peer } from '../kernel/http.ts';
import { peerOf } from '../kernel/http.ts';
import type { Viewer } from '../kernel/viewer.ts';

export const apiSchemaPath = '/schema.graphql';

interface ApiSchemaFile {
  sdl: string;
  /** The SDL's digest (etagOf): every replica of one supergraph gives the same one. */
  etag: string;
}

function apiSchemaFile(supergraphSdl: string): ApiSchemaFile {
  const sdl = `${printSchema(apiSchemaOf(supergraphSdl)).trimEnd()}\n`;
  return { sdl, etag: etagOf(sdl) };
}

/**
 * Serves the API schema to any viewer the gateway admits, and counts against its rate. Not to
 * anonymous callers: in production introspection is off (OWASP GraphQL cheat sheet, secure
 * configuration), and a schema served to anyone would undo that. A client that sends the ETag it
 * holds in If-None-Match gets 304 without a body when the schema is unchanged (RFC 9110 §13.1.2).
 */
export function servingApiSchema(
  supergraphSdl: string,
  gateway: { authenticate(headers: HeadersLike, peer?: Peer): Promise<Viewer>; admit(viewer: Viewer): Promise<void> },
): Handler {
  // Printed at the first request, not at start: building and printing the API schema takes some 200 ms,
  // which every gateway start (and every test's) would pay for a file few ask for.
  let file: ApiSchemaFile | undefined;
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return sendError(response, 405, 'BAD_REQUEST', `${apiSchemaPath} answers GET and HEAD`);
    }
    try {
      await gateway.admit(await gateway.authenticate(headersOf(request), peerOf(request)));
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      const http = error.extensions.http as { status?: number; headers?: Map<string, string> } | undefined;
      for (const [name, value] of http?.headers ?? []) response.setHeader(name, value);
      return sendError(response, http?.status ?? 401, String(error.extensions.code), error.message);
    }
    file ??= apiSchemaFile(supergraphSdl);
    response.setHeader('etag', file.etag);
    // Private: it is served only with credentials, so no shared cache may keep it; revalidated every time.
    response.setHeader('cache-control', 'private, no-cache');
    if (notModified(request, file.etag)) return void response.writeHead(304).end();
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(file.sdl) });
    response.end(request.method === 'HEAD' ? undefined : file.sdl);
  };
}

function headersOf(request: IncomingMessage): HeadersLike {
  return { get: (name) => [request.headers[name.toLowerCase()]].flat()[0] };
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
