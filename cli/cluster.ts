/*
 * npm run cluster: the register as a cluster on this machine (system/cluster.ts; README, "The register
 * as a cluster"): two replicas of the gateway and of each subgraph behind HAProxy, on PostgreSQL
 * (DATABASE_URL) and Redis (REDIS_URL).
 *
 *   DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379 npm run cluster [-- --port 4000 --ports-from 4100 --replicas 2]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot, readConfig } from '../kernel/config.ts';
import { Cluster, haproxyInstall, haproxyInstalled } from '../system/cluster.ts';
import { ensureWebBuild } from '../web/build.ts';
import { runCommand, UsageError } from './command.ts';

const port = (text: string, flag: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new UsageError(`${flag} must be a port number, 1 to 65535, not ${text}`);
  return value;
};

runCommand(async () => {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '4000' }, 'ports-from': { type: 'string', default: '4100' }, replicas: { type: 'string', default: '2' } },
  });
  const replicas = Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) throw new UsageError(`--replicas must be a whole number, 1 to 8, not ${values.replicas}`);
  const config = readConfig();
  const missing = [
    ...(config.databaseUrl ? [] : ['DATABASE_URL, a PostgreSQL database all replicas share (postgres://user@host:5432/register)']),
    ...(config.redisUrl ? [] : ['REDIS_URL, the Redis where the gateways share the rate limit (redis://127.0.0.1:6379)']),
    ...(haproxyInstalled() ? [] : [`HAProxy, which is not installed: ${haproxyInstall}`]),
  ];
  if (missing.length) throw new UsageError(`npm run cluster needs:\n${missing.map((line) => `  ${line}`).join('\n')}`);
  const startedAt = performance.now();
  const folder = path.join(projectRoot, '.data', 'cluster');
  await ensureWebBuild();
  console.log(
    `Register Graph as a cluster: ${replicas} replicas of the gateway and of each subgraph behind HAProxy; logs in ${path.relative(process.cwd(), folder) || '.'}/logs`,
  );
  const cluster = await Cluster.start({
    databaseUrl: config.databaseUrl!,
    redisUrl: config.redisUrl!,
    port: port(values.port, '--port'),
    portsFrom: port(values['ports-from'], '--ports-from'),
    replicas,
    folder,
    say: (message) => console.log(`  ${message}`),
  });
  const resident = new Map(cluster.memory().map(({ name, bytes }) => [name, bytes]));
  const memory = [...resident.values()].reduce((sum, bytes) => sum + bytes, 0);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  console.log('Processes:');
  for (const member of cluster.members)
    console.log(
      `  ${member.name.padEnd(16)} pid ${String(member.pid).padEnd(8)} port ${String(member.port).padEnd(6)} ${mib(resident.get(member.name) ?? 0)} resident`,
    );
  console.log(`HAProxy's configuration: ${cluster.haproxyConfig}`);
  console.log(`GraphQL: ${cluster.url}`);
  console.log(
    `Ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s, ${mib(memory)} resident over ${cluster.members.length} processes. Stop with Ctrl-C.`,
  );
  const stop = (signal: string) => {
    console.log(`${signal}: stopping every process`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
});
