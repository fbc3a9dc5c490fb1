import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { ConfigError, type Config } from '../kernel/config.ts';
import { openDatabase, type Database } from '../kernel/db.ts';
import { graphqlHandler, listen, type TlsOptions } from '../kernel/http.ts';
import { serveWebSocket, subgraphSubscriptions } from '../kernel/websocket.ts';
import { catchUpWithCommitted, startConsumer } from '../kernel/events.ts';
import { kernelMigrations, migrate } from '../kernel/migrations.ts';
import { createSubgraphServer, schemaFolder, type Subgraph, type SubgraphServer } from '../kernel/subgraph.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { readOperations } from './composition.ts';
import { createGateway, type SubgraphSource } from './gateway.ts';
import { defaultLimits } from './limits.ts';
import { gatewaySubscriptions } from './websocket.ts';
import { loadWebBuild, servingWebPages } from './web.ts';
import { trustedDocuments } from './trusted.ts';

export interface RunningSystem {
  /** The GraphQL URL this process serves. */
  url: string;
  /** What it serves: `embedded`, `gateway` or a subgraph's name. */
  serve: string;
  /** The database this process opened, if any. */
  database: Database | undefined;
  /** Open subscriptions: the gateway's subscribers and upstreams, and each subgraph's feed. */
  stats(): SubscriptionStats;
  close(): Promise<void>;
}

export interface SubscriptionStats {
  gateway?: { subscribers: number; upstreams: number };
  feeds: Record<string, { subscriptions: number; live: number; tails: number }>;
}

const feedStats = (servers: SubgraphServer[]) => Object.fromEntries(servers.map((server) => [server.name, server.feed.stats()]));

type Log = (message: string) => void;

/**
 * Starts what the configuration asks for (architecture.md, "Topology"): everything in one process on
 * one database (embedded), only the gateway calling subgraphs over HTTP, or one subgraph over HTTP.
 * The same code runs each way; only the configuration differs.
 */
