import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { ConfigError, type Config } from '../kernel/config.ts';
import { openDatabase, type Database, type Db } from '../kernel/db.ts';
import { graphqlHandler, listen, route, type Handler, type Listening, type TlsOptions } from '../kernel/http.ts';
import { serveWebSocket, subgraphSubscriptions } from '../kernel/websocket.ts';
import { catchUpWithCommitted, consumerLag, startConsumer, type ConsumerOptions } from '../kernel/events.ts';
import { startTask } from '../kernel/tasks.ts';
import type { Leases } from '../kernel/leases.ts';
import { causeOf, healthHandler, NotReady, pingDatabase, pingSubgraph, Readiness, readinessHandler, startingHandler, type Check } from '../kernel/health.ts';
import { isOutage } from '../kernel/errors.ts';
import { auditLogExposure } from '../kernel/audit.ts';
import { createLogger, type Logger } from '../kernel/logging.ts';
import { Backoff, retry } from '../kernel/retry.ts';
import { Metrics, metricsHandler, type Readings } from '../kernel/metrics.ts';
import { kernelMigrations, migrate, pendingMigrations } from '../kernel/migrations.ts';
import { startTracing, tracedHandler } from '../kernel/tracing.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createSubgraphServer, schemaFolder, type Subgraph, type SubgraphServer } from '../kernel/subgraph.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { readOperations } from '../gateway/composition.ts';
import { createGateway, type SubgraphSource } from '../gateway/gateway.ts';
import { defaultLimits } from '../gateway/limits.ts';
import { gatewaySubscriptions } from '../gateway/websocket.ts';
import { loadWebBuild, servingWebPages } from '../gateway/web.ts';
import { trustedDocuments } from '../gateway/trusted.ts';
import { apiSchemaPath, servingApiSchema } from '../gateway/apiSchema.ts';

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

export interface SystemOptions {
  /** Where the log goes. @default JSON lines on standard output, from LOG_LEVEL up */
  logger?: Logger;
  /** Spans go here rather than where OTEL_TRACES_EXPORTER says: tests pass an in-memory exporter. */
  spanExporter?: SpanExporter;
}

const feedStats = (servers: SubgraphServer[]) => Object.fromEntries(servers.map((server) => [server.name, server.feed.stats()]));

/** What the process has started so far, for /readyz and /metrics. */
type CursorOf = Pick<ConsumerOptions, 'stream' | 'consumer' | 'cursorSchema'>;

interface Progress {
  phase: string;
  database?: Database;
  /** Why the database could not be opened, while the process waits for it. */
  databaseUnreachable?: string;
  servers: SubgraphServer[];
  consumers: CursorOf[];
  /** Which consumers and tasks this replica runs now, and which it stands by for. */
  leases?: Leases;
  gateway?: ServedGateway;
  serving: Handler | undefined;
}

/**
 * Starts what the configuration asks for (docs/architecture.md, "Topology"): everything in one process on
 * one database (embedded), only the gateway calling subgraphs over HTTP, or one subgraph over HTTP.
 * The same code runs each way; only the configuration differs. It listens first, so that /healthz
 * and /readyz answer while it migrates, seeds and catches up; /graphql answers UNAVAILABLE until then.
 */
