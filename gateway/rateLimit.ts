import { Redis } from 'ioredis';
import type { Logger } from '../kernel/logging.ts';
import type { Viewer } from '../kernel/viewer.ts';

/**
 * A rate limit per viewer (OWASP GraphQL cheat sheet: rate limiting per user, next to cost limits):
 * a token bucket of `burst` requests, refilled at `perSecond`. A vendor is one viewer whichever school
 * it acts for: the limit protects the register from one vendor's system, not one school's.
 * In one process, RateLimiter; shared by every gateway replica through Redis, SharedRateLimiter.
 */
export interface Limiter {
  /** Takes one request from the viewer's bucket: 0 when allowed, else the whole seconds until one is. */
  take(key: string): Promise<number>;
  /** Resolves once the limiter can count (Redis connected), or gave up waiting for it (then it fails open). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The limiter the configuration asks for: shared through Redis with REDIS_URL, else this process's own. */
export function createLimiter(perSecond: number, redisUrl: string | undefined, logger: Logger): Limiter {
  const local = new RateLimiter(perSecond);
  if (!redisUrl) return { take: async (key) => local.take(key), ready: async () => undefined, close: async () => undefined };
  return new SharedRateLimiter(redisUrl, perSecond, local, logger);
}

/** A token bucket per viewer in this process's memory. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst = perSecond * 2,
    private readonly now = () => performance.now(),
  ) {}

  /** Takes one request from the viewer's bucket: 0 when allowed, else the seconds until one is. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    if (this.buckets.size > 100_000) this.forgetFull(now);
    return Math.ceil((1 - bucket.tokens) / this.perSecond);
  }

  /** Full buckets say nothing a new bucket would not: drop them to bound memory. */
  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}

/**
 * The token bucket in Redis, taken atomically by one script (a script runs whole, with no other command
 * between its steps: https://redis.io/docs/latest/develop/interactive/programmability/eval-intro/) on
 * Redis's own clock (TIME), so that replicas with clocks apart agree. The same arithmetic as
 * RateLimiter; the bucket expires once it would be full again, as a full bucket says nothing.
 */
const takeScript = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return wait`;

/** How long a request waits for Redis before the gateway counts it here instead. */
const redisWaitMs = 250;

/**
 * The rate limit shared by every gateway replica through Redis (README, "The register as a cluster"):
 * a viewer has one bucket however its requests are spread over the replicas.
 *
 * When Redis cannot be reached or does not answer within 250 ms, it fails open to this process's own
 * bucket (RateLimiter), saying so in the log once per outage: a register whose every request is
 * refused while a counter is out would turn a cache's outage into the register's, while the
 * process's own bucket still bounds a viewer to the rate per replica. Failing closed would protect
 * nothing the register keeps: its data is in PostgreSQL, and Redis holds only buckets.
 */
export class SharedRateLimiter implements Limiter {
  private readonly redis: Redis;
  private outage = false;

  constructor(
    url: string,
    private readonly perSecond: number,
    private readonly local: RateLimiter,
    private readonly logger: Logger,
    private readonly burst = perSecond * 2,
  ) {
    // No queue while disconnected and no retry of a command: a request never waits for Redis to return.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: redisWaitMs, connectTimeout: 2000, lazyConnect: false });
    this.redis.defineCommand('takeToken', { numberOfKeys: 1, lua: takeScript });
    this.redis.on('error', (error: Error) => this.failOpen(error));
  }

  /** The first connection, waited for at most 2 s: a gateway starting while Redis is out serves all the same. */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.redis.once('ready', () => (clearTimeout(timer), resolve()));
    });
  }

  async take(key: string): Promise<number> {
    // Not connected: no command is sent (none is queued), the process's own bucket counts at once.
    if (this.redis.status !== 'ready') {
      this.failOpen(new Error(`the connection is ${this.redis.status}`));
      return this.local.take(key);
    }
    try {
      const wait = await (this.redis as Redis & { takeToken(key: string, rate: number, burst: number): Promise<number> }).takeToken(
        `register-graph:rate:${key}`,
        this.perSecond,
        this.burst,
      );
      if (this.outage) {
        this.outage = false;
        this.logger.info({ service: 'gateway' }, 'Redis answers again: the rate limit is shared by the gateway replicas again');
      }
      return Number(wait);
    } catch (error) {
      this.failOpen(error as Error);
      return this.local.take(key);
    }
  }

  private failOpen(error: Error): void {
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(
      { service: 'gateway', err: error },
      `Redis cannot be reached (${error.message}): each gateway replica limits the rate on its own until it answers again`,
    );
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export function rateKey(viewer: Viewer): string {
  switch (viewer.role) {
    case 'VENDOR':
      return `vendor/${viewer.vendorOin}`;
    case 'MUNICIPALITY':
      return `municipality/${viewer.municipality}`;
    case 'BOARD':
      return `board/${viewer.board}`;
    case 'OPERATOR':
      return 'operator';
  }
}
