/*
 * Trying again, one way for the whole register: a feed reading its stream while the database
 * restarts, a subgraph or the gateway holding an event that cannot be completed yet, the gateway
 * reconnecting to a subgraph, a process starting before its database. Each says how long to wait
 * between attempts, when to give up, and what to log; `retry` does the rest the same way for all.
 * Written here rather than taken from p-retry, which counts attempts rather than keeping one run of
 * growing waits across reconnections (the gateway's), and does not cut its last wait to the deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits that start at `firstMs` and double up to `maxMs`, until `reset()`. */
export class Backoff {
  private waitMs: number;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.waitMs = firstMs;
  }

  /** The wait to take now; the next one is twice as long, up to `maxMs`. */
  next(): number {
    const wait = this.waitMs;
    this.waitMs = Math.min(wait * 2, this.maxMs);
    return wait;
  }

  reset(): void {
    this.waitMs = this.firstMs;
  }
}

export interface RetryOptions {
  /** The wait between attempts, in ms: the same each time, or a Backoff (which a caller may keep across calls). */
  waits: number | Backoff;
  /** Gives up this long after the first failure; the last wait is cut to end then. Without it, it tries until stopped. */
  giveUpAfterMs?: number;
  /** Whether a failure is worth trying again; one that is not is thrown as it is. @default every one */
  retryable?(error: unknown): boolean;
  /** Stops the trying: looked at after each failure, and it ends a wait at once. */
  signal?: AbortSignal;
  /** Waits before the first attempt too: for trying again after something that already failed. */
  waitFirst?: boolean;
  /** Hears each failure it tries again after, before the wait: `failures` is 1 at the first. For the log. */
  onRetry?(error: unknown, failures: number, waitMs: number): void;
}

/** How the trying ended: with the attempt's value, given up (with the last failure), or stopped by the signal. */
export type Retried<T> = { kind: 'done'; value: T } | { kind: 'gave-up'; error: unknown } | { kind: 'stopped' };

/** Runs `attempt` until it succeeds, a failure is not retryable (thrown), the deadline passes or the signal stops it. */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<Retried<T>> {
  const { waits, giveUpAfterMs, signal } = options;
  const nextWait = () => (typeof waits === 'number' ? waits : waits.next());
  if (options.waitFirst && !(await pause(nextWait(), signal))) return { kind: 'stopped' };
  let since: number | undefined;
  for (let failures = 1; ; failures++) {
    if (signal?.aborted) return { kind: 'stopped' };
    try {
      return { kind: 'done', value: await attempt() };
    } catch (error) {
      if (options.retryable && !options.retryable(error)) throw error;
      if (signal?.aborted) return { kind: 'stopped' };
      since ??= Date.now();
      let waitMs = nextWait();
      if (giveUpAfterMs !== undefined) {
        const left = since + giveUpAfterMs - Date.now();
        if (left <= 0) return { kind: 'gave-up', error };
        waitMs = Math.min(waitMs, left);
      }
      options.onRetry?.(error, failures, waitMs);
      if (!(await pause(waitMs, signal))) return { kind: 'stopped' };
    }
  }
}

/** Waits `ms`; false when the signal stopped it first. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
