import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { projectRoot, readConfig } from '../kernel/config.ts';
import { silentLogger } from '../kernel/logging.ts';
import { startTestSystem, type TestSystem } from './harness.ts';

/** What Chromium sends when it navigates to a URL. */
const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

/** Any trace of Apollo's landing page, which loads its scripts from Apollo's CDN. */
const apolloLandingPage = /apollographql\.com|embeddable-(sandbox|explorer)|landingPage/i;

const get = (url: string | URL, headers: Record<string, string> = {}) => fetch(url, { headers });

describe('the web pages the gateway serves', () => {
  let system: TestSystem;
  const at = (pathname: string) => new URL(pathname, system.url);

  beforeAll(async () => {
    system = await startTestSystem({ SEED: 'false' });
  });
  afterAll(() => system?.close());

  it('serves the school page at /school as HTML that is checked again on every visit, under a policy that allows nothing from elsewhere', async () => {
    const response = await get(at('/school'), { accept: browserAccept });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toContain('<h1 id="school-heading"');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('serves the scripts and styles a page names with their content types, cached for good (their names carry their hash)', async () => {
    const html = await (await get(at('/school'))).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);

    for (const asset of assets) {
      const response = await get(at(asset));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const built = await readFile(path.join(projectRoot, 'web', 'dist', asset));
      expect(Buffer.from(await response.arrayBuffer()).equals(built)).toBe(true);
    }
  });

  it('answers 304 to a browser that has the page already, and gzip to one that accepts it', async () => {
    const first = await get(at('/school'));
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect((await get(at('/school'), { 'if-none-match': etag })).status).toBe(304);

    // Node's fetch would unpack it; node:http shows the body as sent.
    const { request } = await import('node:http');
    const gzipped = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request(at('/school'), { headers: { 'accept-encoding': 'gzip' } }, (response) => {
        const chunks: Buffer[] = [];
        response
          .on('data', (chunk: Buffer) => chunks.push(chunk))
          .on('end', () => resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(gzipped.encoding).toBe('gzip');
    expect(gunzipSync(gzipped.body).toString('utf8')).toBe(await first.text());
  });

  it.each([
    ['/assets/../package.json'],
    ['/assets/%2e%2e/%2e%2e/package.json'],
    ['/assets/..%2f..%2fpackage.json'],
    ['/assets/build-inputs.sha256'],
    ['/school/../web/build.ts'],
  ])('serves no file outside the built assets for %s', async (pathname) => {
    // fetch would resolve the dots itself; the raw path is what an attacker sends.
    const { request } = await import('node:http');
    const url = new URL(system.url);
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: url.hostname, port: url.port, path: pathname, headers: { accept: browserAccept } }, (answer) => {
        let body = '';
        answer
          .setEncoding('utf8')
          .on('data', (chunk: string) => (body += chunk))
          .on('end', () => resolve({ status: answer.statusCode!, body }));
      })
        .on('error', reject)
        .end();
    });

    expect(response.status).toBe(404);
    expect(response.body).not.toContain('"name": "register-graph"');
    expect(response.body).not.toContain('ensureWebBuild');
  });

  it("answers a browser at the GraphQL URL with the bundled explorer, not Apollo's CDN landing page, and a GraphQL client with JSON", async () => {
    const page = await get(system.url, { accept: browserAccept });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<title>Register Graph explorer</title>');
    expect(html).toMatch(/src="\/assets\/explorer-[^"]+\.js"/);
    expect(html).not.toMatch(apolloLandingPage);

    const client = await get(`${system.url}?query=${encodeURIComponent('{ countDates { countDate } }')}`, {
      accept: 'application/json',
      'apollo-require-preflight': 'true',
      authorization: `Bearer ${await system.token({ role: 'OPERATOR' })}`,
    });
    expect(client.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await client.json()).toHaveProperty('data.countDates');
  });
});

describe('the explorer in production', () => {
  const production = {
    NODE_ENV: 'production',
    TOKEN_SECRET: 'a production token secret that is long enough',
    VIEWER_SECRET: 'a production viewer secret that is long enough',
  };
  // A gateway process of its own needs no database. Its subgraph URLs are never dialled: no request
  // below reaches a subgraph.
  const gatewayOnly = (environment: Record<string, string>) =>
    startSystem(
      readConfig({
        SERVE: 'gateway',
        HOST: '127.0.0.1',
        PORT: '0',
        SUBGRAPH_URLS: ['institutions', 'learners', 'funding', 'absence'].map((name) => `${name}=http://127.0.0.1:9/graphql`).join(','),
        ...production,
        ...environment,
      }),
      { logger: silentLogger },
    );
  const running: RunningSystem[] = [];

  afterAll(() => Promise.all(running.map((system) => system.close())));

  it("is off: a browser gets neither GraphiQL nor Apollo's landing page", async () => {
    const system = await gatewayOnly({});
    running.push(system);

    const response = await get(system.url, { accept: browserAccept });
    const body = await response.text();
    expect(response.headers.get('content-type')).not.toMatch(/^text\/html/);
    expect(body).not.toContain('Register Graph explorer');
    expect(body).not.toMatch(apolloLandingPage);
    // The school page is no developer's tool: it stays.
    expect((await get(new URL('/school', system.url))).status).toBe(200);
  });

  it('is on with EXPLORER=true', async () => {
    const system = await gatewayOnly({ EXPLORER: 'true' });
    running.push(system);

    expect(await (await get(system.url, { accept: browserAccept })).text()).toContain('<title>Register Graph explorer</title>');
  });
});
