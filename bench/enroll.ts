/**
 * Bulk enrollments per second through the gateway (issue: learners register). Starts the embedded
 * system on a fresh PostgreSQL database (DATABASE_URL names the server; the benchmark creates and drops
 * its own database there), then sends `--calls` enrollLearners calls of `--size` enrollments each,
 * `--concurrency` at a time, for one school, and prints the figures, which it also writes to
 * bench/results/enroll.json. Not a test: it asserts nothing.
 *
 * The whole system runs in this process, so its CPU time per call is the gateway's, the subgraphs'
 * and the stream consumers' together. PostgreSQL's is given twice: that of the backends serving the
 * benchmark's database (those open at the end; one that closed meanwhile is not counted), and that
 * of every postgres process on the machine (which counts other work on a shared server).
 * `--profile` records a V8 CPU profile of the measured calls only (bench/results/enroll.cpuprofile,
 * summarised as bench/profile.ts does).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:enroll -- --calls 20 [--profile]
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { bsnFor, startTestSystem } from '../test/harness.ts';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../kernel/db.ts';
import { cpuSecondsOf, postgresCpuSeconds } from './processes.ts';
import { describe, summarise } from './profile.ts';
import { resultsFolder, writeResults } from './results.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    size: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '2' },
    school: { type: 'string', default: '16AH00' },
    profile: { type: 'boolean', default: false },
  },
});
const calls = Number(values.calls);
const size = Number(values.size);
const concurrency = Number(values.concurrency);

const system = await startTestSystem();
/** CPU seconds so far of the backends now serving the benchmark's database, by process id. */
const ownBackends = async () =>
  new Map(
    rowsOf<{ pid: number }>(await system.system.database!.db.execute(sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)).map(
      ({ pid }) => [pid, cpuSecondsOf(pid) ?? 0],
    ),
  );
try {
  console.log(`database: ${system.config.databaseUrl ? 'PostgreSQL' : 'PGlite (set DATABASE_URL for the figure that counts)'}`);
  const { data } = await system.query<{ branch: { provider: { code: string }; location: { code: string }; offeredProgrammes: { id: string }[] } }>(
    'query($brin6: ID!) { branch(brin6: $brin6) { provider { code } location { code } offeredProgrammes { id } } }',
    { variables: { brin6: values.school } },
  );
  const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: values.school });
  const call = (index: number) =>
    Array.from({ length: size }, (_, i) => ({
      documentId: `bench-${index}-${i}`,
      learner: { pgn: bsnFor(1_000_000 + index * size + i), birthDate: '2018-05-01', gender: 'MALE', postcode: '7822HG' },
      providerCode: data!.branch.provider.code,
      locationCode: data!.branch.location.code,
      offeredProgrammeId: data!.branch.offeredProgrammes[0]!.id,
      startDate: '2024-08-01',
      group: 3,
      schoolEnrollmentNumber: `B${index + 1}N${i}`,
    }));
  const mutation = 'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { id } failures { index message } } }';
  // One call first, outside the measurement: it warms the query plan cache and the database.
  await system.query(mutation, { variables: { input: { items: call(-1) } }, token });
  const profiler = values.profile ? new Session() : undefined;
  profiler?.connect();
  await profiler?.post('Profiler.enable');
  await profiler?.post('Profiler.start');
  const latencies: number[] = [];
  let stored = 0;
  let next = 0;
  const cpuBefore = { process: process.cpuUsage(), postgres: postgresCpuSeconds(), backends: await ownBackends() };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < calls; index = next++) {
        const items = call(index);
        const begun = performance.now();
        const response = await system.query<{ enrollLearners: { enrollments: unknown[]; failures: unknown[] } }>(mutation, {
          variables: { input: { items } },
          token,
        });
        latencies.push(performance.now() - begun);
        if (response.errors || response.data!.enrollLearners.failures.length)
          throw new Error(JSON.stringify(response.errors ?? response.data!.enrollLearners.failures.slice(0, 3)));
        stored += response.data!.enrollLearners.enrollments.length;
        process.stdout.write(`\r${stored} enrollments stored`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore.process);
  const processCpuMsPerCall = (cpu.user + cpu.system) / 1000 / calls;
  const postgresCpuMsPerCall = ((postgresCpuSeconds() - cpuBefore.postgres) * 1000) / calls;
  const backendsCpuMsPerCall =
    ([...(await ownBackends())].reduce((total, [pid, seconds]) => total + seconds - (cpuBefore.backends.get(pid) ?? 0), 0) * 1000) / calls;
  latencies.sort((x, y) => x - y);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(0);
  console.log(
    `\n${calls} calls of ${size}, ${concurrency} at a time: ${stored} enrollments in ${seconds.toFixed(2)} s = ${Math.round(stored / seconds)} enrollments/s; per call p50 ${percentile(50)} ms, p99 ${percentile(99)} ms`,
  );
  console.log(
    `CPU per call: this process ${processCpuMsPerCall.toFixed(0)} ms, PostgreSQL ${backendsCpuMsPerCall.toFixed(0)} ms (the database's backends), ${postgresCpuMsPerCall.toFixed(0)} ms (every postgres process)`,
  );
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    const file = `${resultsFolder}enroll.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
    console.log(describe('the measured calls', await summarise(file, 30)).join('\n'));
  }
  await writeResults('enroll', {
    calls,
    size,
    concurrency,
    stored,
    seconds,
    perSecond: stored / seconds,
    callP50Ms: Number(percentile(50)),
    callP99Ms: Number(percentile(99)),
    processCpuMsPerCall,
    backendsCpuMsPerCall,
    postgresCpuMsPerCall,
  });
} finally {
  await system.close();
}
