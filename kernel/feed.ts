/*
 * Subscriptions served from a subgraph's outbox (docs/architecture.md, "Events and subscriptions"): a
 * subscriber first reads every wanted event after its cursor from the table, then takes live events
 * from one reader per stream, the tail, woken by LISTEN/NOTIFY. The table stays the truth, so nothing
 * is lost: a subscriber that falls behind the tail goes back to reading the table from its cursor.
 */
import type { Database } from './db.ts';
import { RegisterError } from './errors.ts';
import type { Viewer } from './viewer.ts';
import { checkCursor, compareCursors, eventsAfter, readBatch, streamStart, type EventFilter, type StoredEvent } from './events.ts';
import { reachOf } from './reach.ts';
import { channel } from './iterators.ts';
import { Backoff, retry } from './retry.ts';

export interface FeedOptions {
  /** Events one read takes from the table. @default 500 */
  batch?: number;
  /** Live events a subscriber may hold unread before it goes back to reading the table. @default 1000 */
  queue?: number;
  /** How often a tail looks without a notification (one can be missed). @default 1000 */
  pollMs?: number;
  log?(message: string): void;
}

export interface FeedRequest extends EventFilter {
  stream: string;
  /** Deliver the events after this cursor first; null: only events from now on. */
  after: string | null;
}

/** A subscription field: `subscribe` gives the events, `resolve` each event's value. */
export interface SubscriptionField<Context> {
  subscribe: (parent: unknown, args: { after?: string | null }, context: Context) => AsyncIterable<StoredEvent>;
  resolve: (event: StoredEvent, args: unknown, context: Context) => unknown;
}

/**
 * A subscription field on a subgraph's own stream, in one shape for every subgraph: the viewer follows
 * the events of the school it acts for or of its municipality (docs/architecture.md, "Identity and
 * access"), the operator every one, each found by the event key `keys` names; anyone else is refused.
 * Each value carries the event's `cursor` and `occurredAt` next to what `resolve` gives.
 */
export function eventSubscription<Context extends { viewer: Viewer; feed: EventFeed }>(options: {
  stream: string;
  types: readonly string[];
  keys: { school?: string; municipality?: string };
  resolve(event: StoredEvent, context: Context): Record<string, unknown> | Promise<Record<string, unknown>>;
}): SubscriptionField<Context> {
  return {
    subscribe: (_, args, context) =>
      context.feed.subscribe({ stream: options.stream, types: options.types, after: args.after ?? null, ...followed(context.viewer, options.keys) }),
    resolve: async (event, _, context) => ({ cursor: event.cursor, occurredAt: event.occurredAt, ...(await options.resolve(event, context)) }),
  };
}

/** The filter of the events a viewer follows: its vestiging's, every vestiging's of its whole school (a BRIN4), or its municipality's. */
function followed(viewer: Viewer, keys: { school?: string; municipality?: string }): Pick<FeedRequest, 'match' | 'prefix'> {
  const reach = reachOf(viewer);
  if (reach.kind === 'all') return {};
  if (reach.kind === 'school' && keys.school)
    return reach.school.length === 4 ? { prefix: { [keys.school]: reach.school } } : { match: { [keys.school]: reach.school } };
  if (reach.kind === 'municipality' && keys.municipality) return { match: { [keys.municipality]: reach.code } };
  const who = keys.school && keys.municipality ? 'a school or a municipality' : keys.municipality ? 'a municipality' : 'a school';
  throw new RegisterError('FORBIDDEN', `Only ${who} (or the operator) follows these events: subscribe as the one they concern`);
}

/** The pair a tail finds a subscriber by: its first match, else its first prefix; none: it wants every event. */
function indexKey(request: FeedRequest): string | undefined {
  const [matched] = Object.entries(request.match ?? {});
  if (matched) return `${matched[0]}=${matched[1]}`;
  const [started] = Object.entries(request.prefix ?? {});
  return started ? `${started[0]}^${started[1]}` : undefined;
}

