import { WebSocket, type RawData } from 'ws';
import type { Viewer } from '../kernel/viewer.ts';
import { eventually } from './harness.ts';

/*
 * For the GraphQL over WebSocket tests (test/websocket*.test.ts): a client at the level of the
 * protocol, and what those files share.
 */

export interface Refusal {
  message: string;
  extensions?: Record<string, unknown>;
}

export interface Message {
  id?: string;
  type: string;
  payload?: unknown;
}

export interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Refusal[];
}

/**
 * A client at the level of the protocol (graphql-transport-ws), for what the graphql-ws client
 * hides: the close code and reason, a message of any size, a reader that stops reading.
 */
export class Connection {
  readonly messages: Message[] = [];
  closed: { code: number; reason: string } | undefined;
  /** The server's keep-alive pings received (ws answers each at once). */
  pings = 0;
  private readonly socket: WebSocket;
  private ids = 0;

  private constructor(url: string) {
    this.socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    this.socket.on('message', (data: RawData) => {
      this.messages.push(JSON.parse(String(data)) as Message);
    });
    this.socket.on('ping', () => {
      this.pings++;
    });
    this.socket.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
    });
    // A write after the server closed fails; the close itself is what the tests look at.
    this.socket.on('error', () => undefined);
  }

  /** Connects and sends `connection_init` with the token, if any; resolves once acknowledged or closed. */
  static async open(url: string, token: string | null): Promise<Connection> {
    const connection = new Connection(url);
    await new Promise<void>((resolve, reject) => {
      connection.socket.once('open', () => resolve());
      connection.socket.once('close', () => reject(new Error('The socket closed before it opened')));
    });
    connection.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
    await connection.until('connection_ack or a close', () => connection.acknowledged || connection.closed !== undefined);
    return connection;
  }

  get acknowledged(): boolean {
    return this.messages.some((message) => message.type === 'connection_ack');
  }

  send(message: Message | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Starts an operation and returns its id, without waiting for anything. */
  subscribe(query: string, variables?: Record<string, unknown>): string {
    const id = String(++this.ids);
    this.send({ id, type: 'subscribe', payload: { query, variables } });
    return id;
  }

  complete(id: string): void {
    this.send({ id, type: 'complete' });
  }

  /** Runs an operation that ends (a query, or a subscription that is refused): its answer or refusal. */
  async operation(query: string, variables?: Record<string, unknown>): Promise<Answer> {
    const id = this.subscribe(query, variables);
    await this.until(
      `the end of operation ${id}`,
      () => this.of(id).some((message) => message.type === 'error' || message.type === 'complete') || this.closed !== undefined,
    );
    if (this.closed) throw new Error(`The connection closed with ${this.closed.code} (${this.closed.reason}) before operation ${id} ended`);
    const error = this.of(id).find((message) => message.type === 'error');
    if (error) return { errors: error.payload as Refusal[] };
    return this.of(id).find((message) => message.type === 'next')!.payload as Answer;
  }

  /** The data of every `next` message of a subscription. */
  events(id: string): Record<string, unknown>[] {
    return this.of(id)
      .filter((message) => message.type === 'next')
      .map((message) => (message.payload as Answer).data!);
  }

  of(id: string): Message[] {
    return this.messages.filter((message) => message.id === id);
  }

  /** Stops reading from the socket: the server's writes pile up in the operating system's buffers. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Waits, as `eventually` does, until `done()` holds; a time out tells what this connection received. */
  until(what: string, done: () => boolean, options: { deadline?: number } = {}): Promise<void> {
    return eventually(what, done, {
      ...options,
      state: () => `received ${JSON.stringify(this.messages).slice(0, 500)}, closed ${JSON.stringify(this.closed)}`,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.close(1000);
    await this.until('the close', () => this.closed !== undefined, { deadline: 5_000 }).catch(() => this.socket.terminate());
  }
}

export const codeOf = (answer: Answer) => answer.errors?.[0]?.extensions?.code;

export const operator = { role: 'OPERATOR' } as const satisfies Viewer;
export const vendor = { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' } as const satisfies Viewer;

export const fundingSubscription = 'subscription Funding($after: String) { fundingStatusChanged(after: $after) { cursor enrollment { id } } }';