export async function startSystem(config: Config, log: Log = console.log): Promise<RunningSystem> {
  if (config.serve === 'gateway') return startGateway(config);
  const served = config.serve === 'embedded' ? subgraphs : subgraphs.filter((subgraph) => subgraph.name === config.serve);
  if (served.length === 0) {
    throw new ConfigError(`SERVE=${config.serve}: not embedded, gateway or a subgraph (${subgraphs.map((subgraph) => subgraph.name).join(', ')})`);
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { servers, stopConsumers } = await prepareSubgraphs(database, served, config, log);
    const stopServers = servers.map((server) => async () => void (await Promise.all([server.feed.close(), server.server.stop()])));
    if (config.serve !== 'embedded') {
      const server = servers[0]!;
      const listening = await listen(graphqlHandler(server.server, server.contextFor), config.host, config.port);
      // The gateway's upstream subscriptions, over graphql-ws on the same port and path.
      const sockets = serveWebSocket(listening.server, subgraphSubscriptions(server));
      return {
        url: listening.url,
        serve: config.serve,
        database,
        stats: () => ({ feeds: feedStats(servers) }),
        close: closing(sockets.close, listening.close, ...stopServers, stopConsumers, () => database.close()),
      };
    }
    const sources = new Map<string, SubgraphSource>(servers.map((server) => [server.name, { kind: 'in-process', server }]));
    const gateway = await serveGateway(config, await readSupergraph(), sources);
    return {
      url: gateway.url,
      serve: 'embedded',
      database,
      stats: () => ({ gateway: gateway.stats(), feeds: feedStats(servers) }),
      close: closing(gateway.close, ...stopServers, stopConsumers, () => database.close()),
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

/** How long a starting process waits for its consumers to take in what their streams hold. */
const startupWaitMs = 60_000;

interface Prepared {
  servers: SubgraphServer[];
  stopConsumers(): Promise<void>;
}

/**
 * Migrates, seeds and starts the consumers of the served subgraphs, in that order over all of them:
 * a consumer reads another subgraph's stream, which exists once that subgraph has migrated and seeded.
 * Consumers catch up before the process serves, so that it answers from current state.
 */
async function prepareSubgraphs(database: Database, served: readonly Subgraph[], config: Config, log: Log): Promise<Prepared> {
  // The kernel's own tables first: the audit log every subgraph writes to.
  for (const name of [...kernelMigrations, ...served.map((subgraph) => subgraph.name)]) {
    const { applied } = await migrate(database, name);
    if (applied.length) log(`${name}: applied migrations ${applied.join(', ')}`);
  }
  if (config.seed) {
    for (const subgraph of served) await subgraph.seed?.(database, (message) => log(`${subgraph.name}: ${message}`));
  }
  const loops: { stop(): Promise<void> }[] = [];
  for (const subgraph of served) {
    for (const consumer of subgraph.consumers ?? []) {
      const options = { ...consumer, cursorSchema: subgraph.name };
      const complete = await catchUpWithCommitted(database.db, options, startupWaitMs).catch((error: unknown) => {
        log(`${subgraph.name}: ${consumer.consumer} could not catch up with ${consumer.stream} (${(error as Error).message}); retrying in the background`);
        return true;
      });
      if (!complete) log(`${subgraph.name}: ${consumer.consumer} is still behind ${consumer.stream} after ${startupWaitMs / 1000} s (an open transaction holds events back); catching up in the background`);
      const loop = startConsumer(database.db, options);
      // appendEvents notifies `outbox_<stream>` at commit: a new event wakes the consumer at once.
      const unlisten = await database.listen(`outbox_${consumer.stream}`, loop.wake);
      loops.push({ stop: async () => void (await Promise.all([unlisten(), loop.stop()])) });
    }
  }
  const servers: SubgraphServer[] = [];
  for (const subgraph of served) {
    const serverLog = (message: string) => log(`${subgraph.name}: ${message}`);
    servers.push(await createSubgraphServer(subgraph, { database, viewerSecret: config.viewerSecret, production: config.production, log: serverLog }));
  }
  return { servers, stopConsumers: async () => void (await Promise.all(loops.map((loop) => loop.stop()))) };
}

async function startGateway(config: Config): Promise<RunningSystem> {
  const supergraphSdl = await readSupergraph();
  const names = Supergraph.build(supergraphSdl).subgraphs().names();
  const missing = names.filter((name) => !config.subgraphUrls.has(name));
  if (missing.length) throw new ConfigError(`SUBGRAPH_URLS has no URL for ${missing.join(', ')}`);
  const sources = new Map<string, SubgraphSource>(names.map((name) => [name, { kind: 'remote', url: config.subgraphUrls.get(name)! }]));
  const gateway = await serveGateway(config, supergraphSdl, sources);
  return { url: gateway.url, serve: 'gateway', database: undefined, stats: () => ({ gateway: gateway.stats(), feeds: {} }), close: gateway.close };
}

/**
 * The gateway over `sources`, listening as configured (with TLS and trusted documents when asked),
 * over HTTP and, on the same port and path, over WebSocket.
 */
async function serveGateway(
  config: Config,
  supergraphSdl: string,
  sources: Map<string, SubgraphSource>,
): Promise<{ url: string; stats(): { subscribers: number; upstreams: number }; close(): Promise<void> }> {
  const tls = await readTls(config);
  const trusted = trustedFor(config);
  const gateway = await createGateway({ ...config, supergraphSdl, sources, clientCertificates: tls !== undefined, trustedDocuments: trusted, subscriberQueue: config.subscriptions.queue });
  const pages = { build: await loadWebBuild(), explorer: config.explorer };
  const listening = await listen(servingWebPages(pages, graphqlHandler(gateway.server, gateway.contextFor)), config.host, config.port, tls);
  const sockets = serveWebSocket(
    listening.server,
    gatewaySubscriptions(gateway, { production: config.production, limits: defaultLimits, subscriptions: config.subscriptions, trustedDocuments: trusted }),
  );
  // Sockets first: their subscribers end, and with them the upstream subscriptions.
  return { url: listening.url, stats: () => gateway.subscriptions.stats(), close: closing(sockets.close, listening.close, gateway.close) };
}

/** The gateway's TLS material, read once at start; a missing file stops the start with its path. */
async function readTls(config: Config): Promise<TlsOptions | undefined> {
  if (!config.tls) return undefined;
  const read = (file: string, variable: string) =>
    readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`${variable}: cannot read ${file} (${error.code})`);
    });
  return { cert: await read(config.tls.certFile, 'TLS_CERT'), key: await read(config.tls.keyFile, 'TLS_KEY'), clientCa: await read(config.tls.clientCaFile, 'TLS_CLIENT_CA') };
}

/** With TRUSTED_DOCUMENTS=strict, the registered operations the gateway will run. */
function trustedFor(config: Config): Map<string, string> | undefined {
  return config.trustedDocumentsOnly ? trustedDocuments(readOperations(path.join(schemaFolder, 'operations'))) : undefined;
}

async function readSupergraph(): Promise<string> {
  return readFile(path.join(schemaFolder, 'supergraph.graphql'), 'utf8');
}

/** Runs each step of a shutdown in order, even when one fails, and reports the first failure. */
function closing(...steps: (() => Promise<void>)[]): () => Promise<void> {
  return async () => {
    const failures: unknown[] = [];
    for (const step of steps) await step().catch((error: unknown) => failures.push(error));
    if (failures.length) throw failures[0];
  };
}