/** A subscription's events, and where it starts. */
export interface FeedEvents extends AsyncIterableIterator<StoredEvent> {
  /**
   * The cursor every event it delivers comes after: `after`, or without it the place in the stream
   * where it joins the live events, which it then does at once rather than at its first `next()`.
   * Null when it ended before it joined.
   */
  start(): Promise<string | null>;
}

/** One process's subscriptions to its streams. */
export class EventFeed {
  private readonly tails = new Map<string, Tail>();
  private readonly open = new Set<FeedSubscription>();
  readonly settings: Required<Omit<FeedOptions, 'log'>>;
  readonly log: (message: string) => void;

  constructor(
    readonly database: Database,
    options: FeedOptions = {},
  ) {
    this.settings = { batch: options.batch ?? 500, queue: options.queue ?? 1000, pollMs: options.pollMs ?? 1000 };
    this.log = options.log ?? ((message) => console.error(message));
  }

  /** The wanted events after `after`, then live ones, in stream order; `return()` ends it at once. */
  subscribe(request: FeedRequest): FeedEvents {
    if (request.after !== null) checkCursor(request.after);
    const subscription = new FeedSubscription(this, request, () => this.open.delete(subscription));
    this.open.add(subscription);
    return subscription;
  }

  /** Events handed to subscriptions since start, per stream: for /metrics. */
  readonly delivered = new Map<string, number>();

  countDelivered(stream: string): void {
    this.delivered.set(stream, (this.delivered.get(stream) ?? 0) + 1);
  }

  /** What is open (for tests and metrics): subscriptions, those of them taking live events, tails. */
  stats(): { subscriptions: number; live: number; tails: number } {
    let live = 0;
    for (const subscription of this.open) if (subscription.live) live++;
    return { subscriptions: this.open.size, live, tails: this.tails.size };
  }

  /** The started tail of `stream`, started now if there is none. */
  async tail(stream: string): Promise<Tail> {
    for (;;) {
      let tail = this.tails.get(stream);
      if (!tail) {
        tail = new Tail(this, stream, () => this.tails.delete(stream));
        this.tails.set(stream, tail);
      }
      await tail.started;
      if (!tail.stopped) return tail;
    }
  }

  stopIdleTail(stream: string): void {
    this.tails.get(stream)?.stopIfIdle();
  }

  async close(): Promise<void> {
    await Promise.all([...this.open].map((subscription) => subscription.return()));
  }
}

/**
 * The one live reader of a stream in this process: it reads each new event once and hands it to the
 * subscribers whose filter it matches, looked up by key so that 5,000 subscribers cost no more per
 * event than one. It stops when its last subscriber leaves, with its listener and timer.
 */
