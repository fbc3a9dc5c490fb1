import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { schoolHeader } from '../kernel/viewer.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { startTestSystem, type GraphQLResponse, type TestSystem } from './harness.ts';

/**
 * Two-sided TLS at the gateway, with a CA and certificates made by `openssl` for this test: a vendor
 * is known by the OIN in its certificate's subject serialNumber (docs/domain.md §2.3).
 */
describe('vendor certificates', () => {
  let folder: string;
  let system: TestSystem;
  let trustedCa: string;
  const file = (name: string) => path.join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

  /** A key and a certificate for `subject`, signed by the CA named `ca`, valid for `days` (negative: expired). */
  function issue(name: string, subject: string, ca: string, days = 30, extensions: string[] = []) {
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      subject,
      ...extensions,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.crt`),
      '-CAkey',
      file(`${ca}.key`),
      '-out',
      file(`${name}.crt`),
      '-days',
      String(days),
      '-copy_extensions',
      'copy',
    );
  }

  function authority(name: string) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
      '-subj',
      `/CN=${name}`,
      '-days',
      '30',
    );
  }

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'register-tls-'));
    authority('trusted-ca');
    authority('unknown-ca');
    issue('server', '/CN=register.test', 'trusted-ca', 30, ['-addext', 'subjectAltName=IP:127.0.0.1']);
    issue('vendor', `/O=Demo Leerlingadministratie B.V./serialNumber=${demoVendor.oin}`, 'trusted-ca');
    issue('expired', `/O=Demo Leerlingadministratie B.V./serialNumber=${demoVendor.oin}`, 'trusted-ca', -1);
    issue('stranger', `/O=Demo Leerlingadministratie B.V./serialNumber=${demoVendor.oin}`, 'unknown-ca');
    issue('anonymous', '/O=A vendor without an OIN', 'trusted-ca');
    trustedCa = await readFile(file('trusted-ca.crt'), 'utf8');
    system = await startTestSystem({ TLS_CERT: file('server.crt'), TLS_KEY: file('server.key'), TLS_CLIENT_CA: file('trusted-ca.crt') });
  });
  afterAll(async () => {
    await system?.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** POSTs a query over HTTPS (or GETs it), presenting the named certificate (or none), as a vendor's system would. */
  async function ask(
    certificate: string | null,
    headers: Record<string, string> = { [schoolHeader]: '16AH00' },
    method: 'POST' | 'GET' = 'POST',
  ): Promise<GraphQLResponse<{ enrollments: { totalCount: number } }>> {
    const client = certificate ? { cert: await readFile(file(`${certificate}.crt`)), key: await readFile(file(`${certificate}.key`)) } : {};
    const query = '{ enrollments(first: 1) { totalCount } }';
    const body = method === 'POST' ? JSON.stringify({ query }) : undefined;
    const url = method === 'POST' ? system.url : `${system.url}?query=${encodeURIComponent(query)}`;
    return new Promise((resolve, reject) => {
      const sent = request(
        url,
        { method, ca: trustedCa, ...client, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, ...JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        },
      );
      sent.on('error', reject);
      sent.end(body);
    });
  }

  it('serves HTTPS and takes the vendor from a valid certificate, for the school it names', async () => {
    expect(system.url).toMatch(/^https:/);
    const response = await ask('vendor');
    expect(response.errors).toBeUndefined();
    expect(response.data!.enrollments.totalCount).toBe(0);
  });

  it.each([
    ['expired', 'it has expired'],
    ['stranger', 'it is not issued by a CA the register trusts'],
    ['anonymous', "carries no OIN as its subject's serialNumber"],
  ])('refuses a %s certificate, saying why', async (certificate, says) => {
    const response = await ask(certificate);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.errors![0]!.message).toContain(says);
  });

  it('takes a GET query from a vendor whose certificate and school header identify it, with no token (CSRF prevention)', async () => {
    const response = await ask('vendor', { [schoolHeader]: '16AH00' }, 'GET');
    expect(response.errors).toBeUndefined();
    expect(response.data!.enrollments.totalCount).toBe(0);
  });

  it('refuses a vendor certificate without the school it acts for', async () => {
    expect((await ask('vendor', {})).errors?.[0]?.message).toContain(schoolHeader);
  });

  it('takes no token for a vendor, and still one for the operator', async () => {
    const vendorToken = await system.token({ role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH00' });
    expect((await ask(null, { authorization: `Bearer ${vendorToken}` })).errors?.[0]?.message).toContain('client certificate');
    const operatorToken = await system.token({ role: 'OPERATOR' });
    expect((await ask(null, { authorization: `Bearer ${operatorToken}` })).errors).toBeUndefined();
  });

  /** Opens a WebSocket over TLS with the named certificate, subscribes, and reports the first answer or the close. */
  async function subscribeOverTls(certificate: string): Promise<{ closed?: number; reason?: string; answer?: unknown }> {
    const socket = new WebSocket(system.url.replace(/^https/, 'wss'), 'graphql-transport-ws', {
      ca: trustedCa,
      cert: await readFile(file(`${certificate}.crt`)),
      key: await readFile(file(`${certificate}.key`)),
    });
    return new Promise((resolve) => {
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { [schoolHeader]: '16AH00' } })));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
        if (message.type === 'connection_ack')
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ enrollments(first: 1) { totalCount } }' } }));
        if (message.type === 'next') {
          resolve({ answer: message.payload });
          socket.close();
        }
      });
      socket.on('close', (code, reason) => resolve({ closed: code, reason: reason.toString() }));
    });
  }

  it('takes the vendor from its certificate over WebSocket too, and closes with 4403 on an expired one', async () => {
    expect(await subscribeOverTls('vendor')).toEqual({ answer: { data: { enrollments: { totalCount: 0 } } } });
    const refused = await subscribeOverTls('expired');
    expect(refused.closed).toBe(4403);
    expect(refused.reason).toContain('it has expired');
  });
});
