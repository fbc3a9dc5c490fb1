/*
 * The viewers the gateway signs for the subgraphs (kernel/viewer.ts): one assertion per subgraph, as
 * each subgraph accepts only those signed for it, each valid for VIEWER_ASSERTION_LIFETIME.
 */
import { signViewerAssertion, type Viewer } from '../kernel/viewer.ts';

/** An assertion for one subgraph, when it expires, and when a holder should replace it (ms since the epoch). */
export interface SignedAssertion {
  text: string;
  expiresAt: number;
  renewAt: number;
}

/** Viewers signed for requests at once, at most: one per viewer, client address and subgraph asked. */
const cachedAtMost = 10_000;

export class ViewerAssertions {
  private readonly cache = new Map<string, { signed: Promise<SignedAssertion>; reuseUntil: number }>();

  constructor(
    private readonly secret: string,
    /** Seconds an assertion is valid. */
    private readonly lifetime: number,
  ) {}

  /**
   * For a request's fetches: signed when a subgraph is first asked for the viewer, then reused for
   * the first third of its life, so that each request still has two thirds of it left and a busy
   * viewer costs one signature per subgraph per third of a lifetime, not one per request.
   */
  forRequest(viewer: Viewer, origin: string | undefined, subgraph: string): Promise<SignedAssertion> {
    const key = `${subgraph}\n${origin ?? ''}\n${JSON.stringify(viewer)}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && now < cached.reuseUntil) return cached.signed;
    const signed = this.sign(viewer, origin, subgraph);
    this.cache.delete(key);
    if (this.cache.size >= cachedAtMost) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { signed, reuseUntil: now + (this.lifetime * 1000) / 3 });
    signed.catch(() => this.cache.get(key)?.signed === signed && this.cache.delete(key));
    return signed;
  }

  /**
   * A new assertion, for an upstream subscription: its holder renews it once two thirds of its life
   * have passed (`renewAt`), well before the subgraph ends the subscription at `expiresAt`.
   */
  async sign(viewer: Viewer, origin: string | undefined, subgraph: string): Promise<SignedAssertion> {
    // JWT times are whole seconds: it expires `lifetime` seconds after the second it was signed in.
    const expires = Math.floor(Date.now() / 1000) + this.lifetime;
    const text = await signViewerAssertion(viewer, this.secret, subgraph, { origin, expiresAt: expires });
    return { text, expiresAt: expires * 1000, renewAt: expires * 1000 - (this.lifetime * 1000) / 3 };
  }
}
