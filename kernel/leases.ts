/*
 * Leases: which replica runs work that should run once across replicas, such as a stream consumer's
 * loop (README, "The register as a cluster"). On PostgreSQL a lease is a session-level advisory lock
 * (https://www.postgresql.org/docs/16/explicit-locking.html#ADVISORY-LOCKS) held on a connection of
 * the process's own: PostgreSQL releases it when that session ends, so when the process dies (even by
 * kill -9, its socket closes with it) or loses the connection. The other replicas try to take every
 * lease they lack again every `everyMs`, so one of them takes over within about that long.
 *
 * A lease decides who does the work, not whether the work is right: a replica that lost its
 * connection may finish the batch it is in while another takes the lease, so the work keeps its own
 * guard (a consumer's row lock on its cursor, kernel/events.ts).
 */
import pg from 'pg';

export interface Lease {
  readonly name: string;
  /** Whether this process holds the lease now. */
  readonly held: boolean;
}

export interface Leases {
  /** Wants the lease `name` from now on; `onChange` hears when this process gains or loses it. */
  take(name: string, onChange?: (held: boolean) => void): Lease;
  /** Every lease this process wants, and whether it holds it now. */
  list(): { name: string; held: boolean }[];
  /** Gives every lease up (the session ends). */
  close(): Promise<void>;
}

interface Wanted {
  name: string;
  held: boolean;
  onChange: (held: boolean) => void;
}

/** One process on its own database (PGlite): it holds every lease it wants. */
export function soleProcessLeases(): Leases {
  const leases: Lease[] = [];
  return {
    take: (name) => {
      const lease = { name, held: true };
      leases.push(lease);
      return lease;
    },
    list: () => leases.map(({ name, held }) => ({ name, held })),
    close: async () => undefined,
  };
}

/**
 * Leases as advisory locks of one session. The two-key form (`pg_try_advisory_lock(int4, int4)`) keeps
 * them apart from the register's one-key locks (migrations, documents), which PostgreSQL keeps in
 * another key space; the first key names the register's leases, the second the lease.
 */
export class AdvisoryLeases implements Leases {
  private readonly wanted = new Map<string, Wanted>();
  private client: pg.Client | undefined;
  private round: Promise<void> | undefined;
  /** A lease was wanted during a round, which may have passed it: one more round follows. */
  private again = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly settings: pg.ClientConfig,
    private readonly log: (message: string) => void,
    everyMs = 1000,
  ) {
    this.timer = setInterval(() => this.tryNow(), everyMs);
    this.timer.unref();
  }

  take(name: string, onChange: (held: boolean) => void = () => undefined): Lease {
    const wanted = this.wanted.get(name) ?? { name, held: false, onChange };
    this.wanted.set(name, wanted);
    this.tryNow();
    return wanted;
  }

  list(): { name: string; held: boolean }[] {
    return [...this.wanted.values()].map(({ name, held }) => ({ name, held }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.round;
    const client = this.client;
    this.lose('the process stops');
    await client?.end().catch(() => undefined);
  }

  /** One round at a time: try for every lease not held, and check the session still stands. */
  private tryNow(): void {
    if (this.closed) return;
    if (this.round) return void (this.again = true);
    this.again = false;
    this.round = this.tryAll()
      .catch((error: Error) => {
        const client = this.client;
        this.lose(`its PostgreSQL session failed (${error.message})`);
        client?.end().catch(() => undefined);
      })
      .finally(() => {
        this.round = undefined;
        if (this.again) this.tryNow();
      });
  }

  private async tryAll(): Promise<void> {
    const client = this.client ?? (await this.connect());
    const missing = [...this.wanted.values()].filter((wanted) => !wanted.held);
    // A round with nothing to take still asks: a session lost without an 'error' event shows here.
    if (missing.length === 0) return void (await client.query('SELECT 1'));
    const { rows } = await client.query<{ name: string; taken: boolean }>(
      `SELECT name, pg_try_advisory_lock(hashtext('register-graph lease'), hashtext(name)) AS taken FROM unnest($1::text[]) AS name`,
      [missing.map((wanted) => wanted.name)],
    );
    if (this.client !== client) return;
    for (const row of rows.filter((row) => row.taken)) {
      const wanted = this.wanted.get(row.name)!;
      wanted.held = true;
      wanted.onChange(true);
    }
  }

  private async connect(): Promise<pg.Client> {
    // A round that gets no answer in 10 s (a stalled network) gives the session up rather than wait on
    // it for good: the leases go with it, and are taken again once the database answers.
    const client = new pg.Client({ ...this.settings, query_timeout: 10_000, application_name: `register-graph leases ${process.pid}` });
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.lose(`its PostgreSQL session was lost (${error.message})`);
      client.end().catch(() => undefined);
    });
    await client.connect();
    if (this.closed) {
      await client.end();
      throw new Error('closed');
    }
    this.client = client;
    return client;
  }

  /** The session is gone, and every lease with it: the work stops here until a lease is taken again. */
  private lose(why: string): void {
    this.client = undefined;
    for (const wanted of this.wanted.values()) {
      if (!wanted.held) continue;
      wanted.held = false;
      if (!this.closed) this.log(`lease ${wanted.name} lost: ${why}; trying to take it again`);
      wanted.onChange(false);
    }
  }
}
