/*
 * What a subgraph's subscription tells the gateway besides its events (gateway/hub.ts reads it): where
 * it starts, and that the viewer assertion it was opened with has expired, which ends it. The gateway
 * renews its assertions before then, so the end is for a subscription it lost track of, or one
 * opened with a captured assertion.
 */
import type { FormattedExecutionResult } from 'graphql';
import { over, type Ending } from './iterators.ts';

/** The extension of a subscription's first result that names its start. */
const startExtension = 'startsAfter';

/** The first result: every event that follows comes after `cursor` in the stream. */
function startResult(cursor: string): FormattedExecutionResult {
  return { extensions: { [startExtension]: cursor } };
}

/** `source`, after a first result naming where it starts (none when `cursor` is null). */
export function startingAfter(cursor: string | null, source: AsyncIterableIterator<FormattedExecutionResult>): AsyncIterableIterator<FormattedExecutionResult> {
  let first = cursor === null ? undefined : startResult(cursor);
  return over(source, async () => {
    if (!first) return source.next();
    const value = first;
    first = undefined;
    return { done: false, value };
  });
}

/** The cursor a start result names; undefined for any other result. */
export function startOf(result: FormattedExecutionResult): string | undefined {
  const cursor = result.extensions?.[startExtension];
  return result.data === undefined && !result.errors && typeof cursor === 'string' ? cursor : undefined;
}

/** The last result of a subscription whose viewer assertion expired. */
export const expiredResult: FormattedExecutionResult = {
  errors: [
    {
      message: 'The viewer assertion this subscription was opened with has expired: subscribe again with a new one, after the last cursor received',
      extensions: { code: 'UNAUTHENTICATED' },
    },
  ],
};

/**
 * Whether a result ends the subscription because its viewer expired: the only UNAUTHENTICATED that
 * comes after a subscription's start result (one before it is a refusal at opening).
 */
export function isExpiry(result: FormattedExecutionResult): boolean {
  return !result.data && result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
}

/**
 * `source` until `expiresAt` (ms since the epoch), then `expiredResult` and the end: a waiting
 * `next()` gets it at that moment, and a result that comes later is not delivered (the gateway
 * resumes from its last cursor, so it is not lost).
 */
export function untilExpiry(source: AsyncIterableIterator<FormattedExecutionResult>, expiresAt: number): AsyncIterableIterator<FormattedExecutionResult> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), Math.max(0, expiresAt - Date.now()));
    timer.unref();
  });
  const results: Ending<FormattedExecutionResult> = over(
    source,
    async () => {
      const next = source.next();
      // A result the race left behind is dropped, and so is its failure.
      next.catch(() => undefined);
      const item = await Promise.race([next, expiry]);
      if (item !== 'expired' && item.done) return results.return();
      if (item === 'expired' || Date.now() >= expiresAt) {
        await results.return();
        return { done: false, value: expiredResult };
      }
      return item;
    },
    () => clearTimeout(timer),
  );
  return results;
}