class Tail {
  /** Every event up to here has been handed out. */
  position = streamStart;
  readonly started: Promise<void>;
  private readonly stopping = new AbortController();
  /** Subscribers by one pair of their filter: `key=value` for a match, `key^value` for a prefix. */
  private readonly byKey = new Map<string, Set<FeedSubscription>>();
  /** The lengths of the prefixes subscribers follow, per key: a few (a BRIN4's 4), so an event is looked up a few times more. */
  private readonly prefixLengths = new Map<string, Set<number>>();
  private readonly everything = new Set<FeedSubscription>();
  private size = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private failing = false;
  /** How soon to look again while an open transaction holds events back: soon, then less often while it lasts. */
  private readonly heldBack = new Backoff(20, 500);
  private unlisten: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly feed: EventFeed,
    private readonly stream: string,
    private readonly onStop: () => void,
  ) {
    this.started = this.start();
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async start(): Promise<void> {
    const readHead = async () => {
      // A type no event has: the read returns no event, only the head of the stream.
      const { head } = await readBatch(this.feed.database.db, this.stream, null, { limit: 1, types: [''] });
      this.position = head ?? streamStart;
    };
    await retry(readHead, { waits: this.feed.settings.pollMs, signal: this.stopping.signal, onRetry: (error) => this.report(error) });
    const unlisten = await this.feed.database
      .listen(`outbox_${this.stream}`, () => this.wake())
      .catch((error: unknown) => {
        this.report(error);
        return undefined;
      });
    if (this.stopped) return void (await unlisten?.().catch(() => undefined));
    this.unlisten = unlisten;
    this.timer = setInterval(() => this.wake(), this.feed.settings.pollMs);
  }

  /** Stops a tail that nobody joined after all (its first subscriber left while it started). */
  stopIfIdle(): void {
    if (this.size === 0 && !this.stopped) void this.stop();
  }

  add(subscription: FeedSubscription): void {
    // One pair is enough to find a subscriber by; the rest of its filter is checked on delivery.
    const key = indexKey(subscription.request);
    if (key === undefined) this.everything.add(subscription);
    else {
      const set = this.byKey.get(key) ?? new Set();
      set.add(subscription);
      this.byKey.set(key, set);
      const [name, prefix] = key.split('^');
      if (prefix !== undefined) this.prefixLengths.set(name!, (this.prefixLengths.get(name!) ?? new Set()).add(prefix.length));
    }
    this.size++;
  }

  remove(subscription: FeedSubscription): void {
    const key = indexKey(subscription.request);
    const set = key === undefined ? this.everything : this.byKey.get(key);
    if (!set?.delete(subscription)) return;
    if (key !== undefined && set.size === 0) this.byKey.delete(key);
    if (--this.size === 0) void this.stop();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping.abort();
    this.onStop();
    clearInterval(this.timer);
    await this.unlisten?.().catch(() => undefined);
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.running = this.run().finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.readOn();
        this.failing = false;
      } catch (error) {
        this.report(error);
      }
    } while (this.again && !this.stopped);
  }

  private async readOn(): Promise<void> {
    const { db } = this.feed.database;
    const limit = this.feed.settings.batch;
    for (;;) {
      const { events, head } = await readBatch(db, this.stream, this.position, { limit });
      if (this.stopped) return;
      for (const event of events) this.dispatch(event);
      this.position = events.length < limit ? (head ?? events.at(-1)?.cursor ?? this.position) : events.at(-1)!.cursor;
      if (events.length < limit) break;
    }
    // Events held back by a transaction still open: look again soon, then less often while it lasts.
    if (await eventsAfter(db, this.stream, this.position)) setTimeout(() => this.wake(), this.heldBack.next()).unref();
    else this.heldBack.reset();
  }

  private dispatch(event: StoredEvent): void {
    for (const subscription of this.everything) subscription.offer(event);
    for (const [key, value] of Object.entries(event.keys)) {
      const set = this.byKey.get(`${key}=${value}`);
      if (set) for (const subscription of set) subscription.offer(event);
      for (const length of this.prefixLengths.get(key) ?? []) {
        const starting = this.byKey.get(`${key}^${value.slice(0, length)}`);
        if (starting) for (const subscription of starting) subscription.offer(event);
      }
    }
  }

  /** Once per run of failures: a database that is down would otherwise fill the log every poll. */
  private report(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.feed.log(`${this.stream} feed: ${(error as Error).message}; retrying`);
  }
}

/**
 * One subscriber: reads the table after its cursor until it has caught up with the tail, then takes
 * live events from it. `return()` resolves a waiting `next()` at once and leaves the tail: a suspended
 * async generator could not be ended until its next event (docs/architecture.md, "Library facts the
 * code relies on").
 */
class FeedSubscription implements FeedEvents {
  /** Every wanted event up to here is in `pending` or delivered. */
  private cursor: string | null;
  /** Events read or offered and not taken yet; a `next()` waits here while the subscription is live. */
  private readonly pending = channel<StoredEvent>();
  private mode: 'reading' | 'live' | 'done' = 'reading';
  private tail: Tail | undefined;
  /** Aborted by `return()`: a read waiting to be tried again ends at once. */
  private readonly ending = new AbortController();

