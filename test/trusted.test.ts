import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOperations } from '../gateway/composition.ts';
import { documentId, untrusted } from '../gateway/trusted.ts';
import { projectRoot } from '../kernel/config.ts';
import { postGraphQL, startTestSystem, type TestSystem, registeredOperation } from './harness.ts';

/**
 * Texts whose parse or validation messages would tell a stranger about the schema: the field it
 * meant ("Did you mean"), the arguments a field takes, where the text stops being GraphQL.
 */
const unregisteredProbes = [
  ['a misspelt field', '{ branchez(first: 1) { totalCount } }'],
  ['a wrong argument', '{ branch(code: "16AH00") { name } }'],
  ['text that does not parse', '{ branches(first: 1) { totalCount '],
  ['a field the type lacks', 'query Mine { branch(brin6: "16AH00") { colour } }'],
] as const;

describe('trusted documents: a strict gateway runs registered operations only', () => {
  let system: TestSystem;
  let token: string;
  const branch = registeredOperation('Branch.graphql');

  beforeAll(async () => {
    system = await startTestSystem({ TRUSTED_DOCUMENTS: 'strict', SEED: 'false' });
    token = await system.token({ role: 'OPERATOR' });
  });
  afterAll(() => system?.close());

  const persisted = (hash: string, query?: string) =>
    fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { brin6: '16AH00' }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    }).then(async (response) => ({
      status: response.status,
      ...((await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] }),
    }));

  it('runs a registered operation sent whole, or by its SHA-256 alone', async () => {
    expect((await postGraphQL(system.url, branch, { brin6: '16AH00' }, token)).errors).toBeUndefined();
    const byHash = await persisted(documentId(branch));
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual({ branch: null });
  });

  it('refuses any other operation, also when it comes with its hash to be remembered', async () => {
    const adHoc = '{ branches(first: 1) { totalCount } }';
    const refused = await postGraphQL(system.url, adHoc, undefined, token);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNTRUSTED_OPERATION');
    expect((await persisted(documentId(adHoc), adHoc)).errors?.[0]?.extensions?.code).toBe('UNTRUSTED_OPERATION');
    expect((await persisted(documentId(adHoc))).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it.each(unregisteredProbes)('checks trust first: %s, unregistered, learns nothing about the schema', async (_, query) => {
    for (const answer of [await postGraphQL(system.url, query, undefined, token), await persisted(documentId(query), query)]) {
      expect(answer.status).toBe(400);
      expect(answer.errors).toEqual([{ message: untrusted().message, extensions: { code: 'UNTRUSTED_OPERATION' } }]);
    }
  });
});

describe('npm run operations:register', () => {
  let folder: string;
  let sources: string;
  const vendor = '00000001800866472000';
  beforeAll(async () => {
    sources = await mkdtemp(path.join(tmpdir(), 'vendor-client-'));
    folder = await mkdtemp(path.join(tmpdir(), 'trusted-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
    await rm(sources, { recursive: true, force: true });
  });

  const register = (file: string) =>
    execFileSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'cli', 'operations.ts'), '--vendor', vendor, file, '--into', folder], {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: 'pipe',
    });

  it("files a valid named operation under the vendor's OIN and prints its document id", async () => {
    const source = 'query SchoolName($brin6: ID!) { branch(brin6: $brin6) { name } }\n';
    await writeFile(path.join(sources, 'mine.graphql'), source);
    expect(register(path.join(sources, 'mine.graphql'))).toContain(`SchoolName: registered as ${documentId(source)}`);
    expect(await readFile(path.join(folder, 'vendors', vendor, 'SchoolName.graphql'), 'utf8')).toBe(source);
    expect(readOperations(folder).map((operation) => operation.name)).toEqual([`vendors/${vendor}/SchoolName.graphql`]);
  });

  it('refuses an operation that does not validate, saying why, and files nothing', async () => {
    await writeFile(path.join(sources, 'broken.graphql'), 'query Broken { branch(brin6: "16AH00") { colour } }\n');
    let output = '';
    try {
      register(path.join(sources, 'broken.graphql'));
    } catch (error) {
      output = String((error as { stderr: string }).stderr);
    }
    expect(output).toContain('Cannot query field "colour"');
    expect(readOperations(folder).map((operation) => operation.name)).not.toContain(`vendors/${vendor}/Broken.graphql`);
  });
});
