/*
 * Prometheus metrics, served at /metrics (prom-client). What requests cost and how they end is
 * counted as each response goes out, on label children looked up once; what is open or behind is
 * read from the running parts only when Prometheus scrapes, so it costs the hot path nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { renderError } from './errors.ts';

/** What one scrape reads from the running parts of the process. */
export interface Readings {
  /** Open subscriptions per part: the gateway's client subscriptions, each subgraph's feed. */
  subscriptions: { service: string; open: number }[];
  /** The gateway's upstream subscriptions to the owning subgraphs. */
  upstreams: number | undefined;
  /** Events delivered to subscriptions since the process started, per part and stream. */
  delivered: { service: string; stream: string; events: number }[];
  /** Per consumer of a stream: how far its cursor is behind the stream's head (kernel/events.ts). */
  lag: { consumer: string; stream: string; events: number; seconds: number }[];
  /** Per consumer or task that runs at one replica: whether this one runs it (kernel/leases.ts). */
  leases: { name: string; held: boolean }[];
}

const nothingRead: Readings = { subscriptions: [], upstreams: undefined, delivered: [], lag: [], leases: [] };

/** Seconds: from a cached single-subgraph read (~1 ms) to a slow count-date request. */
const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One process's metrics: the gateway's and each served subgraph's, told apart by `service`. */
export class Metrics {
  readonly registry = new Registry();
  private readings = nothingRead;
  private read: () => Promise<Readings> = async () => nothingRead;
  private readonly requests: Counter<'service' | 'type'>;
  private readonly errors: Counter<'service' | 'code'>;
  private readonly duration: Histogram<'service' | 'type'>;
  private readonly cacheLookups: Counter<'class' | 'result'>;
  private readonly cacheDrops: Counter<'class' | 'scope'>;
  private cacheSizes: () => { name: string; entries: number }[] = () => [];

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'register_requests_total',
      help: 'GraphQL operations served, by part (gateway or subgraph) and operation type',
      labelNames: ['service', 'type'],
      registers,
    });
    this.errors = new Counter({
      name: 'register_errors_total',
      help: 'Errors answered, by part and extensions.code (kernel/errors.ts)',
      labelNames: ['service', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'register_request_duration_seconds',
      help: 'Time from receiving an operation to sending its answer',
      labelNames: ['service', 'type'],
      buckets: durationBuckets,
      registers,
    });
    // The gateway's entity cache (gateway/cache.ts).
    this.cacheLookups = new Counter({
      name: 'register_gateway_cache_lookups_total',
      help: "Entities the gateway's cache was asked for, by class and result: hit, miss, or bypass (not known to be exact then, so fetched)",
      labelNames: ['class', 'result'],
      registers,
    });
    this.cacheDrops = new Counter({
      name: 'register_gateway_cache_invalidations_total',
      help: "Invalidations of the gateway's cache by an event, by class and scope: one entity, or the whole class",
      labelNames: ['class', 'scope'],
      registers,
    });
    // collect() runs with the gauge as `this`; it reads this Metrics' own counts.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'register_gateway_cache_entries',
      help: "Entities held in the gateway's cache, by class",
      labelNames: ['class'],
      registers,
      collect() {
        this.reset();
        for (const { name, entries } of self.cacheSizes()) this.set({ class: name }, entries);
      },
    });
    new Gauge({
      name: 'register_subscriptions_open',
      help: 'Subscriptions open now: clients at the gateway, upstream subscriptions at each subgraph feed',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const { service, open } of self.readings.subscriptions) this.set({ service }, open);
      },
    });
    new Gauge({
      name: 'register_subscription_upstreams_open',
      help: "The gateway's upstream subscriptions to subgraphs (identical subscriptions share one)",
      registers,
      collect() {
        this.reset();
        if (self.readings.upstreams !== undefined) this.set(self.readings.upstreams);
      },
    });
    new Counter({
      name: 'register_events_delivered_total',
      help: 'Events delivered to subscriptions, by part and stream: to clients at the gateway, to upstream subscriptions at a subgraph',
      labelNames: ['service', 'stream'],
      registers,
      collect() {
        this.reset();
        for (const { service, stream, events } of self.readings.delivered) this.inc({ service, stream }, events);
      },
    });
    new Gauge({
      name: 'register_consumer_lag_events',
      help: "Events in a stream after its consumer's cursor: how far the consumer is behind the stream's head",
      labelNames: ['consumer', 'stream'],
      registers,
      collect() {
        this.reset();
        for (const { consumer, stream, events } of self.readings.lag) this.set({ consumer, stream }, events);
      },
    });
    new Gauge({
      name: 'register_consumer_lag_seconds',
      help: "Age of the oldest event in a stream after its consumer's cursor (0 when it has caught up)",
      labelNames: ['consumer', 'stream'],
      registers,
      collect() {
        this.reset();
        for (const { consumer, stream, seconds } of self.readings.lag) this.set({ consumer, stream }, seconds);
      },
    });
    new Gauge({
      name: 'register_lease_held',
      help: 'Per consumer (<schema>/<consumer>/<stream>) or task (<subgraph>/task/<name>): 1 where this replica runs it, 0 where it stands by',
      labelNames: ['lease'],
      registers,
      collect() {
        this.reset();
        for (const { name, held } of self.readings.leases) this.set({ lease: name }, held ? 1 : 0);
      },
    });
  }

  /** Where a scrape reads what is open and behind; set once the parts are running. */
  readFrom(read: () => Promise<Readings>): void {
    this.read = read;
  }

  /** The text a scrape gets (Prometheus exposition format), and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    this.readings = await this.read();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  countCacheLookups(name: string, result: 'hit' | 'miss' | 'bypass', entities: number): void {
    if (entities > 0) this.cacheLookups.labels(name, result).inc(entities);
  }

  countCacheDrop(name: string, scope: 'entity' | 'class'): void {
    this.cacheDrops.labels(name, scope).inc();
  }

  /** Where a scrape reads the cache's size per class. */
  cacheSizesFrom(read: () => { name: string; entries: number }[]): void {
    this.cacheSizes = read;
  }

  /** A request refused before it became an operation (no valid token, over its rate). */
  countRefusal(service: string, code: string): void {
    this.requests.labels(service, 'unknown').inc();
    this.errors.labels(service, code).inc();
  }

  /** Counts every operation `service` answers: its type, its time, the codes of its errors. */
  plugin<Context extends BaseContext>(service: string): ApolloServerPlugin<Context> {
    const requests = new Map<string, Counter.Internal>();
    const durations = new Map<string, Histogram.Internal<'service' | 'type'>>();
    const errors = new Map<string, Counter.Internal>();
    const child = <T>(children: Map<string, T>, key: string, make: () => T): T => {
      let found = children.get(key);
      if (!found) children.set(key, (found = make()));
      return found;
    };
    return {
      requestDidStart: async () => {
        const started = performance.now();
        return {
          willSendResponse: async ({ operation, errors: thrown }) => {
            const type = operation?.operation ?? 'unknown';
            child(requests, type, () => this.requests.labels(service, type)).inc();
            child(durations, type, () => this.duration.labels(service, type)).observe((performance.now() - started) / 1000);
            for (const error of thrown ?? []) {
              // The code the client gets, as kernel/errors.ts renders it; what is masked is logged elsewhere.
              const code = String(renderError({ message: error.message, extensions: error.extensions }, error, () => undefined).extensions?.code);
              child(errors, code, () => this.errors.labels(service, code)).inc();
            }
          },
        };
      },
    };
  }
}

/** /metrics, in the Prometheus text format. */
export function metricsHandler(metrics: Metrics): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (_request, response) => {
    const { contentType, text } = await metrics.render();
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text);
  };
}
