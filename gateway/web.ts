/*
 * The gateway's web pages (web/, built by Vite into web/dist): the school page at /school, the
 * GraphiQL explorer for browsers at the GraphQL URL, and their scripts and styles under /assets/.
 * Everything else goes on to the GraphQL handler.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { graphqlPath } from '../kernel/http.ts';
import { webDist } from '../web/build.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

interface File {
  body: Buffer;
  type: string;
  etag: string;
  gzipped?: Buffer;
}

/** The built files by their path in web/dist ('school/index.html', 'assets/…'); undefined: not built. */
export type WebBuild = Map<string, File> | undefined;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/**
 * Reads the build once, at start: only these files are ever served, looked up by name in memory, so
 * no request path reaches the file system (no traversal, whatever the path holds).
 */
export async function loadWebBuild(folder = webDist): Promise<WebBuild> {
  const names = await readdir(folder, { recursive: true }).catch(() => undefined);
  if (!names) return undefined;
  const files = new Map<string, File>();
  for (const name of names) {
    const full = path.join(folder, name);
    if (!(await stat(full)).isFile()) continue;
    const body = await readFile(full);
    const type = contentTypes[path.extname(name)] ?? 'application/octet-stream';
    files.set(name.split(path.sep).join('/'), { body, type, etag: etagOf(body) });
  }
  return files;
}

/** A strong validator (RFC 9110 §8.8.3): a digest of the body, so every replica gives the same one. */
export function etagOf(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** If-None-Match holds a list of entity tags, or `*`, compared weakly (RFC 9110 §13.1.2). */
export function notModified(request: IncomingMessage, etag: string): boolean {
  const tags = request.headers['if-none-match'];
  if (tags === undefined) return false;
  return tags.trim() === '*' || tags.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Pages may load only what the gateway serves and talk only to it (HTTP and WebSocket): a page
 * that tried a CDN would fail here as it fails offline. Inline styles: React and CodeMirror set them.
 */
const contentSecurityPolicy =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Which built file a request asks for, if it is one of the pages' routes. */
function routeOf(request: IncomingMessage, explorer: boolean): string | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  if (pathname === graphqlPath) return explorer && prefersHtml(request.headers.accept) ? 'explorer/index.html' : undefined;
  if (pathname === '/school' || pathname === '/school/') return 'school/index.html';
  if (pathname.startsWith('/assets/')) return pathname.slice(1);
  return undefined;
}

/**
 * A browser navigating to the URL asks for HTML first; a GraphQL client over GET asks for JSON
 * (Apollo Server decides its landing page the same way).
 */
function prefersHtml(accept: string | undefined): boolean {
  const types = (accept ?? '').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const html = types.indexOf('text/html');
  const json = types.findIndex((type) => type === 'application/json' || type === 'application/graphql-response+json');
  return html !== -1 && (json === -1 || html < json);
}

export function servingWebPages(options: { build: WebBuild; explorer: boolean }, next: Handler): Handler {
  return async (request, response) => {
    const route = routeOf(request, options.explorer);
    if (route === undefined) return next(request, response);
    if (!options.build) return sendText(response, 503, 'The web pages are not built: run npm run build:web');
    const file = options.build.get(route);
    if (!file) return sendText(response, 404, 'Not found');
    sendFile(request, response, file, route.endsWith('.html'));
  };
}

function sendFile(request: IncomingMessage, response: ServerResponse, file: File, page: boolean): void {
  response.setHeader('content-type', file.type);
  response.setHeader('etag', file.etag);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('vary', 'accept-encoding');
  // Assets carry a hash of their content in their name: a changed one has another name. Pages are
  // checked again on every visit (ETag), so that a new build reaches browsers at once.
  response.setHeader('cache-control', page ? 'no-cache' : 'public, max-age=31536000, immutable');
  if (page) {
    response.setHeader('content-security-policy', contentSecurityPolicy);
    response.setHeader('referrer-policy', 'no-referrer');
  }
  if (notModified(request, file.etag)) return void response.writeHead(304).end();
  const body = acceptsGzip(request) ? gzipped(file) : undefined;
  if (body) response.setHeader('content-encoding', 'gzip');
  response.setHeader('content-length', (body ?? file.body).length);
  response.writeHead(200).end(request.method === 'HEAD' ? undefined : (body ?? file.body));
}

function acceptsGzip(request: IncomingMessage): boolean {
  return /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
}

/** Text compressed once, on first request: GraphiQL's script shrinks from about 1 MB to a quarter. */
function gzipped(file: File): Buffer | undefined {
  if (!/^text\/|json|svg/.test(file.type) || file.body.length < 1024) return undefined;
  file.gzipped ??= gzipSync(file.body);
  return file.gzipped;
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(text);
}