export async function startSystem(config: Config, options: SystemOptions = {}): Promise<RunningSystem> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const served = config.serve === 'embedded' ? subgraphs : subgraphs.filter((subgraph) => subgraph.name === config.serve);
  if (config.serve !== 'gateway' && served.length === 0) {
    throw new ConfigError(`SERVE=${config.serve}: not embedded, gateway or a subgraph (${subgraphs.map((subgraph) => subgraph.name).join(', ')})`);
  }
  const progress: Progress = { phase: 'opening the database', servers: [], consumers: [], serving: undefined };
  const metrics = new Metrics();
  metrics.readFrom(() => readings(progress, logger));
  const readiness = new Readiness(checksFor(config, served, progress));
  const tls = config.serve === 'embedded' || config.serve === 'gateway' ? await readTls(config) : undefined;
  const graphql: Handler = (request, response) => (progress.serving ?? startingHandler)(request, response);
  const probes = {
    '/healthz': healthHandler,
    '/readyz': readinessHandler(readiness, () => leaseReport(progress)),
    '/metrics': metricsHandler(metrics),
  };
  const listening = await listen(route(probes, graphql), config.host, config.port, logger, tls);
  const tracing = startTracing(config.traces, options.spanExporter);
  // Shut down in this order: sockets first (their subscribers end, and with them the upstreams),
  // then HTTP, the gateway, the subgraphs and their consumers, the database.
  const steps: Partial<Record<'sockets' | 'gateway' | 'database', () => Promise<void>>> & { subgraphs: (() => Promise<void>)[] } = { subgraphs: [] };
  const close = () =>
    closing(...[steps.sockets, listening.close, steps.gateway, ...steps.subgraphs, steps.database, tracing.close].filter((step) => step !== undefined))();
  try {
    if (config.serve === 'gateway') {
      progress.phase = 'loading the supergraph';
      const gateway = await startGateway(config, listening, { logger, metrics });
      Object.assign(steps, { sockets: gateway.closeSockets, gateway: gateway.close });
      progress.gateway = gateway;
      progress.serving = tracedHandler(gateway.handler);
      return { url: listening.url, serve: 'gateway', database: undefined, stats: () => ({ gateway: gateway.stats(), feeds: {} }), close };
    }
    const { database, servers, stopConsumers, consumers, leases } = await prepareOnceReachable(served, config, { logger, metrics }, progress);
    steps.database = () => database.close();
    steps.subgraphs.push(...servers.map((server) => async () => void (await Promise.all([server.feed.close(), server.server.stop()]))), stopConsumers);
    progress.servers = servers;
    progress.consumers = consumers;
    progress.leases = leases;
    if (config.serve !== 'embedded') {
      const server = servers[0]!;
      // The gateway's upstream subscriptions, over graphql-ws on the same port and path.
      const sockets = serveWebSocket(listening.server, subgraphSubscriptions(server), config.subscriptions.keepAliveMs);
      steps.sockets = sockets.close;
      progress.serving = graphqlHandler(server.server, server.contextFor, { timeoutMs: config.timeouts.requestMs, logger });
      return { url: listening.url, serve: config.serve, database, stats: () => ({ feeds: feedStats(servers) }), close };
    }
    progress.phase = 'starting the gateway';
    const sources = new Map<string, SubgraphSource>(servers.map((server) => [server.name, { kind: 'in-process', server }]));
    const gateway = await serveGateway(config, await readSupergraph(), sources, listening, tls !== undefined, { logger, metrics }, database.db);
    Object.assign(steps, { sockets: gateway.closeSockets, gateway: gateway.close });
    progress.gateway = gateway;
    progress.serving = tracedHandler(gateway.handler);
    return { url: listening.url, serve: 'embedded', database, stats: () => ({ gateway: gateway.stats(), feeds: feedStats(servers) }), close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * What /readyz asks of this process: the database answers and every migration of what it serves is
 * applied (where it has a database), the supergraph is loaded (where it runs the gateway), and it
 * has finished starting (seeded, consumers caught up) and serves /graphql.
 */
function checksFor(config: Config, served: readonly Subgraph[], progress: Progress): Record<string, Check> {
  const checks: Record<string, Check> = {};
  if (config.serve !== 'gateway') {
    const names = [...kernelMigrations, ...served.map((subgraph) => subgraph.name)];
    checks.database = async () => {
      if (!progress.database && progress.databaseUnreachable) throw new NotReady(`unreachable: ${progress.databaseUnreachable}`);
      await pingDatabase(progress.database);
    };
    checks.migrations = async () => {
      if (!progress.database) throw new NotReady('the database is not open yet');
      const pending = await pendingMigrations(progress.database, names).catch((error: Error) => {
        throw new NotReady(`cannot be read: ${error.message}`);
      });
      if (pending.length) throw new NotReady(`not applied: ${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ` and ${pending.length - 3} more` : ''}`);
    };
  }
  if (config.serve === 'gateway' || config.serve === 'embedded') {
    checks.supergraph = async () => {
      if (!progress.gateway) throw new NotReady('not loaded yet');
    };
  }
  // Each subgraph of a gateway in a process of its own, by name: what it cannot reach now.
  if (config.serve === 'gateway') for (const [name, url] of config.subgraphUrls) checks[name] = () => pingSubgraph(url);
  checks.started = async () => {
    if (!progress.serving) throw new NotReady(`still starting: ${progress.phase}`);
  };
  return checks;
}

/** What a scrape of /metrics reads: open subscriptions, events delivered, and each consumer's lag. */
async function readings(progress: Progress, logger: Logger): Promise<Readings> {
  const { gateway, servers, database } = progress;
  const lag = database
    ? await Promise.all(
        progress.consumers.map((consumer) =>
          consumerLag(database.db, consumer).then(
            (found) => [{ consumer: consumer.consumer, stream: consumer.stream, ...found }],
            (error: Error) => (logger.warn({ consumer: consumer.consumer, stream: consumer.stream }, `consumer lag not read: ${error.message}`), []),
          ),
        ),
      )
    : [];
  return {
    subscriptions: [
      ...(gateway ? [{ service: 'gateway', open: gateway.stats().subscribers }] : []),
      ...servers.map((server) => ({ service: server.name, open: server.feed.stats().subscriptions })),
    ],
    upstreams: gateway?.stats().upstreams,
    delivered: [
      ...[...(gateway?.delivered ?? [])].map(([stream, events]) => ({ service: 'gateway', stream, events })),
      ...servers.flatMap((server) => [...server.feed.delivered].map(([stream, events]) => ({ service: server.name, stream, events }))),
    ],
    lag: lag.flat(),
    leases: progress.leases?.list() ?? [],
  };
}

/**
 * Opens the database and prepares the served subgraphs on it (prepareSubgraphs), and does so again,
 * waiting longer each time up to 10 s, while the database is out of reach (isOutage: refused, reset,
 * not answering in time): a process started before its database, or while it restarts, waits for
 * it and serves once it comes, its /readyz naming the database meanwhile. Anything else (a wrong
 * password, a database that does not exist, a failed migration) ends the start.
 */
async function prepareOnceReachable(
  served: readonly Subgraph[],
  config: Config,
  telemetry: Telemetry,
  progress: Progress,
): Promise<Prepared & { database: Database }> {
  const prepare = async () => {
    progress.phase = 'opening the database';
    let database: Database | undefined;
    try {
      database = await openDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        timeouts: config.timeouts,
        log: (message) => telemetry.logger.warn(message),
      });
      progress.database = database;
      progress.databaseUnreachable = undefined;
      return { database, ...(await prepareSubgraphs(database, served, config, telemetry, progress)) };
    } catch (error) {
      await database?.close().catch(() => undefined);
      throw error;
    }
  };
  const prepared = await retry(prepare, {
    waits: new Backoff(250, 10_000),
    retryable: isOutage,
    onRetry: (error, _, waitMs) => {
      progress.database = undefined;
      progress.databaseUnreachable = causeOf(error);
      telemetry.logger.warn(`the database cannot be reached (${progress.databaseUnreachable}) while ${progress.phase}; trying again in ${waitMs / 1000} s`);
      progress.phase = 'waiting for the database';
    },
  });
  // With neither a deadline nor a signal, it ends only with what it prepared, or throws what is not an outage.
  if (prepared.kind !== 'done') throw new Error(`stopped waiting for the database (${prepared.kind})`);
  return prepared.value;
}

