/*
 * The register's async iterators, which every subscription passes through: a channel, into which
 * values are pushed and from which `next()` takes them in order (a subgraph's feed, the gateway's
 * subscribers and its upstreams over graphql-ws), and `mapped`. Each one's `return()` settles a
 * waiting `next()` at once, which an async generator cannot do (docs/architecture.md, "Library facts
 * the code relies on"). Hand-written rather than taken from @repeaterjs/repeater, which starts its
 * executor only at the first `next()` (a value pushed before the client reads would have nowhere to
 * go) and throws on a full buffer, or from graphql-ws's `iterate()`, whose queue has no bound and
 * which rejects a refusal rather than passing it on (graphql-ws 6, client.js `iterate`).
 */

/** An async iterator whose `return()` is there, and ends it. */
export interface Ending<T> extends AsyncIterableIterator<T> {
  return(): Promise<IteratorResult<T, undefined>>;
}

/** How a channel closed: its queue taken after `end()` or `fail()`, or by `return()`. */
export type ClosedBy = 'ended' | 'failed' | 'returned';

/**
 * A new channel; `onClose` runs once when it closes, before a waiting `next()` hears of it. Values
 * pushed before anyone reads wait in the queue.
 */
export function channel<T>(onClose?: (by: ClosedBy) => void): Channel<T> {
  return new Channel<T>(onClose);
}

/**
 * A queue read as an async iterator. Its bound is its owner's: each does something else when it is
 * full (`size`). A class: every subscription holds two or three of them, and methods on the
 * prototype cost nothing per instance, where a closure per method did (under tsx each closure also
 * carries a `name` property of its own, a heap snapshot showed). Idle subscribers of 5,000 schools,
 * each on a connection of its own (bench/subscriptions.ts `schools`): 30.1 KB of heap each with
 * closures, 27.1 KB with the class.
 */
export class Channel<T> implements Ending<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  private ending: { failed: false } | { failed: true; error: unknown } | undefined;
  private isClosed = false;

  constructor(private readonly onClose: ((by: ClosedBy) => void) | undefined) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Values queued and not taken yet. */
  get size(): number {
    return this.queue.length;
  }

  /** Closed for good: by `return()`, or by `end()` or `fail()` once the queue was taken. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Hands `value` to a waiting `next()`, or queues it; false once it is ending or closed. */
  push(value: T): boolean {
    if (this.isClosed || this.ending) return false;
    if (this.waiting) {
      this.waiting.resolve({ done: false, value });
      this.waiting = undefined;
    } else this.queue.push(value);
    return true;
  }

  /** Ends it once what is queued is taken: `next()` is done then. */
  end(): void {
    if (this.isClosed || this.ending) return;
    this.ending = { failed: false };
    this.settleEnding();
  }

  /** Ends it once what is queued is taken, with `error`, which `next()` throws then. */
  fail(error: unknown): void {
    if (this.isClosed || this.ending) return;
    this.ending = { failed: true, error };
    this.settleEnding();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length) return Promise.resolve({ done: false, value: this.queue.shift()! });
    if (this.isClosed) return Promise.resolve({ done: true, value: undefined });
    if (this.ending) return this.drained();
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    if (!this.isClosed) this.close('returned');
    this.waiting?.resolve({ done: true, value: undefined });
    this.waiting = undefined;
    return { done: true, value: undefined };
  }

  throw(): Promise<IteratorResult<T, undefined>> {
    return this.return();
  }

  private close(by: ClosedBy): void {
    this.isClosed = true;
    this.queue.length = 0;
    this.onClose?.(by);
  }

  /** The end `next()` gives once the queue is taken after `end()` or `fail()`. */
  private drained(): Promise<IteratorResult<T>> {
    const how = this.ending!;
    this.close(how.failed ? 'failed' : 'ended');
    return how.failed ? Promise.reject(how.error) : Promise.resolve({ done: true, value: undefined });
  }

  private settleEnding(): void {
    if (!this.waiting) return;
    const { resolve, reject } = this.waiting;
    this.waiting = undefined;
    this.drained().then(resolve, reject);
  }
}

/**
 * An iterator over `source` whose values `next` gives, reading the source as it needs; `return()`
 * (and `throw()`) aborts `signal`, runs `onEnd` and passes straight on to the source, so a waiting
 * `next()` ends at once. Once ended, `next()` is done.
 */
export function over<T, U>(source: AsyncIterator<T>, next: (signal: AbortSignal) => Promise<IteratorResult<U, undefined>>, onEnd?: () => void): Ending<U> {
  const ending = new AbortController();
  const end = async (): Promise<IteratorResult<U, undefined>> => {
    if (!ending.signal.aborted) {
      ending.abort();
      onEnd?.();
    }
    await source.return?.();
    return { done: true, value: undefined };
  };
  const self = {
    [Symbol.asyncIterator]: () => self,
    next: () => (ending.signal.aborted ? Promise.resolve({ done: true as const, value: undefined }) : next(ending.signal)),
    return: end,
    throw: end,
  };
  return self;
}

/**
 * `source` with `map` applied to each value, one at a time and in order, `signal` telling `map` when
 * it has ended; `map` ends it by giving undefined.
 */
export function mapped<T, U>(source: AsyncIterator<T>, map: (value: T, signal: AbortSignal) => Promise<U | undefined>): AsyncIterableIterator<U> {
  return over(source, async (signal) => {
    const item = await source.next();
    if (item.done) return { done: true, value: undefined };
    const value = await map(item.value, signal);
    return value === undefined ? { done: true, value: undefined } : { done: false, value };
  });
}
