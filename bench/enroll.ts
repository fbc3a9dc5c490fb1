/**
 * Bulk enrollments per second through the gateway (issue: learners register). Starts the embedded
 * system on a fresh PostgreSQL database (DATABASE_URL names the server; the benchmark creates and drops
 * its own database there), then sends `--calls` enrollLearners calls of `--size` enrollments each,
 * `--concurrency` at a time, for one school, and prints the figures, which it also writes to
 * bench/results/enroll.json. Not a test: it asserts nothing.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:enroll -- --calls 20
 */
import { parseArgs } from 'node:util';
import { bsnFor, startTestSystem } from '../test/harness.ts';
import { writeResults } from './results.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    size: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '2' },
    school: { type: 'string', default: '16AH00' },
  },
});
const calls = Number(values.calls);
const size = Number(values.size);
const concurrency = Number(values.concurrency);

const system = await startTestSystem();
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
  const latencies: number[] = [];
  let stored = 0;
  let next = 0;
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
  latencies.sort((x, y) => x - y);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(0);
  console.log(
    `\n${calls} calls of ${size}, ${concurrency} at a time: ${stored} enrollments in ${seconds.toFixed(2)} s = ${Math.round(stored / seconds)} enrollments/s; per call p50 ${percentile(50)} ms, p99 ${percentile(99)} ms`,
  );
  await writeResults('enroll', {
    calls,
    size,
    concurrency,
    stored,
    seconds,
    perSecond: stored / seconds,
    callP50Ms: Number(percentile(50)),
    callP99Ms: Number(percentile(99)),
  });
} finally {
  await system.close();
}