/** How long a starting process waits for its consumers to take in what their streams hold. */
const startupWaitMs = 60_000;

interface Prepared {
  servers: SubgraphServer[];
  consumers: CursorOf[];
  leases: Leases;
  stopConsumers(): Promise<void>;
}

interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

/**
 * Migrates, seeds and starts the consumers and then the tasks of the served subgraphs, in that order over all of them:
 * a consumer reads another subgraph's stream, which exists once that subgraph has migrated and seeded.
 * Consumers catch up before the process serves, so that it answers from current state.
 */
async function prepareSubgraphs(
  database: Database,
  served: readonly Subgraph[],
  config: Config,
  { logger, metrics }: Telemetry,
  progress: Progress,
): Promise<Prepared> {
  await migrateAndSeed(
    database,
    served,
    config.seed,
    (message, about) => logger.info(about, message),
    (phase) => (progress.phase = phase),
  );
  // On the embedded database the one user is a superuser: the triggers are all that hold there (README).
  const exposure = database.kind === 'postgres' ? await auditLogExposure(database.db) : null;
  if (exposure) logger.warn(`the audit log is append-only only by courtesy: ${exposure}; run the register under a role of its own (README, "Audit log")`);
  progress.phase = 'catching up with the streams it reads';
  const loops: { stop(): Promise<void> }[] = [];
  const unlistens: (() => Promise<void>)[] = [];
  const consumers: CursorOf[] = [];
  // Each consumer's loop and each task runs at one replica: the one holding its lease (kernel/leases.ts).
  const leases = database.leases();
  const stopConsumers = async () => {
    await Promise.all([...unlistens.map((unlisten) => unlisten()), ...loops.map((loop) => loop.stop())]);
    await leases.close();
  };
  const leaseFor = (log: Logger, name: string, wake: () => void) =>
    leases.take(name, (held) => {
      log.info(held ? `${name}: this replica runs it now` : `${name}: no longer run here; another replica may take it over`);
      if (held) wake();
    });
  try {
    for (const subgraph of served) {
      const log = logger.child({ subgraph: subgraph.name });
      for (const consumer of subgraph.consumers ?? []) {
        const options = {
          ...consumer,
          cursorSchema: subgraph.name,
          onError: (error: unknown) => log.error({ consumer: consumer.consumer, err: error }, 'consumer failed; retrying'),
        };
        consumers.push(options);
        const complete = await catchUpWithCommitted(database.db, options, startupWaitMs).catch((error: unknown) => {
          log.warn(`${consumer.consumer} could not catch up with ${consumer.stream} (${(error as Error).message}); retrying in the background`);
          return true;
        });
        if (!complete)
          log.warn(
            `${consumer.consumer} is still behind ${consumer.stream} after ${startupWaitMs / 1000} s (an open transaction holds events back); catching up in the background`,
          );
        const loop = startConsumer(database.db, { ...options, lease: leaseFor(log, consumerLeaseName(options), () => loop.wake()) });
        loops.push(loop);
        // appendEvents notifies `outbox_<stream>` at commit: a new event wakes the consumer at once.
        unlistens.push(await database.listen(`outbox_${consumer.stream}`, loop.wake));
      }
      for (const task of subgraph.tasks ?? []) {
        const onError = (error: unknown) => log.error({ task: task.name, err: error }, 'task failed; retrying');
        const loop = startTask(
          database.db,
          task,
          config,
          onError,
          leaseFor(log, `${subgraph.name}/task/${task.name}`, () => loop.wake()),
        );
        loops.push(loop);
        for (const channel of task.wakeOn ?? []) unlistens.push(await database.listen(channel, loop.wake));
      }
    }
  } catch (error) {
    // The database went away half way (prepareOnceReachable tries again): leave nothing running.
    await stopConsumers().catch(() => undefined);
    throw error;
  }
  const servers: SubgraphServer[] = [];
  for (const subgraph of served) {
    servers.push(
      await createSubgraphServer(subgraph, {
        database,
        viewerSecret: config.viewerSecret,
        production: config.production,
        eventHoldMs: config.subscriptions.holdMs,
        logger,
        metrics,
      }),
    );
  }
  return { servers, consumers, leases, stopConsumers };
}

