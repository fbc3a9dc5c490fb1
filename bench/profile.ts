/**
 * Where a process's CPU time went, from the V8 profile `node --cpu-prof` writes on exit: self time by
 * package (a dependency under node_modules, a file of the project, Node's internals, the garbage
 * collector) and by function. `npm run bench -- --profile` profiles the register's processes and
 * prints this for each; on its own:
 *
 *   node --import tsx bench/profile.ts <file.cpuprofile | a process's folder | bench/results/profiles> [--top N]
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../kernel/config.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time without idle, in ms. */
  busyMs: number;
  idleMs: number;
  byPackage: Share[];
  byFunction: Share[];
}

/** The package a frame belongs to: `graphql`, `@apollo/gateway`, `kernel/subgraph.ts`, `node:internal`, `(garbage collector)`. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first!.startsWith('@') ? `${first}/${second}` : first!;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const file = url.replace(/^file:\/\//, '');
  return file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file;
}

export async function summarise(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return void (idle += ms);
    busy += ms;
    const owner = packageOf(url, functionName);
    packages.set(owner, (packages.get(owner) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${owner}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  });
  const shares = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: Math.round((1000 * ms) / busy) / 10 }));
  return { busyMs: Math.round(busy), idleMs: Math.round(idle), byPackage: shares(packages), byFunction: shares(functions) };
}

/**
 * The summary of one process from the folder `--cpu-prof-dir` gave it: V8 writes a profile per
 * thread (tsx loads modules in a thread of its own), and the main thread is the busiest.
 */
export async function summariseProcess(folder: string, top = 15): Promise<ProfileSummary> {
  const files = (await readdir(folder)).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`${folder} holds no .cpuprofile`);
  const threads = await Promise.all(files.map((file) => summarise(path.join(folder, file), top)));
  return threads.sort((a, b) => b.busyMs - a.busyMs)[0]!;
}

/** The summary as Markdown lines. */
export function describe(title: string, summary: ProfileSummary): string[] {
  const rows = (shares: Share[]) => shares.map((share) => `| ${share.name.replace(/\|/g, '\\|')} | ${share.ms} | ${share.percent}% |`);
  return [
    `#### ${title}: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`,
    '',
    '| package | self ms | of busy |',
    '|---|--:|--:|',
    ...rows(summary.byPackage),
    '',
    '| function | self ms | of busy |',
    '|---|--:|--:|',
    ...rows(summary.byFunction),
    '',
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
  const target = positionals[0];
  if (!target) {
    console.error("usage: node --import tsx bench/profile.ts <file.cpuprofile | a process's folder | bench/results/profiles> [--top N]");
    process.exit(2);
  }
  const top = Number(values.top);
  if (!(await stat(target)).isDirectory()) console.log(describe(path.basename(target), await summarise(target, top)).join('\n'));
  else {
    const entries = await readdir(target, { withFileTypes: true });
    // bench/results/profiles holds a folder per process; a process's folder holds its threads' profiles.
    const processes = entries.some((entry) => entry.isDirectory())
      ? entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(target, entry.name))
      : [target];
    for (const folder of processes) console.log(describe(path.basename(folder), await summariseProcess(folder, top)).join('\n'));
  }
}
