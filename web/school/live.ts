import { createClient, type Client } from 'graphql-ws';

/** One subscription of the page: its last cursor, and what to do with what arrives. */
export interface Feed<Item extends { cursor: string } = { cursor: string }> {
  /** A subscription document with an `$after: String` variable (README, "Real-time subscriptions"). */
  readonly query: string;
  readonly field: string;
  /** The cursor of the last event received: where the feed resumes after a break. */
  cursor: string | null;
  receive(item: Item): void;
  /**
   * Called on every connection while the feed has no cursor (and so at the first): without one it
   * cannot resume, so the list is read again instead, which also covers the first load.
   */
  reload(): void;
  /** The register refused the subscription or ended it (FORBIDDEN: no mandate for the service), with its error code. */
  refused(code: string | undefined): void;
}

export type LiveState = { kind: 'connecting' } | { kind: 'live' } | { kind: 'reconnecting'; inMs: number } | { kind: 'signed-out' };

/** graphql-ws close code for a token that is missing, invalid or expired (kernel/websocket.ts). */
const tokenRefused = 4403;
const longestWaitMs = 10_000;

/**
 * The page's WebSocket to the gateway, carrying every feed. The graphql-ws client's own retry
 * would subscribe again with the variables it first had, so from the first cursor; this one
 * connects again itself and subscribes each feed with `after:` its last cursor, so that nothing
 * issued during a break is lost (README: "subscribe with after: the cursor of the last event").
 * Every close but 4403 is such a break: 4008 (the page fell behind) and 4503 (an event could not
 * be completed in time) too; a feed without a cursor reads its list again instead. A result
 * without an event is never passed over: it is a break as well.
 */
export class LiveConnection {
  private client: Client | undefined;
  private readonly active: Set<Feed<never>>;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    feeds: Feed<never>[],
    private readonly onState: (state: LiveState) => void,
  ) {
    this.active = new Set(feeds);
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.client) dispose(this.client);
  }

  private connect(): void {
    this.onState({ kind: 'connecting' });
    const client: Client = createClient({
      url: this.url,
      connectionParams: { authorization: `Bearer ${this.token}` },
      lazy: false,
      retryAttempts: 0,
      // Reported through `closed`, which decides what follows.
      onNonLazyError: () => undefined,
      on: {
        connected: () => this.connected(client),
        closed: (event) => this.dropped(client, event as CloseEvent),
      },
    });
    this.client = client;
    for (const feed of this.active) this.subscribe(client, feed);
  }

  private subscribe(client: Client, feed: Feed<never>): void {
    client.subscribe<Record<string, { cursor: string }>>(
      { query: feed.query, variables: { after: feed.cursor } },
      {
        next: (result) => {
          const item = result.data?.[feed.field];
          if (!item) return this.reconnect(client);
          feed.cursor = item.cursor;
          feed.receive(item as never);
        },
        error: (error) => {
          // An array is the register's refusal; anything else is the socket closing, handled in `dropped`.
          if (!Array.isArray(error)) return;
          const first = error[0] as { extensions?: { code?: string } } | undefined;
          this.active.delete(feed);
          feed.refused(first?.extensions?.code);
        },
        complete: () => undefined,
      },
    );
  }

  private connected(client: Client): void {
    if (client !== this.client) return;
    this.attempt = 0;
    this.onState({ kind: 'live' });
    for (const feed of this.active) if (feed.cursor === null) feed.reload();
  }

  private dropped(client: Client, event: CloseEvent): void {
    if (client !== this.client || this.closed) return;
    if (event.code !== tokenRefused) return this.reconnect(client);
    this.client = undefined;
    dispose(client);
    this.onState({ kind: 'signed-out' });
  }

  /** Leaves `client` and connects again after a wait, each feed resuming from its cursor. */
  private reconnect(client: Client): void {
    if (client !== this.client || this.closed) return;
    // Its own close, which disposing brings, is not another break.
    this.client = undefined;
    dispose(client);
    // Waits grow (about 0.5 s, 1 s, 2 s … 10 s) and vary a little, so that a gateway coming back
    // is not met by every school at the same moment.
    const inMs = Math.round(Math.min(longestWaitMs, 500 * 2 ** this.attempt++) * (0.8 + Math.random() * 0.4));
    this.onState({ kind: 'reconnecting', inMs });
    this.timer = setTimeout(() => this.connect(), inMs);
  }
}

/** dispose() waits for a connection still being made, and rejects when that one was refused: nothing to report then. */
function dispose(client: Client): void {
  Promise.resolve(client.dispose()).catch(() => undefined);
}
