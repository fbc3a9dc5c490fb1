/*
 * The register as a cluster on one machine (README, "The register as a cluster"; `npm run cluster`):
 * replicas of the gateway and of every subgraph, each a process as `npm start` starts it with SERVE
 * set, on PostgreSQL and Redis, behind HAProxy. Clients reach the gateways through HAProxy, and the
 * gateways reach each subgraph through HAProxy too, so that a dead replica of either is passed over.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../kernel/config.ts';
import { subgraphs } from '../subgraphs/index.ts';

export interface ClusterOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Where clients reach the register (HAProxy's front); 0 picks a free port. */
  port: number;
  /** The first of the ports behind it (HAProxy's subgraph fronts, then every replica's); 0 picks free ones. */
  portsFrom: number;
  /** Replicas of the gateway and of each subgraph. @default 2 */
  replicas?: number;
  /** Where the configuration and each process's log go. */
  folder: string;
  /** More environment for every replica (RATE_LIMIT, LOG_LEVEL, …). */
  env?: Record<string, string>;
  /** Hears what happens: a replica started, or one that ended without being asked to. */
  say(message: string): void;
}

export interface Member {
  /** `gateway-1`, `learners-2`, …, `haproxy`. */
  name: string;
  /** `gateway`, a subgraph's name, or `haproxy`. */
  serve: string;
  port: number;
  pid: number | undefined;
  log: string;
}

/** The command that installs HAProxy, for the message when it is missing. */
export const haproxyInstall = 'apt-get install haproxy (Debian and Ubuntu; as root)';

/** Whether `haproxy` can be run here. */
export function haproxyInstalled(): boolean {
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Every child still running when this process ends is killed with it: no replica outlives its cluster. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

interface Running extends Member {
  child: ChildProcess | undefined;
  /** Set when the cluster means it to end, so that its end is not reported as a death. */
  stopping: boolean;
  /** What its environment adds to the cluster's. */
  env: Record<string, string>;
}

export class Cluster {
  private constructor(
    /** The register's GraphQL URL, at HAProxy. */
    readonly url: string,
    private readonly running: Running[],
    private readonly options: ClusterOptions,
    /** Where HAProxy's generated configuration is. */
    readonly haproxyConfig: string,
  ) {}

  /**
   * Starts the cluster: HAProxy, then institutions' replicas (the first alone: it seeds the school
   * list the others read), the other subgraphs', then the gateways', each once the one before is
   * ready. Resolves once every replica answers /readyz with 200 and HAProxy passes requests on.
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    if (!haproxyInstalled()) throw new Error(`HAProxy is not installed: ${haproxyInstall}`);
    const replicas = options.replicas ?? 2;
    const names = subgraphs.map((subgraph) => subgraph.name);
    const ports = await portsFor(options, names.length + (names.length + 1) * replicas);
    const front = names.map((name, i) => ({ name, port: ports[i]! }));
    const logs = path.join(options.folder, 'logs');
    mkdirSync(logs, { recursive: true });
    const member = (serve: string, n: number, port: number): Running => ({
      name: `${serve}-${n}`,
      serve,
      port,
      pid: undefined,
      log: path.join(logs, `${serve}-${n}.log`),
      child: undefined,
      stopping: false,
      env: {},
    });
    let next = names.length;
    const members = [...names, 'gateway'].flatMap((serve) => Array.from({ length: replicas }, (_, i) => member(serve, i + 1, ports[next++]!)));
    const haproxyConfig = path.join(options.folder, 'haproxy.cfg');
    const port = options.port || (await freePort());
    writeFileSync(haproxyConfig, haproxyConfiguration(port, front, members));
    const haproxy: Running = { ...member('haproxy', 1, port), name: 'haproxy', log: path.join(logs, 'haproxy.log') };
    const cluster = new Cluster(`http://127.0.0.1:${port}/graphql`, [haproxy, ...members], options, haproxyConfig);
    const subgraphUrls = front.map(({ name, port }) => `${name}=http://127.0.0.1:${port}/graphql`).join(',');
    try {
      cluster.launch(haproxy, 'haproxy', ['-db', '-f', haproxyConfig], {});
      const of = (serve: string) => members.filter((each) => each.serve === serve);
      const [first, ...others] = of('institutions');
      await cluster.launchReplica(first!);
      await Promise.all(others.map((each) => cluster.launchReplica(each)));
      await Promise.all(names.filter((name) => name !== 'institutions').flatMap((name) => of(name).map((each) => cluster.launchReplica(each))));
      await Promise.all(of('gateway').map((each) => cluster.launchReplica(Object.assign(each, { env: { SUBGRAPH_URLS: subgraphUrls } }))));
      await cluster.passesOn();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Every process: HAProxy and each replica, with its port, pid and log. */
  get members(): Member[] {
    return this.running.map(({ name, serve, port, pid, log, child }) => ({ name, serve, port, pid: child ? pid : undefined, log }));
  }

  /** The replicas of `serve` (`gateway` or a subgraph's name). */
  replicasOf(serve: string): Member[] {
    return this.members.filter((member) => member.serve === serve);
  }

  /** Starts a replica that died again, on its port, and waits until it is ready. */
  async restart(name: string): Promise<void> {
    const member = this.running.find((each) => each.name === name && each.serve !== 'haproxy');
    if (!member || member.child) throw new Error(`${name} is not a replica that has ended`);
    await this.launchReplica(member);
  }

  /** The resident memory of every running process, in bytes (Linux: /proc/<pid>/status, VmRSS). */
  memory(): { name: string; bytes: number }[] {
    return this.members
      .filter((member) => member.pid !== undefined)
      .map((member) => {
        const status = readFileSync(`/proc/${member.pid}/status`, 'utf8');
        return { name: member.name, bytes: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024 };
      });
  }

  /** Stops every process: SIGTERM, which each replica answers by closing cleanly, and SIGKILL after 10 s. */
  async stop(): Promise<void> {
    // The gateways first, then the subgraphs, HAProxy last: nothing is left calling what has gone.
    const order = ['gateway', ...subgraphs.map((subgraph) => subgraph.name), 'haproxy'];
    for (const serve of order) {
      await Promise.all(
        this.running
          .filter((member) => member.serve === serve)
          .map(async (member) => {
            member.stopping = true;
            if (member.child) await stopChild(member.child);
          }),
      );
    }
  }

  private async launchReplica(member: Running): Promise<void> {
    const started = performance.now();
    const replicaEnv = {
      ...this.options.env,
      DATABASE_URL: this.options.databaseUrl,
      REDIS_URL: this.options.redisUrl,
      HOST: '127.0.0.1',
      SERVE: member.serve,
      PORT: String(member.port),
      ...member.env,
    };
    this.launch(member, process.execPath, ['--import', 'tsx', 'cli/start.ts'], replicaEnv);
    await this.ready(member);
    this.options.say(`${member.name} ready on port ${member.port} (pid ${member.pid}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }

  private launch(member: Running, command: string, args: string[], env: Record<string, string>): void {
    const log = openSync(member.log, 'a');
    // A process group of its own: Ctrl-C reaches the cluster alone, which stops the replicas in order.
    const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    children.add(child);
    Object.assign(member, { child, pid: child.pid, stopping: false });
    child.once('error', (error) => this.options.say(`${member.name} could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (member.child === child) member.child = undefined;
      if (!member.stopping) this.options.say(`${member.name} (pid ${child.pid}) died: ${signal ?? `exit code ${code}`}; its log: ${member.log}`);
    });
  }

  /** Waits until the replica's /readyz answers 200; a replica that ends first, or is not ready in 3 minutes, fails the start. */
  private async ready(member: Running, withinMs = 180_000): Promise<void> {
    await untilOk(`http://127.0.0.1:${member.port}/readyz`, withinMs, (late) => {
      if (!member.child) return `${member.name} ended before it was ready (its log: ${member.log})`;
      if (late) return `${member.name} was not ready within ${withinMs / 1000} s (its log: ${member.log})`;
    });
  }

  /** Waits until HAProxy has seen a gateway up (its checks run every second) and passes a request on. */
  private async passesOn(withinMs = 30_000): Promise<void> {
    const healthz = new URL('/healthz', this.url);
    await untilOk(healthz, withinMs, (late) => (late ? `HAProxy passes nothing on at ${healthz} (its log: ${this.running[0]!.log})` : undefined));
  }
}