/** For /readyz: which consumers and tasks this replica runs (`active`), and which it stands by for (`standby`). */
function leaseReport(progress: Progress): { leases?: Record<string, 'active' | 'standby'> } {
  const leases = progress.leases?.list();
  return leases?.length ? { leases: Object.fromEntries(leases.map(({ name, held }) => [name, held ? 'active' : 'standby'])) } : {};
}

/** A consumer's lease, as /metrics and /readyz name it: `<schema>/<consumer>/<stream>`. */
const consumerLeaseName = (consumer: CursorOf) => `${consumer.cursorSchema}/${consumer.consumer}/${consumer.stream}`;

/**
 * Migrates the kernel's tables and the subgraphs', then (with `seed`) runs each subgraph's seed, in
 * that order; `phase` hears which of the two it is in.
 */
export async function migrateAndSeed(
  database: Database,
  served: readonly Subgraph[],
  seed: boolean,
  log: (message: string, about: { migrations: string } | { subgraph: string }) => void,
  phase: (name: 'migrating' | 'seeding') => void = () => undefined,
): Promise<void> {
  phase('migrating');
  // The kernel's own tables first: the audit log every subgraph writes to.
  for (const name of [...kernelMigrations, ...served.map((subgraph) => subgraph.name)]) {
    const { applied } = await migrate(database, name);
    if (applied.length) log(`applied migrations ${applied.join(', ')}`, { migrations: name });
  }
  if (!seed) return;
  phase('seeding');
  for (const subgraph of served) await subgraph.seed?.(database, (message) => log(message, { subgraph: subgraph.name }));
}