  constructor(
    private readonly feed: EventFeed,
    readonly request: FeedRequest,
    private readonly onEnd: () => void,
  ) {
    this.cursor = request.after;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get live(): boolean {
    return this.mode === 'live';
  }

  /** A getter, as `return()` may end it while a read is awaited. */
  private get ended(): boolean {
    return this.mode === 'done';
  }

  async next(): Promise<IteratorResult<StoredEvent>> {
    for (;;) {
      if (this.mode === 'done') return { done: true, value: undefined };
      if (this.pending.size > 0 || this.mode === 'live') {
        const item = await this.pending.next();
        if (!item.done) this.feed.countDelivered(this.request.stream);
        return item;
      }
      await this.readOn();
    }
  }

  async start(): Promise<string | null> {
    while (this.cursor === null && this.mode === 'reading') await this.readOn();
    return this.cursor;
  }

  async return(): Promise<IteratorResult<StoredEvent>> {
    if (this.mode !== 'done') {
      this.mode = 'done';
      this.ending.abort();
      void this.pending.return();
      this.tail?.remove(this);
      this.feed.stopIdleTail(this.request.stream);
      this.onEnd();
    }
    return { done: true, value: undefined };
  }

  async throw(): Promise<IteratorResult<StoredEvent>> {
    return this.return();
  }

  /** A live event from the tail. */
  offer(event: StoredEvent): void {
    if (!this.wants(event) || (this.cursor !== null && compareCursors(event.cursor, this.cursor) <= 0)) return;
    if (this.pending.size >= this.feed.settings.queue) {
      // Too far behind to hold in memory: read on from the table instead, from the last event held.
      this.tail?.remove(this);
      this.tail = undefined;
      this.mode = 'reading';
      return;
    }
    this.cursor = event.cursor;
    this.pending.push(event);
  }

  private wants(event: StoredEvent): boolean {
    const { types, match, prefix } = this.request;
    return (
      (!types || types.includes(event.type)) &&
      Object.entries(match ?? {}).every(([key, value]) => event.keys[key] === value) &&
      Object.entries(prefix ?? {}).every(([key, value]) => event.keys[key]?.startsWith(value) === true)
    );
  }

  /** Reads on from the cursor (`readOnce`); a database that is down or restarting is read again every `pollMs` until it answers. */
  private async readOn(): Promise<void> {
    const { pollMs } = this.feed.settings;
    const log = (error: unknown) => this.feed.log(`${this.request.stream} feed: ${(error as Error).message}; reading again in ${pollMs} ms`);
    await retry(() => this.readOnce(), { waits: pollMs, signal: this.ending.signal, onRetry: log });
  }

  /**
   * One read of the table after the cursor; once a read comes back short, joins the tail if the
   * tail has handed out nothing after the cursor, else reads again up to where the tail is. The
   * check and the join happen without an await between them, so no live event slips past.
   */
  private async readOnce(): Promise<void> {
    const { batch } = this.feed.settings;
    if (this.cursor === null) {
      const tail = await this.feed.tail(this.request.stream);
      if (this.ended) return;
      if (!this.join(tail)) return;
      this.cursor = tail.position;
      return;
    }
    const { events, head } = await readBatch(this.feed.database.db, this.request.stream, this.cursor, { ...this.request, limit: batch });
    if (this.ended) return;
    for (const event of events) this.pending.push(event);
    this.cursor = events.length < batch ? (head ?? events.at(-1)?.cursor ?? this.cursor) : events.at(-1)!.cursor;
    if (events.length === batch) return;
    const tail = await this.feed.tail(this.request.stream);
    if (this.ended) return;
    if (compareCursors(tail.position, this.cursor) <= 0) this.join(tail);
    // Else the tail has moved on: the next read takes the table up to where it is.
  }

  /** False when the tail stopped after it was handed over (its other subscribers left meanwhile). */
  private join(tail: Tail): boolean {
    if (tail.stopped) return false;
    this.tail = tail;
    this.mode = 'live';
    tail.add(this);
    return true;
  }
}