/**
 * Asks `url` every 250 ms until it answers 200. `stop` says why to give up, or nothing to go on; it
 * is told whether `withinMs` has passed.
 */
export async function untilOk(url: string | URL, withinMs: number, stop: (late: boolean) => string | undefined): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
      (response) => (void response.body?.cancel(), response.status),
      () => 0,
    );
    if (status === 200) return;
    const why = stop(Date.now() > deadline);
    if (why) throw new Error(why);
    await sleep(250);
  }
}

/**
 * HAProxy's configuration (https://docs.haproxy.org/2.6/configuration.html): one front for clients
 * before the gateways, one per subgraph before its replicas, for the gateways.
 *
 * - Health: a subgraph replica is taken out when its /readyz fails twice (1 s apart), as it cannot
 *   serve then (database out, starting). A gateway replica by /healthz: every gateway's /readyz fails
 *   while any one subgraph is wholly out, and taking them all out would leave clients without the
 *   partial answers the gateways still give (README, "Logs, traces, metrics and health").
 * - A replica that refuses or resets the connection (killed) is retried on another (`retries`,
 *   `option redispatch`): only a connection that failed is retried, never a request that was sent.
 * - WebSocket: once upgraded, a connection is a tunnel, and `timeout tunnel` applies instead of
 *   client and server timeouts; one hour, far above the keep-alive ping (KEEPALIVE_SECONDS) that
 *   keeps it busy. Subscriptions go to the replica with the fewest connections (`leastconn`).
 * - `timeout server` is above REQUEST_TIMEOUT (30 s), which answers first.
 */
export function haproxyConfiguration(port: number, front: { name: string; port: number }[], members: Member[]): string {
  const servers = (serve: string) =>
    members
      .filter((member) => member.serve === serve)
      .map((member) => `  server ${member.name} 127.0.0.1:${member.port} check`)
      .join('\n');
  const section = (name: string, bind: number, probe: string, balance: string) => `frontend ${name}
  bind 127.0.0.1:${bind}
  default_backend ${name}

backend ${name}
  balance ${balance}
  option httpchk GET ${probe}
  http-check expect status 200
${servers(name === 'register' ? 'gateway' : name)}
`;
  return `# Generated by npm run cluster (system/cluster.ts); changes here are overwritten at its next start.
global
  maxconn 4096

defaults
  mode http
  option redispatch
  retries 3
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  timeout client-fin 5s
  timeout http-request 10s
  default-server inter 1s fall 2 rise 2

${section('register', port, '/healthz', 'leastconn')}
${front.map(({ name, port }) => section(name, port, '/readyz', 'roundrobin')).join('\n')}`;
}

/** `count` ports from `portsFrom` on, or free ones when it is 0. */
async function portsFor(options: ClusterOptions, count: number): Promise<number[]> {
  if (options.portsFrom) return Array.from({ length: count }, (_, i) => options.portsFrom + i);
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** Stops a child process as a process manager would: SIGTERM, and SIGKILL if it has not exited within 10 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(forced);
}

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