async function startGateway(config: Config, listening: Listening, telemetry: Telemetry): Promise<ServedGateway> {
  const supergraphSdl = await readSupergraph();
  const names = Supergraph.build(supergraphSdl).subgraphs().names();
  const missing = names.filter((name) => !config.subgraphUrls.has(name));
  if (missing.length) throw new ConfigError(`SUBGRAPH_URLS has no URL for ${missing.join(', ')}`);
  const sources = new Map<string, SubgraphSource>(names.map((name) => [name, { kind: 'remote', url: config.subgraphUrls.get(name)! }]));
  const streams = await streamsForCache(config, telemetry.logger);
  const served = await serveGateway(config, supergraphSdl, sources, listening, config.tls !== undefined, telemetry, streams?.db);
  return streams ? { ...served, close: () => closing(served.close, () => streams.close())() } : served;
}

/**
 * A gateway in a process of its own follows the streams for its entity cache (gateway/cache.ts) on
 * DATABASE_URL. It serves without a database too: then, or when the database cannot be reached at
 * start, without the cache, and says so.
 */
async function streamsForCache(config: Config, logger: Logger): Promise<Database | undefined> {
  if (config.gatewayCacheEntries === 0) return undefined;
  if (!config.databaseUrl) {
    logger.info('no DATABASE_URL: the gateway runs without its entity cache, which follows the streams there');
    return undefined;
  }
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.timeouts, log: (message) => logger.warn(message) });
  } catch (error) {
    logger.warn({ err: error }, 'the database cannot be reached: the gateway runs without its entity cache');
    return undefined;
  }
}

interface ServedGateway {
  handler: Handler;
  delivered: ReadonlyMap<string, number>;
  stats(): { subscribers: number; upstreams: number };
  /** Ends the WebSocket connections: first, so that their subscribers end, and with them the upstreams. */
  closeSockets(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The gateway over `sources` (with TLS and trusted documents when asked), over HTTP and, on the same
 * port and path, over WebSocket.
 */
async function serveGateway(
  config: Config,
  supergraphSdl: string,
  sources: Map<string, SubgraphSource>,
  listening: Listening,
  clientCertificates: boolean,
  telemetry: Telemetry,
  streams: Db | undefined,
): Promise<ServedGateway> {
  const trusted = trustedFor(config);
  const gateway = await createGateway({
    ...config,
    supergraphSdl,
    sources,
    clientCertificates,
    trustedDocuments: trusted,
    subscriberQueue: config.subscriptions.queue,
    subgraphTimeoutMs: config.timeouts.subgraphMs,
    eventHoldMs: config.subscriptions.holdMs,
    entityCache: streams && config.gatewayCacheEntries > 0 ? { db: streams, entries: config.gatewayCacheEntries } : undefined,
    ...telemetry,
  });
  const pages = { build: await loadWebBuild(), explorer: config.explorer };
  const sockets = serveWebSocket(
    listening.server,
    gatewaySubscriptions(gateway, { production: config.production, limits: defaultLimits, subscriptions: config.subscriptions, trustedDocuments: trusted }),
    config.subscriptions.keepAliveMs,
  );
  const graphql = graphqlHandler(gateway.server, gateway.contextFor, { timeoutMs: config.timeouts.requestMs, logger: telemetry.logger });
  return {
    handler: route({ [apiSchemaPath]: servingApiSchema(supergraphSdl, gateway) }, servingWebPages(pages, graphql)),
    delivered: gateway.subscriptions.delivered,
    stats: () => gateway.subscriptions.stats(),
    closeSockets: sockets.close,
    close: gateway.close,
  };
}

/** The gateway's TLS material, read once at start; a missing file stops the start with its path. */
async function readTls(config: Config): Promise<TlsOptions | undefined> {
  if (!config.tls) return undefined;
  const read = (file: string, variable: string) =>
    readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`${variable}: cannot read ${file} (${error.code})`);
    });
  return {
    cert: await read(config.tls.certFile, 'TLS_CERT'),
    key: await read(config.tls.keyFile, 'TLS_KEY'),
    clientCa: await read(config.tls.clientCaFile, 'TLS_CLIENT_CA'),
  };
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
