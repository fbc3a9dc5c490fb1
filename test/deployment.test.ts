/*
 * The deployment files (Dockerfile, .dockerignore, deploy/kubernetes; docs/deployment.md) against
 * the register they deploy: the configuration it reads (kernel/config.ts, README "Configuration"),
 * the processes it has (SERVE), the port and probe paths it serves, and the script npm starts it
 * with. The image itself cannot be built here (no container registry to pull its base from), so
 * the Dockerfile is read, not run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { projectRoot, readConfig } from '../kernel/config.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { startTestSystem, type TestSystem } from './harness.ts';

const kubernetes = path.join(projectRoot, 'deploy', 'kubernetes');
const read = (...parts: string[]) => readFile(path.join(projectRoot, ...parts), 'utf8');

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  envFrom?: ({ configMapRef: { name: string } } | { secretRef: { name: string } })[];
  ports: { name: string; containerPort: number }[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
}
interface Resource {
  kind: string;
  metadata: { name: string };
  spec: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Deployment extends Resource {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; securityContext: { runAsNonRoot: boolean; runAsUser: number } };
    };
  };
}

async function manifests(): Promise<Resource[]> {
  const { resources } = (await parseYaml('kustomization.yaml'))[0] as unknown as { resources: string[] };
  // The Secret is not applied from the repository (it holds secrets); its example gives its shape.
  return (await Promise.all([...resources, 'secret.example.yaml'].map(parseYaml))).flat();
}

async function parseYaml(file: string): Promise<Resource[]> {
  const documents = parseAllDocuments(await readFile(path.join(kubernetes, file), 'utf8'));
  for (const document of documents) expect(document.errors, file).toEqual([]);
  return documents.map((document) => document.toJS() as Resource);
}

/** The variables kernel/config.ts reads: the keys of its `environment` object. */
async function variablesRead(): Promise<Set<string>> {
  const source = await read('kernel', 'config.ts');
  const body = source.slice(source.indexOf('const environment = z'), source.indexOf('.superRefine('));
  return new Set([...body.matchAll(/^ {4}([A-Z][A-Z0-9_]*): /gm)].map((match) => match[1]!));
}

/** The variables README's "Configuration" table documents (a row may name several). */
async function variablesDocumented(): Promise<Set<string>> {
  const readme = await read('README.md');
  const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return new Set(rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!)));
}

/** What the process of a Deployment finds in its environment: the ConfigMap, the Secret and its own. */
function environmentOf(deployment: Deployment, all: Resource[]): Record<string, string> {
  const container = deployment.spec.template.spec.containers[0]!;
  const from = (kind: string, name: string) => {
    const found = all.find((resource) => resource.kind === kind && resource.metadata.name === name);
    expect(found, `${kind} ${name}`).toBeDefined();
    return { ...found!.data, ...found!.stringData };
  };
  const sources = (container.envFrom ?? []).map((source) =>
    'configMapRef' in source ? from('ConfigMap', source.configMapRef.name) : from('Secret', source.secretRef.name),
  );
  const own = Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value ?? '']));
  return Object.assign({}, ...sources, own);
}

const ofKind = <Kind extends Resource>(all: Resource[], kind: string) => all.filter((resource) => resource.kind === kind) as Kind[];
const serveOf = (deployment: Deployment) => deployment.spec.template.spec.containers[0]!.env?.find(({ name }) => name === 'SERVE')?.value;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  let all: Resource[];
  let deployments: Deployment[];
  beforeAll(async () => {
    all = await manifests();
    deployments = ofKind<Deployment>(all, 'Deployment');
  });

  it('run the gateway and every subgraph, each as a Deployment of two replicas with a Service and a disruption budget that keeps one', () => {
    expect(deployments.map(serveOf).sort()).toEqual(['gateway', ...subgraphs.map((subgraph) => subgraph.name)].sort());
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      expect(matches(deployment.spec.selector.matchLabels, labels)).toBe(true);
      expect(deployment.spec.replicas).toBe(2);
      const services = ofKind(all, 'Service').filter((service) => matches(service.spec.selector, labels));
      expect(services, deployment.metadata.name).toHaveLength(1);
      const budgets = ofKind(all, 'PodDisruptionBudget').filter((budget) => matches(budget.spec.selector.matchLabels, labels));
      expect(budgets, deployment.metadata.name).toHaveLength(1);
      expect(budgets[0]!.spec.minAvailable).toBeGreaterThanOrEqual(1);
      expect(budgets[0]!.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    }
  });

  it('set only variables the register reads and documents, and give every process a configuration it accepts in production, secrets and all', async () => {
    const [read, documented] = await Promise.all([variablesRead(), variablesDocumented()]);
    expect(read.size).toBeGreaterThan(20);
    for (const deployment of deployments) {
      const environment = environmentOf(deployment, all);
      for (const name of Object.keys(environment)) {
        expect(read, `${deployment.metadata.name} sets ${name}`).toContain(name);
        expect(documented, `${deployment.metadata.name} sets ${name}`).toContain(name);
      }
      // readConfig refuses a production process without its secrets, and a subgraph process without
      // PostgreSQL or a gateway without its subgraphs' URLs, naming what is missing.
      const config = readConfig(environment);
      expect(config.production).toBe(true);
      expect(config.serve).toBe(serveOf(deployment));
      expect(config.databaseUrl).toBeDefined();
      expect(config.host).toBe('0.0.0.0');
      expect(deployment.spec.template.spec.containers[0]!.ports).toEqual([{ name: 'http', containerPort: config.port }]);
    }
  });

  it('point the gateway at each subgraph through that subgraph’s Service and port', () => {
    const gateway = deployments.find((deployment) => serveOf(deployment) === 'gateway')!;
    const { subgraphUrls } = readConfig(environmentOf(gateway, all));
    expect([...subgraphUrls.keys()].sort()).toEqual(subgraphs.map((subgraph) => subgraph.name).sort());
    for (const [name, url] of subgraphUrls) {
      const deployment = deployments.find((candidate) => serveOf(candidate) === name)!;
      const service = ofKind(all, 'Service').find((candidate) => matches(candidate.spec.selector, deployment.spec.template.metadata.labels))!;
      const { hostname, port, pathname } = new URL(url);
      expect(hostname).toBe(service.metadata.name);
      expect(Number(port)).toBe(service.spec.ports[0].port);
      expect(service.spec.ports[0].targetPort).toBe('http');
      expect(pathname).toBe('/graphql');
    }
  });

  it('run every process as the unprivileged user the image has, with requests and limits', async () => {
    const user = runtimeStage(await dockerfile()).find(([instruction]) => instruction === 'USER')![1];
    expect(user).toBe('node');
    for (const deployment of deployments) {
      const { securityContext, containers } = deployment.spec.template.spec;
      // `node` is uid 1000 in the official Node.js images.
      expect(securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      for (const kind of ['requests', 'limits'] as const) expect(Object.keys(containers[0]!.resources[kind]).sort()).toEqual(['cpu', 'memory']);
    }
  });

  describe('probe the paths a process serves', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ SEED: 'false' });
    });
    afterAll(() => system?.close());

    it('liveness and startup on /healthz (up while it starts), readiness on /readyz (ready once started), on the container port', async () => {
      for (const deployment of deployments) {
        const container = deployment.spec.template.spec.containers[0]!;
        expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      }
      const health = await fetch(new URL('/healthz', system.url));
      expect([health.status, await health.json()]).toEqual([200, { status: 'up' }]);
      const readiness = await fetch(new URL('/readyz', system.url));
      expect(readiness.status).toBe(200);
      expect(await readiness.json()).toMatchObject({ status: 'ready' });
    });
  });
});

