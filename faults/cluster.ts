/*
 * The register in distributed mode for the fault suite (faults/chaos.ts): each subgraph and the
 * gateway a process of its own, started as `npm start` starts them, on ports that stay theirs across
 * restarts. The subgraphs reach PostgreSQL through one fault proxy, and the gateway reaches each
 * subgraph through a proxy of its own, so that either can be stalled, refused or dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../kernel/config.ts';
import { freePort, stopChild, untilOk } from '../system/cluster.ts';
import { FaultProxy } from './proxy.ts';

export const subgraphNames = ['institutions', 'learners', 'funding', 'absence'] as const;
export type MemberName = (typeof subgraphNames)[number] | 'gateway';

interface Member {
  name: MemberName;
  port: number;
  child: ChildProcess | undefined;
  /** Set while the suite means it to be down, so that its end is not taken for a crash. */
  stopping: boolean;
}

/** Every child still running when the suite's process ends is killed with it. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export class Cluster {
  /** The exits nobody asked for: a process that ended by itself. */
  readonly crashes: { name: MemberName; code: number | null; signal: string | null; at: number }[] = [];
  private readonly members = new Map<MemberName, Member>();

  private constructor(
    /** The fault proxy in front of PostgreSQL. */
    readonly database: FaultProxy,
    /** The fault proxy in front of each subgraph, as the gateway reaches it. */
    readonly subgraphs: Map<MemberName, FaultProxy>,
    private readonly env: Record<string, string>,
    private readonly logFolder: string,
  ) {}

  /**
   * Starts the proxies and the processes: institutions first (it seeds the school list the others
   * read), then the other subgraphs, then the gateway, each once it is ready.
   */
  static async start(options: { databaseUrl: string; env: Record<string, string>; logFolder: string; say(message: string): void }): Promise<Cluster> {
    const direct = new URL(options.databaseUrl);
    const database = await FaultProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    mkdirSync(options.logFolder, { recursive: true });
    const proxies = new Map<MemberName, FaultProxy>();
    const cluster = new Cluster(database, proxies, { ...options.env, DATABASE_URL: database.through(options.databaseUrl) }, options.logFolder);
    for (const name of [...subgraphNames, 'gateway'] as const) {
      const port = await freePort();
      cluster.members.set(name, { name, port, child: undefined, stopping: false });
      if (name !== 'gateway') proxies.set(name, await FaultProxy.start({ host: '127.0.0.1', port }));
    }
    const started = performance.now();
    await cluster.launch('institutions');
    await Promise.all(['learners', 'funding', 'absence'].map((name) => cluster.launch(name as MemberName)));
    await cluster.launch('gateway');
    options.say(`the register runs: 4 subgraphs and a gateway, each a process of its own (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return cluster;
  }

  /** The gateway's GraphQL URL. */
  get url(): string {
    return `http://127.0.0.1:${this.members.get('gateway')!.port}/graphql`;
  }

  /** The subgraphs' URLs as the gateway reaches them: through their proxies. */
  private subgraphUrls(): string {
    return subgraphNames.map((name) => `${name}=http://127.0.0.1:${this.subgraphs.get(name)!.port}/graphql`).join(',');
  }

  /** Starts the member's process and waits until it is ready. */
  async launch(name: MemberName, readyWithinMs = 180_000): Promise<number> {
    const member = this.members.get(name)!;
    const began = performance.now();
    const log = openSync(path.join(this.logFolder, `${name}.log`), 'a');
    const env = { ...process.env, ...this.env, SERVE: name, PORT: String(member.port), ...(name === 'gateway' ? { SUBGRAPH_URLS: this.subgraphUrls() } : {}) };
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/start.ts'], { cwd: projectRoot, env, stdio: ['ignore', log, log] });
    closeSync(log);
    children.add(child);
    member.child = child;
    member.stopping = false;
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (member.child === child) member.child = undefined;
      if (!member.stopping) this.crashes.push({ name, code, signal, at: Date.now() });
    });
    await this.ready(name, readyWithinMs);
    return (performance.now() - began) / 1000;
  }

  /** kill -9: the process ends at once, with whatever it held. */
  kill(name: MemberName): void {
    const member = this.members.get(name)!;
    member.stopping = true;
    member.child?.kill('SIGKILL');
  }

  /** Waits until the member's /readyz answers 200. */
  async ready(name: MemberName, withinMs = 180_000): Promise<void> {
    const member = this.members.get(name)!;
    const log = path.join(this.logFolder, `${name}.log`);
    await untilOk(`http://127.0.0.1:${member.port}/readyz`, withinMs, (late) => {
      if (!member.child) return `${name} exited before it was ready (see ${log})`;
      if (late) return `${name} not ready within ${withinMs / 1000} s (see ${log})`;
    });
  }

  /** Waits until every member is ready, restarting any that crashed. */
  async allReady(withinMs = 180_000): Promise<void> {
    for (const member of this.members.values()) {
      if (!member.child) await this.launch(member.name, withinMs);
      else await this.ready(member.name, withinMs);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.members.values()].map(async (member) => {
        member.stopping = true;
        if (member.child) await stopChild(member.child);
      }),
    );
    this.database.close();
    for (const proxy of this.subgraphs.values()) proxy.close();
  }
}
