/*
 * The processes `npm run bench` runs: the register's subgraphs and gateway as `npm start` runs them,
 * the comparison gateways, and one-off commands, each in a process of its own so that what it costs
 * is its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { projectRoot } from '../kernel/config.ts';

export interface Served {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const tsx = (file: string, ...args: string[]) => ['--import', 'tsx', file, ...args];

/** Every process started and not yet stopped: stopped on exit, also when the bench fails. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `node [nodeArgs] --import tsx <file>` and resolves once it prints `GraphQL: <url>`; every
 * line it prints is kept for the error should it exit first.
 */
export function serve(name: string, file: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [...nodeArgs, ...tsx(file, ...args)], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => (running.delete(child), resolve())));
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const url = /^GraphQL: (\S+)/.exec(line)?.[1];
        if (url) resolve({ name, url, pid: child.pid!, stop: () => stop(child, exited) });
      });
    }
    void exited.then(() => reject(new Error(`${name} exited before it served:\n${lines.slice(-20).join('\n')}`)));
  });
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(forced);
}

/** Runs a command to its end, showing its lines as `name: …`; rejects when it fails. */
export function runToEnd(name: string, command: string, args: string[], env: Record<string, string>, log: (line: string) => void): Promise<string[]> {
  const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      log(`  ${name}: ${line}`);
    });
  }
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      running.delete(child);
      if (code === 0) resolve(lines);
      else reject(new Error(`${name} failed (exit code ${code}):\n${lines.slice(-20).join('\n')}`));
    });
  });
}

/** `node --import tsx <file> <args>` to its end. */
export const runScript = (name: string, file: string, args: string[], env: Record<string, string>, log: (line: string) => void) =>
  runToEnd(name, process.execPath, tsx(file, ...args), env, log);

/** A port no process listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux port in use). */
const ticksPerSecond = 100;

/**
 * CPU seconds (user and system) a process has used so far, from /proc, with those of its children
 * that have ended (`withEnded`); undefined where there is no /proc.
 */
export function cpuSecondsOf(pid: number, withEnded = false): number | undefined {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces: utime, stime,
    // cutime, cstime are fields 14 to 17 of proc(5).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 15).map(Number);
    return (fields[0]! + fields[1]! + (withEnded ? fields[2]! + fields[3]! : 0)) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of every PostgreSQL process on this machine, the backends that ended included (the
 * server counts them as its ended children): a pool closing an idle connection loses no time here.
 * 0 without /proc.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuSecondsOf(Number(entry), true) ?? 0;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}
