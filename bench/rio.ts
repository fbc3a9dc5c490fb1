/**
 * What a board's change to RIO costs and how soon the other registers follow it (README, "RIO changes
 * by boards"). Starts the embedded system (on PostgreSQL when DATABASE_URL names a server; the benchmark
 * makes and drops its own database there), then `--changes` times: the board of 16AH registers a
 * location for 16AH00 and offers a programme there, and the school's system tries to enroll a learner
 * at it until the learners register takes it. Then applies the bundled school file again, before and
 * after those changes, so that the import's cost of recording where boards' objects differ shows.
 * Prints the figures and writes them to bench/results/rio.json. Not a test: it asserts nothing.
 *
 *   npm run bench:rio -- --changes 30
 */
import { parseArgs } from 'node:util';
import { addDays } from '../kernel/calendar.ts';
import { today } from '../kernel/scalars.ts';
import { bundledSchoolFile, importSchoolFile } from '../subgraphs/institutions/import.ts';
import { bsnFor, startTestSystem } from '../test/harness.ts';
import { writeResults } from './results.ts';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '30' } } });
const changes = Number(values.changes);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), max: Math.round(sorted.at(-1)!) };
};

const system = await startTestSystem();
try {
  console.log(`database: ${system.config.databaseUrl ? 'PostgreSQL' : 'PGlite'}; ${changes} changes`);
  const board = await system.token({ role: 'BOARD', board: '042B830' });
  const school = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const start = performance.now();
    const result = await work();
    return [result, performance.now() - start];
  };
  const reimport = async (day: string) => (await timed(() => importSchoolFile(system.system.database!.db, bundledSchoolFile, { referenceDate: day })))[1];
  const before = await reimport(addDays(today(), 1));

  const figures = { registerLocation: [] as number[], registerOfferedProgramme: [] as number[], enrollableAfter: [] as number[], tries: [] as number[] };
  for (let n = 0; n < changes; n++) {
    const [opened, openMs] = await timed(() =>
      system.query<{ registerLocation: { location: { code: string } } }>(
        'mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { location { code } } }',
        {
          token: board,
          variables: {
            input: {
              documentId: `bench-location-${n}`,
              brin6: '16AH00',
              address: { street: 'Benchstraat', houseNumber: String(n + 1), postcode: '7822 HH', city: 'EMMEN', municipalityCode: '0114' },
              startDate: '2024-08-01',
            },
          },
        },
      ),
    );
    const locationCode = opened.data!.registerLocation.location.code;
    const [offered, offerMs] = await timed(() =>
      system.query<{ registerOfferedProgramme: { id: string } }>(
        'mutation($input: RegisterOfferedProgrammeInput!) { registerOfferedProgramme(input: $input) { id } }',
        {
          token: board,
          variables: { input: { documentId: `bench-programme-${n}`, providerCode: '010A823', locationCode, kind: 'BASISONDERWIJS', startDate: '2024-08-01' } },
        },
      ),
    );
    const start = performance.now();
    let tries = 0;
    for (;;) {
      tries++;
      const enrolled = await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
        token: school,
        variables: {
          input: {
            documentId: `bench-enroll-${n}`,
            learner: { pgn: bsnFor(2_000_000 + n), birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822HH' },
            providerCode: '010A823',
            locationCode,
            offeredProgrammeId: offered.data!.registerOfferedProgramme.id,
            startDate: '2024-08-01',
            group: 3,
            schoolEnrollmentNumber: `B${n}`,
          },
        },
      });
      if (!enrolled.errors) break;
      if (performance.now() - start > 10_000) throw new Error(`No enrollment after 10 s: ${enrolled.errors[0]!.message}`);
    }
    figures.registerLocation.push(openMs);
    figures.registerOfferedProgramme.push(offerMs);
    figures.enrollableAfter.push(performance.now() - start);
    figures.tries.push(tries);
  }
  const after = await reimport(addDays(today(), 2));
  const result = {
    database: system.config.databaseUrl ? 'PostgreSQL' : 'PGlite',
    changes,
    registerLocationMs: summary(figures.registerLocation),
    registerOfferedProgrammeMs: summary(figures.registerOfferedProgramme),
    enrollableAfterMs: summary(figures.enrollableAfter),
    enrollTries: summary(figures.tries),
    reimportMs: { beforeChanges: Math.round(before), afterChanges: Math.round(after) },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${await writeResults('rio', result)}`);
} finally {
  await system.close();
}
