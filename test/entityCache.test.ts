import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import { today } from '../kernel/scalars.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';
import { bundledSchoolFile, importSchoolFile } from '../subgraphs/institutions/import.ts';
import { bsnFor, enrollmentInput, eventually, importPersonLines, personLine, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/*
 * The gateway's entity cache (gateway/cache.ts) answers an entity from memory until the event that
 * changes it: each case first shows the cache answering (its hits counted at /metrics), then makes
 * the change and reads at once, as a reader who saw the change's commit (the mutation's answer).
 */

interface Status {
  countDate: string;
  phase: string;
  outcome: string;
  reasons: string[];
}

type Read = { enrollment: { id: string; location: { code: string; address: { city: string } }; fundingStatus: Status | null } };

describe("the gateway's entity cache", () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let serial = 0;

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
  });
  afterAll(() => system?.close());

  /** Entities the cache answered from memory so far, of a class. */
  async function hits(name: string): Promise<number> {
    const text = await (await fetch(new URL('/metrics', system.url))).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`register_gateway_cache_lookups_total{class="${name}",result="hit"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  const read = (token: string, id: string) =>
    system.query<Read>('query($id: ID!) { enrollment(id: $id) { id location { code address { city } } fundingStatus { countDate phase outcome reasons } } }', {
      token,
      variables: { id },
    });

  async function enroll(at: School, overrides: Record<string, unknown> = {}, pgn?: string) {
    const n = 95_000 + ++serial;
    const response = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      { token: at.token, variables: { input: enrollmentInput(at, n, overrides, pgn ? { pgn } : {}) } },
    );
    expect(response.errors).toBeUndefined();
    return { id: response.data!.enrollLearner.enrollment.id, pgn: pgn ?? bsnFor(n) };
  }

  /**
   * Reads until the cache answers both the status and the location, and returns that answer. The
   * first reads may be misses: the enrollment's own events (funding announcing its first status, a
   * moment after learners committed it) drop what an earlier read kept.
   */
  async function cached(token: string, id: string): Promise<Read['enrollment']> {
    const first = await read(token, id);
    expect(first.errors).toBeUndefined();
    for (let attempt = 0; attempt < 5; attempt++) {
      const [funding, rio] = [await hits('funding'), await hits('rio')];
      const again = await read(token, id);
      expect(again.data).toEqual(first.data);
      if ((await hits('funding')) > funding && (await hits('rio')) > rio) return again.data!.enrollment;
    }
    throw new Error(`enrollment ${id} was not answered from the cache in five reads`);
  }

  it("never serves a status a learners event changed: another school's enrollment makes the cached one a double enrollment", async () => {
    const countDate = currentCountDate(today());
    const old = await enroll(a);
    expect((await cached(a.token, old.id)).fundingStatus).toMatchObject({ outcome: 'FUNDABLE', reasons: [] });

    // The mutation asks nothing of funding: only the events tell the cache.
    await enroll(b, { startDate: addDays(countDate, -20) }, old.pgn);
    const after = await read(a.token, old.id);
    expect(after.data!.enrollment.fundingStatus).toMatchObject({ outcome: 'NOT_FUNDABLE', reasons: ['DOUBLE_ENROLLMENT'] });
  });

  it("never serves a status a person's event changed: the person register's birth date changes its explanation, not its outcome", async () => {
    const enrolled = await enroll(a);
    const explained = async () =>
      (
        await system.query<{ enrollment: { fundingStatus: { outcome: string; explanation: string } } }>(
          'query($id: ID!) { enrollment(id: $id) { fundingStatus { outcome explanation } } }',
          { token: a.token, variables: { id: enrolled.id } },
        )
      ).data!.enrollment.fundingStatus;
    const before = await explained();
    const funding = await hits('funding');
    for (let attempt = 0; attempt < 5 && (await hits('funding')) === funding; attempt++) expect(await explained()).toEqual(before);
    expect(await hits('funding')).toBeGreaterThan(funding);

    // The same birth date as delivered: the outcome stays, so funding announces no changed status.
    await importPersonLines(system, [personLine(enrolled.pgn, { birthDate: '2019-03-01' })]);
    const after = await explained();
    expect(after.outcome).toBe(before.outcome);
    expect(after.explanation).not.toBe(before.explanation);
  });

  it("drops exactly what an event changes: another learner's enrollment leaves a cached status in the cache", async () => {
    const kept = await enroll(a);
    await cached(a.token, kept.id);
    await enroll(a);
    const before = await hits('funding');
    expect((await read(a.token, kept.id)).data!.enrollment.fundingStatus).toMatchObject({ outcome: 'FUNDABLE' });
    expect(await hits('funding')).toBeGreaterThan(before);
  });

  it('never serves a RIO object the monthly school file changed: the institutions event drops it', async () => {
    const enrolled = await enroll(a);
    const name = (token: string) =>
      system.query<{ enrollment: { branch: { name: string } } }>('query($id: ID!) { enrollment(id: $id) { branch { name } } }', {
        token,
        variables: { id: enrolled.id },
      });
    const before = (await name(a.token)).data!.enrollment.branch.name;
    const rio = await hits('rio');
    expect((await name(a.token)).data!.enrollment.branch.name).toBe(before);
    expect(await hits('rio')).toBeGreaterThan(rio);

    // The same school file with the branch renamed, as next month's would.
    const lines = (await readFile(bundledSchoolFile)).toString('latin1').split('\r\n');
    const renamed = lines.map((line) =>
      line.split(';')[3] === a.brin6
        ? line
            .split(';')
            .map((value, column) => (column === 4 ? `${value} (vernoemd)` : value))
            .join(';')
        : line,
    );
    const folder = await mkdtemp(path.join(tmpdir(), 'school-file-'));
    try {
      await writeFile(path.join(folder, 'next.csv'), Buffer.from(renamed.join('\r\n'), 'latin1'));
      await importSchoolFile(system.system.database!.db, path.join(folder, 'next.csv'), { referenceDate: today() });
    } finally {
      await rm(folder, { recursive: true });
    }
    expect((await name(a.token)).data!.enrollment.branch.name).toBe(`${before} (vernoemd)`);
  });

  it("drops a location whose history an import changed though it wrote nothing else: a board's location the file does not list", async () => {
    const board = await system.token({ role: 'BOARD', board: '042B830' });
    const opened = await system.query<{ registerLocation: { location: { code: string } } }>(
      'mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { location { code } } }',
      {
        token: board,
        variables: {
          input: {
            documentId: 'cache-location',
            brin6: a.brin6,
            address: { street: 'Cachestraat', houseNumber: '1', postcode: '7822 HH', city: 'EMMEN', municipalityCode: '0114' },
            startDate: '2024-08-01',
          },
        },
      },
    );
    const locationCode = opened.data!.registerLocation.location.code;
    const offered = await system.query<{ registerOfferedProgramme: { id: string } }>(
      'mutation($input: RegisterOfferedProgrammeInput!) { registerOfferedProgramme(input: $input) { id } }',
      {
        token: board,
        variables: { input: { documentId: 'cache-programme', providerCode: a.providerCode, locationCode, kind: 'BASISONDERWIJS', startDate: '2024-08-01' } },
      },
    );
    const there = { ...a, locationCode, offeredProgrammeId: offered.data!.registerOfferedProgramme.id };
    let id = '';
    await eventually('the learners register to take the enrollment at the new location', async () => {
      id = (await enroll(there)).id;
    });
    const kinds = async () =>
      (
        await system.query<{ enrollment: { location: { history: { kind: string }[] } } }>(
          'query($id: ID!) { enrollment(id: $id) { location { history { kind } } } }',
          {
            token: a.token,
            variables: { id },
          },
        )
      ).data!.enrollment.location.history.map((change) => change.kind);
    expect(await kinds()).toEqual(['CREATED']);
    const rio = await hits('rio');
    expect(await kinds()).toEqual(['CREATED']);
    expect(await hits('rio')).toBeGreaterThan(rio);

    // The file does not list the board's location: the import records the difference, and writes nothing else.
    await importSchoolFile(system.system.database!.db, bundledSchoolFile, { referenceDate: today() });
    expect(await kinds()).toEqual(['CREATED', 'DIFFERS']);
  });

  it("keeps one viewer's answers from another: the municipality the learner lives in is not given the school's cached status", async () => {
    const enrolled = await enroll(a);
    await cached(a.token, enrolled.id);
    // Emmen (0114), where postcode 7822 HG lies: it may see its resident's enrollment, not its funding.
    const municipality = await system.token({ role: 'MUNICIPALITY', municipality: '0114' });
    const other = await read(municipality, enrolled.id);
    expect(other.data?.enrollment).toMatchObject({ id: enrolled.id, fundingStatus: null });
    expect(other.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
