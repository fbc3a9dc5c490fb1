import type { Viewer } from '../kernel/viewer.ts';

/**
 * A rate limit per viewer (OWASP GraphQL cheat sheet: rate limiting per user, next to cost limits):
 * a token bucket of `burst` requests, refilled at `perSecond`. A vendor is one viewer whichever school
 * it acts for: the limit protects the register from one vendor's system, not one school's.
 * Per gateway process; replicas each allow the rate.
 */
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
