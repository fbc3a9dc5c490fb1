import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root, so that files are found wherever a command is started from. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Development-only secrets: anyone can read them here, so production mode refuses to start with them.
const developmentTokenSecret = 'register-graph development token secret: never use in production';
const developmentViewerSecret = 'register-graph development viewer secret: never use in production';

/** A duration as the configuration and `npm run token` write it: a whole number of s, m, h or d. */
const durationText = /^([1-9]\d{0,6})([smhd])$/;
const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** The seconds of a duration like `60s`, `30m`, `12h` or `7d`; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = durationText.exec(text);
  return match ? Number(match[1]) * unitSeconds[match[2] as keyof typeof unitSeconds] : undefined;
}

/** Seconds written in the largest unit that divides them: 86400 as `1d`, 90 as `90s`. */
export function formatDuration(seconds: number): string {
  const unit = (['d', 'h', 'm'] as const).find((candidate) => seconds % unitSeconds[candidate] === 0);
  return unit ? `${seconds / unitSeconds[unit]}${unit}` : `${seconds}s`;
}

/** A duration variable: its seconds, between `min` and `max` (both durations). */
function duration(fallback: string, min: string, max: string) {
  const [low, high] = [parseDuration(min)!, parseDuration(max)!];
  return z
    .string()
    .default(fallback)
    .transform((text, context) => {
      const seconds = parseDuration(text);
      if (seconds === undefined) context.addIssue({ code: 'custom', message: 'must be a duration like 60s, 30m, 12h or 7d' });
      else if (seconds < low || seconds > high) context.addIssue({ code: 'custom', message: `must be between ${min} and ${max}` });
      return seconds ?? 0;
    });
}

/** pino's levels, and `silent`. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Every environment variable the system reads, with its default and meaning. Nothing else in the
 * code reads `process.env`; the README's configuration table is this list.
 */