/** The Dockerfile's instructions, continuation lines joined and comments left out, per stage. */
async function dockerfile(): Promise<[string, string][]> {
  const text = (await read('Dockerfile')).replace(/\\\n\s*/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [instruction, ...rest] = line.split(/\s+/);
      return [instruction!.toUpperCase(), rest.join(' ')];
    });
}

function runtimeStage(instructions: [string, string][]): [string, string][] {
  return instructions.slice(instructions.findLastIndex(([instruction]) => instruction === 'FROM'));
}

describe('the container image (Dockerfile)', () => {
  it('builds the web pages in a build stage and runs as an unprivileged user with production dependencies only, as npm start does, on the port it exposes', async () => {
    const instructions = await dockerfile();
    const build = instructions.slice(
      0,
      instructions.findLastIndex(([instruction]) => instruction === 'FROM'),
    );
    const runtime = runtimeStage(instructions);
    const args = (stage: [string, string][], instruction: string) => stage.filter(([found]) => found === instruction).map(([, rest]) => rest);

    expect(args(build, 'RUN')).toContain('npm run build:web');
    expect(args(runtime, 'COPY')).toContain('--from=build /app/web/dist web/dist');
    const installs = args(runtime, 'RUN').filter((run) => run.includes('npm ci'));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('--omit=dev');
    // npm's `prepare` builds the pages, which needs the dev dependencies: it must not run here.
    expect(installs[0]).toContain('--ignore-scripts');
    expect(args(runtime, 'USER')).toEqual(['node']);

    const { scripts } = JSON.parse(await read('package.json')) as { scripts: Record<string, string> };
    expect((JSON.parse(args(runtime, 'CMD')[0]!) as string[]).join(' ')).toBe(scripts.start);
    const environment = Object.fromEntries(
      args(runtime, 'ENV')
        .join(' ')
        .split(/\s+/)
        .map((pair) => pair.split('=') as [string, string]),
    );
    expect(environment).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(args(runtime, 'EXPOSE')).toEqual([environment.PORT]);
    const configMap = (await parseYaml('config.yaml')).find((resource) => resource.kind === 'ConfigMap')!;
    expect(configMap.data!.PORT).toBe(environment.PORT);
  });

  it('leaves out of the build context installed and built files and local data, and nothing npm start imports', async () => {
    const patterns = (await read('.dockerignore'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((pattern) => new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}(/|$)`));
    const ignored = (file: string) => patterns.some((pattern) => pattern.test(file));

    for (const file of ['node_modules/graphql/index.js', 'web/dist/school/index.html', '.data/pglite/PG_VERSION', '.git/HEAD', 'test/harness.ts'])
      expect(ignored(file), file).toBe(true);
    const imported = await importedBy('cli/start.ts');
    expect(imported.size).toBeGreaterThan(50);
    for (const file of [...imported, 'package.json', 'package-lock.json', 'schema/supergraph.graphql', 'migrations/learners', 'data/schoolvakanties'])
      expect(ignored(file), file).toBe(false);
  });
});

/** The repository's files a module imports, and those they import, by relative path. */
async function importedBy(entry: string, found = new Set<string>()): Promise<Set<string>> {
  if (found.has(entry)) return found;
  found.add(entry);
  const source = await read(entry);
  for (const [, specifier] of source.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const file = path.posix.normalize(path.posix.join(path.posix.dirname(entry), specifier!.replace(/\?raw$/, '')));
    if (file.endsWith('.ts')) await importedBy(file, found);
    else found.add(file);
  }
  return found;
}
