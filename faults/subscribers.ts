/*
 * Subscribers for the fault suite, each as the README tells a client to be: it keeps the cursor of
 * the last event it received and, after any break (a closed connection, a close code, an error),
 * subscribes again with `after:` that cursor. It keeps what was delivered, in order, for the ground
 * truth to judge (faults/truth.ts), and never skips: a result without the event is counted, not
 * passed over.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { projectRoot } from '../kernel/config.ts';
import { streamStart } from '../kernel/events.ts';
import { Backoff } from '../kernel/retry.ts';

export type Field = 'fundingStatusChanged' | 'transferNoticeIssued' | 'absenceReportUpdated';

/** The registered operation of each field (schema/operations), selecting across subgraphs. */
const operations: Record<Field, string> = {
  fundingStatusChanged: 'FundingStatusChanged.graphql',
  transferNoticeIssued: 'TransferNoticeIssued.graphql',
  absenceReportUpdated: 'AbsenceReportUpdated.graphql',
};

export interface Delivery {
  cursor: string;
  /** Delivered with errors beside its data: a part of it missing. */
  incomplete: boolean;
}

export class Subscriber {
  readonly delivered: Delivery[] = [];
  /** Results that carried no event, only errors, and events delivered with errors: when, and their codes. */
  readonly incidents: { at: number; kind: 'without event' | 'incomplete'; codes: string[] }[] = [];
  /** How each connection ended, by close code (or the error that ended the subscription), and failed connects. */
  readonly breaks = new Map<string, number>();
  private client: Client | undefined;
  private stopped = false;
  private readonly query: string;

  constructor(
    readonly name: string,
    readonly field: Field,
    private readonly options: { url: string; token: string },
  ) {
    this.query = readFileSync(path.join(projectRoot, 'schema', 'operations', operations[field]), 'utf8');
  }

  /** The cursor it resumes from: its last event's, or the start of the stream (it wants them all). */
  get cursor(): string {
    return this.delivered.at(-1)?.cursor ?? streamStart;
  }

  /** Follows until stopped, subscribing again after every break. */
  async follow(): Promise<void> {
    // Waits that grow while a subscription brings nothing, and start again once one does.
    const waits = new Backoff(100, 5000);
    while (!this.stopped) {
      const received = this.delivered.length;
      const why = await this.once();
      if (this.stopped) return;
      this.breaks.set(why, (this.breaks.get(why) ?? 0) + 1);
      if (this.delivered.length > received) waits.reset();
      await sleep(waits.next());
    }
  }

  stop(): void {
    this.stopped = true;
    void this.client?.dispose();
  }

  /** One subscription, from the last cursor, until it breaks; says how it broke. */
  private once(): Promise<string> {
    return new Promise((resolve) => {
      let connected = false;
      const client = createClient({
        url: this.options.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${this.options.token}` },
        retryAttempts: 0,
        on: { connected: () => (connected = true) },
      });
      this.client = client;
      const end = (why: string) => {
        void client.dispose();
        resolve(why);
      };
      client.subscribe<Record<Field, { cursor: string }>>(
        { query: this.query, variables: { after: this.cursor } },
        {
          next: (result) => {
            const event = result.data?.[this.field];
            const codes = (result.errors ?? []).map((error) => String(error.extensions?.code ?? error.message));
            if (event) this.delivered.push({ cursor: event.cursor, incomplete: codes.length > 0 });
            if (!event || codes.length) this.incidents.push({ at: Date.now(), kind: event ? 'incomplete' : 'without event', codes });
          },
          error: (error) => {
            if (Array.isArray(error)) return end(`error ${(error as { extensions?: { code?: string } }[])[0]?.extensions?.code}`);
            const code = (error as { code?: unknown }).code;
            end(!connected ? 'could not connect' : typeof code === 'number' ? `close ${code}` : 'connection error');
          },
          complete: () => end('completed'),
        },
      );
    });
  }
}