const environment = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** PostgreSQL connection string; without it the embedded PGlite database in DATA_DIR is used. */
    DATABASE_URL: z.string().url().startsWith('postgres').optional(),
    /** Folder of the embedded PGlite database (created on first start); `memory://` keeps it in memory. */
    DATA_DIR: z
      .string()
      .min(1)
      .default(path.join(projectRoot, '.data', 'pglite')),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number({ error: 'must be a port number, 0 to 65535' }).int().min(0).max(65535).default(4000),
    /** What this process serves: `embedded` (gateway and every subgraph), `gateway`, or one subgraph's name. */
    SERVE: z
      .string()
      .regex(/^[a-z]+$/, 'a single word: embedded, gateway or a subgraph name')
      .default('embedded'),
    /** For SERVE=gateway: where each subgraph listens, as `name=url,name=url`. */
    SUBGRAPH_URLS: z.string().optional(),
    /** Signs and verifies the bearer tokens that `npm run token` makes. */
    TOKEN_SECRET: z.string().min(32, 'at least 32 characters').default(developmentTokenSecret),
    /** Shared by the gateway and the subgraphs: signs the viewer the gateway passes on. */
    VIEWER_SECRET: z.string().min(32, 'at least 32 characters').default(developmentViewerSecret),
    // How long the viewer the gateway signs for a subgraph is valid (kernel/viewer.ts): a request's
    // fetches, or an upstream subscription until the gateway renews it. Short, so a captured one is soon worthless.
    VIEWER_ASSERTION_LIFETIME: duration('60s', '2s', '1h'),
    // The longest a bearer token may live from its issue (`exp` - `iat`); one without `exp` is refused.
    TOKEN_MAX_LIFETIME: duration('24h', '1m', '30d'),
    /** Seed the DUO school list into an empty institutions register on start (`false` to skip). */
    SEED: z.enum(['true', 'false']).default('true'),
    // Requests per second per viewer at the gateway, with bursts of twice that; 0 turns it off.
    RATE_LIMIT: z.coerce.number({ error: 'must be a number of requests per second' }).min(0).default(100),
    // Where the gateway replicas share the rate limit (gateway/rateLimit.ts); unset: each process its own.
    REDIS_URL: z
      .string()
      .url()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .optional(),
    // The gateway's entity cache (README, "The entity cache"): entities held per class at most; 0 turns
    // it off. A gateway in a process of its own needs DATABASE_URL for it: it follows the streams there.
    GATEWAY_CACHE_ENTRIES: z.coerce.number({ error: 'must be a whole number of entities' }).int().min(0).default(100_000),
    // Two-sided TLS at the gateway: PEM files of its certificate and key, and of the CAs whose client
    // certificates it trusts (vendors are known by them). All three or none.
    TLS_CERT: z.string().optional(),
    TLS_KEY: z.string().optional(),
    TLS_CLIENT_CA: z.string().optional(),
    // `strict`: the gateway runs only the operations registered in schema/operations.
    TRUSTED_DOCUMENTS: z.enum(['off', 'strict']).default('off'),
    // Subscriptions over WebSocket: open at once per connection and per viewer, and the results a
    // subscriber may leave unread before it is disconnected (it resumes from its cursor).
    SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number({ error: 'must be a whole number' }).int().min(1).default(25),
    SUBSCRIPTIONS_PER_VIEWER: z.coerce.number({ error: 'must be a whole number' }).int().min(1).default(100),
    SUBSCRIBER_QUEUE: z.coerce.number({ error: 'must be a whole number' }).int().min(1).default(1000),
    // Timeouts, in seconds (README, "Timeouts and outages"): a request as a whole, at the gateway and
    // at each subgraph; the gateway's wait for one subgraph fetch; and on PostgreSQL, getting a
    // connection, one statement, and a transaction idle between its statements.
    REQUEST_TIMEOUT: seconds(30),
    SUBGRAPH_TIMEOUT: seconds(20),
    DATABASE_CONNECT_TIMEOUT: seconds(5),
    DATABASE_STATEMENT_TIMEOUT: seconds(30),
    DATABASE_IDLE_TRANSACTION_TIMEOUT: seconds(60),
    // How long an event is held (tried again) while a part of the register it needs is out, before
    // its subscriptions end with 4503 naming the cursor to resume from; never is it skipped.
    EVENT_HOLD_SECONDS: seconds(60),
    // WebSocket keep-alive: a ping this often; a connection that has not answered by the next is let go.
    KEEPALIVE_SECONDS: seconds(12),
    // The log's threshold: one JSON line per request at `info`, each subgraph operation at `debug`.
    LOG_LEVEL: z.enum(logLevels).default('info'),
    // OpenTelemetry traces, by the names the OpenTelemetry specification gives these settings.
    OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'an http(s):// URL')
      .default('http://localhost:4318/v1/traces'),
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    // GraphiQL for browsers at the GraphQL URL; unset: on in development, off in production.
    EXPLORER: z.enum(['true', 'false']).optional(),
    // Absolute absence (README, "Leerplicht"): a resident of compulsory school age without school or
    // exemption for more than this many school days is signalled to its municipality. 20, four weeks
    // of school days: a school has four weeks to register an enrollment (Besluit bekostiging WPO 2022
    // art 7), so sooner the register would signal a child whose new school has yet to register it.
    LEERPLICHT_SIGNAL_SCHOOL_DAYS: z.coerce.number({ error: 'must be a whole number of school days' }).int().min(0).max(200).default(20),
  })
  .superRefine(
    (env, context) => {
      if (env.SERVE !== 'embedded' && env.SERVE !== 'gateway' && !env.DATABASE_URL) {
        context.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: `SERVE=${env.SERVE} runs one subgraph in a process of its own, which needs PostgreSQL: the embedded database allows one process only`,
        });
      }
      if (env.NODE_ENV === 'production') {
        for (const [key, development] of [
          ['TOKEN_SECRET', developmentTokenSecret],
          ['VIEWER_SECRET', developmentViewerSecret],
        ] as const) {
          if (env[key] === development) context.addIssue({ code: 'custom', path: [key], message: 'must be set in production' });
        }
      }
      const tls = [env.TLS_CERT, env.TLS_KEY, env.TLS_CLIENT_CA];
      if (tls.some(Boolean) && !tls.every(Boolean)) {
        context.addIssue({ code: 'custom', path: ['TLS_CERT'], message: 'TLS needs TLS_CERT, TLS_KEY and TLS_CLIENT_CA together' });
      }
      if (env.SERVE === 'gateway' && !env.SUBGRAPH_URLS) {
        context.addIssue({ code: 'custom', path: ['SUBGRAPH_URLS'], message: 'SERVE=gateway needs the URL of every subgraph' });
      }
      for (const entry of subgraphUrlEntries(env.SUBGRAPH_URLS).filter((entry) => !subgraphUrl.test(entry))) {
        context.addIssue({ code: 'custom', path: ['SUBGRAPH_URLS'], message: `"${entry}" is not name=http(s)://host:port/path` });
      }
      // Zod skips refinements once a field has failed; run anyway, so that one error lists every problem.
    },
    { when: () => true },
  );

/** A duration in seconds, above 0 (fractions allowed), and at most a day. */
function seconds(fallback: number) {
  return z.coerce.number({ error: 'must be a number of seconds' }).positive('must be above 0').max(86_400, 'at most a day (86400)').default(fallback);
}

/** Where spans go: nowhere (no span is made), the console, or an OTLP/HTTP collector. */
export interface TraceSettings {
  exporter: 'none' | 'console' | 'otlp';
  /** The collector's OTLP/HTTP traces URL, for `otlp`. */
  endpoint: string;
  /** The resource's `service.name`. */
  serviceName: string;
}

