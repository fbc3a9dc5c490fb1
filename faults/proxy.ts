/*
 * A TCP proxy for fault injection: put it between a process and what it reaches (PostgreSQL, a
 * subgraph) and make that look stalled, refusing or dropped, without touching either side. The
 * tests (test/outages.test.ts) and the fault suite (faults/chaos.ts, npm run chaos) use it; nothing
 * the register runs in production imports it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the proxy does with traffic now. */
export type ProxyMode = 'pass' | 'stall' | 'refuse';

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class FaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private current: ProxyMode = 'pass';

  private constructor(
    private readonly target: { host: string; port: number },
    readonly host: string,
    /** Kept across `refuse`, so that clients find the proxy again where they left it. */
    readonly port: number,
  ) {}

  /** Listens on a free port of `host` and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }, host = '127.0.0.1'): Promise<FaultProxy> {
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, host, resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const proxy = new FaultProxy(target, host, port);
    await proxy.listen();
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's: where a client should connect instead. */
  through(url: string): string {
    const through = new URL(url);
    through.hostname = this.host;
    through.port = String(this.port);
    return through.toString();
  }

  get mode(): ProxyMode {
    return this.current;
  }

  /** Forwards again; what a stall held flows on. */
  async pass(): Promise<void> {
    this.current = 'pass';
    await this.listen();
    for (const pair of this.pairs) flow(pair);
  }

  /**
   * Holds every byte, both ways, on open connections and on new ones, which are accepted: what a
   * peer that hangs (a stalled disk, a full network queue) looks like to a client.
   */
  async stall(): Promise<void> {
    this.current = 'stall';
    await this.listen();
    for (const pair of this.pairs) hold(pair);
  }

  /**
   * Stops listening, so that new connections are refused (ECONNREFUSED, as from a server that is
   * down); open connections carry on. With `drop()` first: a server that went away.
   */
  refuse(): void {
    this.current = 'refuse';
    // Not awaited: close() calls back only once every connection has ended, and these carry on.
    this.server?.close();
    this.server = undefined;
  }

  /** Resets every open connection, both sides (ECONNRESET): a crash, or a cable pulled. */
  drop(): void {
    for (const pair of this.pairs) {
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.pairs.size;
  }

  close(): void {
    this.refuse();
    this.drop();
  }

  private async listen(): Promise<void> {
    for (let attempt = 1; !this.server; attempt++) {
      const server = createServer((client) => this.accept(client));
      try {
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, this.host, () => resolve()));
        this.server = server;
      } catch (error) {
        // The socket refuse() closed may take a moment to let go of the port.
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 50) throw error;
        await sleep(20);
      }
    }
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('error', end).on('close', end);
    if (this.current === 'stall') hold(pair);
    else flow(pair);
  }
}

function flow({ client, upstream }: Pair): void {
  if (client.listenerCount('data') === 0) client.pipe(upstream);
  if (upstream.listenerCount('data') === 0) upstream.pipe(client);
  client.resume();
  upstream.resume();
}

function hold({ client, upstream }: Pair): void {
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}
