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

/** A queue read as an async iterator. Its bound is its owner's: each does something else when it is full (`size`). */
export interface Channel<T> extends Ending<T> {
  /** Hands `value` to a waiting `next()`, or queues it; false once it is ending or closed. */
  push(value: T): boolean;
  /** Ends it once what is queued is taken: `next()` is done then. */
  end(): void;
  /** Ends it once what is queued is taken, with `error`, which `next()` throws then. */
  fail(error: unknown): void;
  /** Values queued and not taken yet. */
  readonly size: number;
  /** Closed for good: by `return()`, or by `end()` or `fail()` once the queue was taken. */
  readonly closed: boolean;
}

/** How a channel closed: its queue taken after `end()` or `fail()`, or by `return()`. */
export type ClosedBy = 'ended' | 'failed' | 'returned';

/**
 * A new channel; `onClose` runs once when it closes, before a waiting `next()` hears of it. Values
 * pushed before anyone reads wait in the queue.
 */
export function channel<T>(onClose?: (by: ClosedBy) => void): Channel<T> {
  const queue: T[] = [];
  let waiting: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  let ending: { failed: false } | { failed: true; error: unknown } | undefined;
  let closed = false;
  const close = (by: ClosedBy) => {
    closed = true;
    queue.length = 0;
    onClose?.(by);
  };
  /** The end `next()` gives once the queue is taken after `end()` or `fail()`. */
  const drained = (): Promise<IteratorResult<T>> => {
    const how = ending!;
    close(how.failed ? 'failed' : 'ended');
    return how.failed ? Promise.reject(how.error) : Promise.resolve({ done: true, value: undefined });
  };
  const settleEnding = () => {
    if (!waiting) return;
    const { resolve, reject } = waiting;
    waiting = undefined;
    drained().then(resolve, reject);
  };
  const self: Channel<T> = {
    [Symbol.asyncIterator]: () => self,
    get size() {
      return queue.length;
    },
    get closed() {
      return closed;
    },
    push(value) {
      if (closed || ending) return false;
      if (waiting) {
        waiting.resolve({ done: false, value });
        waiting = undefined;
      } else queue.push(value);
      return true;
    },
    end() {
      if (closed || ending) return;
      ending = { failed: false };
      settleEnding();
    },
    fail(error) {
      if (closed || ending) return;
      ending = { failed: true, error };
      settleEnding();
    },
    next() {
      if (queue.length) return Promise.resolve({ done: false, value: queue.shift()! });
      if (closed) return Promise.resolve({ done: true, value: undefined });
      if (ending) return drained();
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    async return() {
      if (!closed) close('returned');
      waiting?.resolve({ done: true, value: undefined });
      waiting = undefined;
      return { done: true, value: undefined };
    },
    throw() {
      return self.return();
    },
  };
  return self;
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
