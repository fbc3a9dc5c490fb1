import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, parse, print, validate, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../kernel/config.ts';
import { registeredOperation, startTestSystem, type TestSystem } from './harness.ts';

/*
 * A vendor's schema check as a vendor runs it: the gateway serves its API schema at /schema.graphql,
 * and cli/check-operations.mjs, run as a child process with only the environment a vendor's CI has,
 * checks a folder of the vendor's own operations against it.
 */

const command = path.join(projectRoot, 'cli', 'check-operations.mjs');
const run = promisify(execFile);

let system: TestSystem;
let schemaUrl: string;
let token: string;
let folder: string;

beforeAll(async () => {
  system = await startTestSystem();
  schemaUrl = new URL('/schema.graphql', system.url).href;
  token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
  folder = await mkdtemp(path.join(tmpdir(), 'vendor-operations-'));
});

afterAll(async () => {
  await system?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Runs the command as a vendor's CI would; the exit code and what it printed, whatever the code. */
async function check(args: string[], environment: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [command, ...args], { env: { PATH: process.env.PATH ?? '', ...environment }, cwd: folder });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function operations(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(folder, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

const branchName = `query BranchName($brin6: ID!) {\n  branch(brin6: $brin6) {\n    ...BranchFields\n  }\n}\n`;
const branchFields = `fragment BranchFields on Branch {\n  brin6\n  name\n}\n`;

describe('the API schema at /schema.graphql', () => {
  it('is served to a viewer with a token, with an ETag, and every registered operation validates against it', async () => {
    const response = await fetch(schemaUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    const schema = buildSchema(await response.text());
    // The API schema: what clients see, without federation's own types and directives.
    expect(schema.getType('_Service')).toBeUndefined();
    expect(validate(schema, parse(registeredOperation('EnrollLearner.graphql')))).toEqual([]);
  });

  it('answers 304 without a body to a client that holds the current ETag, and 200 to one holding another', async () => {
    const authorization = `Bearer ${token}`;
    const etag = (await fetch(schemaUrl, { headers: { authorization } })).headers.get('etag')!;
    const unchanged = await fetch(schemaUrl, { headers: { authorization, 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    const other = await fetch(schemaUrl, { headers: { authorization, 'if-none-match': '"an-older-schema"' } });
    expect(other.status).toBe(200);
  });

  it('refuses a caller without a valid token (UNAUTHENTICATED) and a method other than GET or HEAD', async () => {
    const anonymous = await fetch(schemaUrl);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const forged = await fetch(schemaUrl, { headers: { authorization: 'Bearer not-a-token' } });
    expect(forged.status).toBe(401);
    const posted = await fetch(schemaUrl, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe("a vendor's schema check (cli/check-operations.mjs)", () => {
  it('passes valid operations against the served schema, keeping it with its ETag in the cache file', async () => {
    const dir = await operations('valid', { 'branch/BranchName.graphql': branchName, 'fragments/BranchFields.gql': branchFields });
    const cache = path.join(folder, 'schema-cache.json');
    const result = await check(['--schema', schemaUrl, '--cache', cache, dir], { REGISTER_TOKEN: token });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('1 operation(s) in 2 file(s) checked: 0 broken, 0 using something deprecated.');
    const served = await fetch(schemaUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(await readFile(cache, 'utf8'))).toEqual({ url: schemaUrl, etag: served.headers.get('etag'), sdl: await served.text() });
    // Again with the cache: a 304 answer, and the cached schema checks the same.
    expect(await check(['--schema', schemaUrl, '--cache', cache, dir], { REGISTER_TOKEN: token })).toMatchObject({ code: 0 });
  });

  it('names the operation a schema change breaks, at its line, in the file of the fragment that breaks it', async () => {
    const dir = await operations('broken', { 'BranchName.graphql': branchName, 'BranchFields.graphql': branchFields });
    const sdl = await (await fetch(schemaUrl, { headers: { authorization: `Bearer ${token}` } })).text();
    // The change: Branch.name removed from the served schema.
    const changed = print(
      visit(parse(sdl), {
        ObjectTypeDefinition: (node) =>
          node.name.value === 'Branch' ? { ...node, fields: node.fields?.filter((field) => field.name.value !== 'name') } : undefined,
      }),
    );
    await writeFile(path.join(folder, 'changed.graphql'), changed);
    const result = await check(['--schema', path.join(folder, 'changed.graphql'), dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${path.join('broken', 'BranchFields.graphql')}:3:3 error BranchName: Cannot query field "name" on type "Branch".`);
    expect(result.stdout).toContain('1 operation(s) in 2 file(s) checked: 1 broken');
    // Against the served schema, unchanged, the same operations pass.
    expect((await check(['--schema', schemaUrl, dir], { REGISTER_TOKEN: token })).code).toBe(0);
  });

  it('warns about a deprecated enum value with its date and replacement, and fails on it with --strict', async () => {
    const registration = `mutation Exempt($input: RegisterExemptionInput!) {\n  registerExemption(input: $input) { exemption { id } }\n}\n`;
    const literal = `mutation ExemptOther {\n  registerExemption(input: { documentId: "d", pgn: "1", kind: OTHER_EDUCATION, startDate: "2026-12-07" }) { exemption { id } }\n}\n`;
    const dir = await operations('deprecated', { 'Exempt.graphql': registration, 'ExemptOther.graphql': literal });
    const lenient = await check(['--schema', schemaUrl, dir], { REGISTER_TOKEN: token, GITHUB_ACTIONS: 'true' });
    expect(lenient.stdout).not.toContain(' error ');
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(
      /ExemptOther\.graphql:2:\d+ warning ExemptOther: The enum value "ExemptionKind\.OTHER_EDUCATION" is deprecated\. Since \d{4}-\d{2}-\d{2}\. No replacement: /,
    );
    expect(lenient.stdout).toMatch(/^::warning file=.*ExemptOther\.graphql,line=2,col=\d+::ExemptOther: The enum value/m);
    expect(lenient.stdout).toContain('2 operation(s) in 2 file(s) checked: 0 broken, 1 using something deprecated.');
    expect((await check(['--schema', schemaUrl, '--strict', dir], { REGISTER_TOKEN: token })).code).toBe(1);
  });

  it('stops with exit code 2 and says why when it cannot check: no token, no schema, no operations', async () => {
    const dir = await operations('one', { 'BranchName.graphql': branchName + branchFields });
    const anonymous = await check(['--schema', schemaUrl, dir]);
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/answered 401 \(UNAUTHENTICATED: .*\); set REGISTER_TOKEN/);
    expect(await check(['--schema', path.join(folder, 'missing.graphql'), dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('no schema file') });
    const empty = await operations('empty', {});
    expect(await check(['--schema', schemaUrl, empty], { REGISTER_TOKEN: token })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no .graphql or .gql files'),
    });
    expect(await check([dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
  });
});