/** How long things may take, in milliseconds (README, "Timeouts and outages"). */
export interface Timeouts {
  /** A request as a whole, at the gateway and at each subgraph: then UNAVAILABLE (HTTP 503). */
  requestMs: number;
  /** The gateway's wait for one subgraph fetch: then that part of the answer is UNAVAILABLE. */
  subgraphMs: number;
  /** PostgreSQL: a new connection, or a free one from the pool. */
  connectMs: number;
  /** PostgreSQL's statement_timeout; long work sets its own for its transaction. */
  statementMs: number;
  /** PostgreSQL's idle_in_transaction_session_timeout. */
  idleInTransactionMs: number;
}

export interface Config {
  production: boolean;
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  serve: string;
  subgraphUrls: Map<string, string>;
  tokenSecret: string;
  viewerSecret: string;
  /** Seconds a signed viewer for a subgraph is valid. */
  viewerAssertionLifetime: number;
  /** Seconds a bearer token may live at most. */
  tokenMaxLifetime: number;
  seed: boolean;
  rateLimit: number;
  /** Redis, where the gateway replicas share the rate limit; undefined: each process limits on its own. */
  redisUrl: string | undefined;
  /** Entities the gateway's cache holds per class at most; 0: no cache. */
  gatewayCacheEntries: number;
  /** Paths of the PEM files for two-sided TLS at the gateway; undefined: plain HTTP. */
  tls: { certFile: string; keyFile: string; clientCaFile: string } | undefined;
  /** Run only registered operations (trusted documents). */
  trustedDocumentsOnly: boolean;
  subscriptions: { perConnection: number; perViewer: number; queue: number; holdMs: number; keepAliveMs: number };
  timeouts: Timeouts;
  logLevel: LogLevel;
  traces: TraceSettings;
  /** Serve the GraphiQL explorer to browsers at the GraphQL URL. */
  explorer: boolean;
  /** The absolute-absence signal: after more than this many school days without school or exemption. */
  leerplicht: { signalSchoolDays: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment once; every problem is listed in one readable error. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const value = parsed.data;
  return {
    production: value.NODE_ENV === 'production',
    databaseUrl: value.DATABASE_URL,
    dataDir: value.DATA_DIR.startsWith('memory://') ? value.DATA_DIR : path.resolve(value.DATA_DIR),
    host: value.HOST,
    port: value.PORT,
    serve: value.SERVE,
    subgraphUrls: parseSubgraphUrls(value.SUBGRAPH_URLS),
    tokenSecret: value.TOKEN_SECRET,
    viewerSecret: value.VIEWER_SECRET,
    viewerAssertionLifetime: value.VIEWER_ASSERTION_LIFETIME,
    tokenMaxLifetime: value.TOKEN_MAX_LIFETIME,
    seed: value.SEED === 'true',
    rateLimit: value.RATE_LIMIT,
    redisUrl: value.REDIS_URL,
    gatewayCacheEntries: value.GATEWAY_CACHE_ENTRIES,
    trustedDocumentsOnly: value.TRUSTED_DOCUMENTS === 'strict',
    subscriptions: {
      perConnection: value.SUBSCRIPTIONS_PER_CONNECTION,
      perViewer: value.SUBSCRIPTIONS_PER_VIEWER,
      queue: value.SUBSCRIBER_QUEUE,
      holdMs: value.EVENT_HOLD_SECONDS * 1000,
      keepAliveMs: value.KEEPALIVE_SECONDS * 1000,
    },
    explorer: value.EXPLORER === undefined ? value.NODE_ENV !== 'production' : value.EXPLORER === 'true',
    leerplicht: { signalSchoolDays: value.LEERPLICHT_SIGNAL_SCHOOL_DAYS },
    tls:
      value.TLS_CERT && value.TLS_KEY && value.TLS_CLIENT_CA
        ? { certFile: value.TLS_CERT, keyFile: value.TLS_KEY, clientCaFile: value.TLS_CLIENT_CA }
        : undefined,
    timeouts: {
      requestMs: Math.round(value.REQUEST_TIMEOUT * 1000),
      subgraphMs: Math.round(value.SUBGRAPH_TIMEOUT * 1000),
      connectMs: Math.round(value.DATABASE_CONNECT_TIMEOUT * 1000),
      statementMs: Math.round(value.DATABASE_STATEMENT_TIMEOUT * 1000),
      idleInTransactionMs: Math.round(value.DATABASE_IDLE_TRANSACTION_TIMEOUT * 1000),
    },
    logLevel: value.LOG_LEVEL,
    traces: {
      exporter: value.OTEL_TRACES_EXPORTER,
      endpoint: value.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
      // Processes of one register are told apart in a trace by their service name.
      serviceName: value.OTEL_SERVICE_NAME ?? (value.SERVE === 'embedded' ? 'register-graph' : `register-graph-${value.SERVE}`),
    },
  };
}

const subgraphUrl = /^([a-z]+)=(https?:\/\/\S+)$/;

function subgraphUrlEntries(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function parseSubgraphUrls(list: string | undefined): Map<string, string> {
  return new Map(
    subgraphUrlEntries(list).map((entry) => {
      const [, name, url] = subgraphUrl.exec(entry)!;
      return [name!, url!];
    }),
  );
}
