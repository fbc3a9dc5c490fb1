import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readOperations } from '../gateway/composition.ts';
import { addDays } from '../kernel/calendar.ts';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { projectRoot, readConfig, type Config } from '../kernel/config.ts';
import { silentLogger } from '../kernel/logging.ts';
import { compareCursors } from '../kernel/events.ts';
import { today } from '../kernel/scalars.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { issueToken, type Viewer } from '../kernel/viewer.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';
import { enrollmentInput, eventually, freshDatabaseUrl, postGraphQL, schoolAt, type School, type TestSystem } from './harness.ts';

/*
 * The client examples in docs/clients, run as a developer runs them, as child processes against the
 * real system: the curl examples with bash, the TypeScript client with node --import tsx. Only the
 * URL and the tokens are substituted, through the environment variables the examples read.
 */

const vendor = '00000001800866472000';
const clients = path.join(projectRoot, 'docs', 'clients');

/** The test system, which the gateway-restart test stops and starts again on the same port and data. */
interface RestartableSystem extends TestSystem {
  restart(): Promise<void>;
}

/**
 * The embedded system as startTestSystem starts it, but on data that outlives the process (a
 * folder for PGlite, a fresh database with DATABASE_URL) and, once started, on a fixed port.
 */
async function startRestartableSystem(): Promise<RestartableSystem> {
  const fresh = await freshDatabaseUrl();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'register-graph-clients-'));
  // An event that cannot be completed is held 2 s, not a minute, before its subscribers are let go (4503).
  const environment = { ...process.env, DATA_DIR: path.join(dataDir, 'pglite'), EVENT_HOLD_SECONDS: '2', ...(fresh.url ? { DATABASE_URL: fresh.url } : {}) };
  let running: RunningSystem = await startSystem(readConfig({ ...environment, PORT: '0' }), { logger: silentLogger });
  const config: Config = readConfig({ ...environment, PORT: new URL(running.url).port });
  const operator = await issueToken({ role: 'OPERATOR' }, config.tokenSecret);
  return {
    config,
    get system() {
      return running;
    },
    get url() {
      return running.url;
    },
    token: (viewer: Viewer) => issueToken(viewer, config.tokenSecret),
    query: (query, options = {}) => postGraphQL(running.url, query, options.variables, options.token === undefined ? operator : options.token),
    restart: async () => {
      await running.close();
      running = await startSystem(config, { logger: silentLogger });
    },
    close: async () => {
      await running.close();
      await fresh.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Child {
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  kill(): Promise<number | null>;
}

/** Starts a command in the project folder with `environment` added, collecting what it prints. */
function start(command: string[], environment: Record<string, string>): Child {
  const child = spawn(command[0]!, command.slice(1), { cwd: projectRoot, env: { ...process.env, ...environment } });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const result: Child = { stdout: '', stderr: '', exited, kill: () => (child.kill('SIGKILL'), exited) };
  child.stdout.on('data', (chunk: Buffer) => void (result.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (result.stderr += chunk.toString()));
  return result;
}

let system: RestartableSystem;
beforeAll(async () => {
  system = await startRestartableSystem();
});
afterAll(() => system?.close());

describe('the curl examples (docs/clients/*.sh)', () => {
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const school = (brin6: string) => system.token({ role: 'VENDOR', vendorOin: vendor, school: brin6 });
    Object.assign(tokens, {
      URL: system.url,
      SCHOOL_TOKEN: await school('16AH00'),
      OLD_SCHOOL_TOKEN: await school('16AH00'),
      NEW_SCHOOL_TOKEN: await school('03WU00'),
      MUNICIPALITY_TOKEN: await system.token({ role: 'MUNICIPALITY', municipality: '0114' }),
      BOARD_TOKEN: await system.token({ role: 'BOARD', board: '041B624' }),
      RIO_BOARD_TOKEN: await system.token({ role: 'BOARD', board: '042B554' }),
      RIO_SCHOOL_TOKEN: await school('12LU00'),
      OPERATOR_TOKEN: await system.token({ role: 'OPERATOR' }),
    });
  });

  /**
   * Runs one example with bash and returns its answers: the JSON lines, each printed after a line
   * starting with `#` that says what was asked.
   */
  const run = async (script: string, environment: Record<string, string> = {}) => {
    const child = start(['bash', path.join(clients, script)], { ...tokens, ...environment });
    const code = await child.exited;
    expect(child.stderr).toBe('');
    expect(code).toBe(0);
    const lines = child.stdout.trimEnd().split('\n');
    const answers = lines
      .filter((line) => !line.startsWith('#'))
      .map((line) => JSON.parse(line) as { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] });
    expect(lines.filter((line) => line.startsWith('#'))).toHaveLength(answers.length);
    return answers;
  };

  const countDate = currentCountDate(today());

  it('enroll.sh enrolls a learner and answers with its branch, residence and provisional funding status; the same document again gets the same answer; a bad PGN is refused naming the field', async () => {
    const [enrolled, again, refused] = await run('enroll.sh');
    expect(enrolled!.errors).toBeUndefined();
    expect(enrolled!.data!.enrollLearner).toMatchObject({
      enrollment: {
        startDate: '2024-08-01',
        branch: { brin6: '16AH00', name: "Openbare Basisschool 't Eenspan" },
        fundingStatus: { countDate, phase: 'PROVISIONAL', outcome: 'FUNDABLE', reasons: [] },
      },
      learner: { pgn: '234567004', pgnKind: 'BSN', residence: { municipalityCode: '0114', source: 'POSTCODE' } },
      transferNoticeCount: 0,
    });
    expect(again).toEqual(enrolled);
    expect(refused!.data).toBeNull();
    expect(refused!.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'learner.pgn' });
  });

  it("transfer.sh gives the old school a notice of the learner's enrollment elsewhere, which it reads and handles, ending its enrollment the day before the new start; run again, it gets the same answers", async () => {
    const [atOld, atNew, notices, handled] = await run('transfer.sh');
    expect(atOld!.data!.enrollLearner).toMatchObject({ enrollment: { branch: { brin6: '16AH00' } }, transferNoticeCount: 0 });
    expect(atNew!.data!.enrollLearner).toMatchObject({ enrollment: { branch: { brin6: '03WU00' } }, transferNoticeCount: 1 });
    const oldEnrollment = atOld!.data!.enrollLearner.enrollment.id as string;
    expect(notices!.data!.transferNotices.edges).toEqual([
      {
        node: {
          id: expect.any(String),
          status: 'OPEN',
          learnerPgn: '345678011',
          newStartDate: '2026-12-01',
          proposedEndDate: '2026-11-30',
          newProvider: { id: '002A620', code: '002A620', name: 'Kindcentrum De Wegwijzer' },
          newLocation: { id: '909X705', code: '909X705', branches: [{ id: '03WU00', brin6: '03WU00', name: 'Kindcentrum De Wegwijzer' }] },
          enrollment: { id: oldEnrollment, startDate: '2024-08-01' },
        },
      },
    ]);
    expect(handled!.errors).toBeUndefined();
    expect(handled!.data!.acknowledgeTransfer).toEqual({
      notice: { id: notices!.data!.transferNotices.edges[0].node.id, status: 'HANDLED', handledAt: expect.any(String) },
      enrollment: { id: oldEnrollment, endDate: '2026-11-30', endReason: 'TRANSFER' },
    });

    // Run again, every message is one the register has received: the same answers, the notice handled.
    const again = await run('transfer.sh');
    expect([again[0], again[1], again[3]]).toEqual([atOld, atNew, handled]);
    expect(again[2]!.data!.transferNotices.edges.map((edge: { node: { status: string } }) => edge.node.status)).toEqual(['HANDLED']);
  });

  it("funding.sh shows an enrollment's status on the current and a past count date, the school's and the board's counts, and the board's final overview after the count-date run", async () => {
    const [enrolled, enrollments, schoolCounts, boardCounts, finalised, overview] = await run('funding.sh', {
      SCHOOL_TOKEN: await system.token({ role: 'VENDOR', vendorOin: vendor, school: '06MY00' }),
    });
    const fundingYear = Number(countDate.slice(0, 4)) + 1;
    const enrollmentId = enrolled!.data!.enrollLearner.enrollment.id as string;
    // Each object carries the id a client's cache knows it by (README, Clients).
    expect(enrolled!.data!.enrollLearner.enrollment.fundingStatus).toEqual({
      id: `${enrollmentId}/${countDate}`,
      countDate,
      fundingYear,
      phase: 'PROVISIONAL',
      outcome: 'FUNDABLE',
      reasons: [],
    });
    expect(enrollments!.data!.enrollments).toEqual({
      totalCount: 1,
      edges: [
        {
          node: {
            id: enrollmentId,
            learner: { id: expect.any(String), pgn: '567890004' },
            current: { id: `${enrollmentId}/${countDate}`, countDate, outcome: 'FUNDABLE', reasons: [] },
            past: {
              id: `${enrollmentId}/2026-02-01`,
              countDate: '2026-02-01',
              phase: 'PROVISIONAL',
              outcome: 'NOT_FUNDABLE',
              reasons: ['LATE_REGISTRATION'],
              explanation: expect.stringContaining('the end of the four weeks after the count date'),
            },
          },
        },
      ],
    });
    expect(schoolCounts!.data!.fundingCounts).toEqual([
      { id: `${countDate}/BRANCH/06MY00`, countDate, phase: 'PROVISIONAL', code: '06MY00', counted: 1, notCounted: 0, byReason: [] },
    ]);
    expect(boardCounts!.data).toEqual({
      board: [{ id: `${countDate}/BOARD/041B624`, code: '041B624', phase: 'PROVISIONAL', counted: 1, notCounted: 0 }],
      branches: [{ id: `${countDate}/BRANCH/06MY00`, code: '06MY00', counted: 1, notCounted: 0 }],
    });
    expect(finalised!.data!.runCountDate).toEqual({
      id: '2026-02-01',
      countDate: '2026-02-01',
      fundingYear: 2027,
      phase: 'FINAL',
      registrationDeadline: '2026-03-02',
      finalisedAt: expect.any(String),
    });
    expect(overview!.data!.fundingCounts).toEqual([
      {
        id: '2026-02-01/BOARD/041B624',
        code: '041B624',
        phase: 'FINAL',
        counted: 0,
        notCounted: 1,
        byReason: [{ id: '2026-02-01/BOARD/041B624/LATE_REGISTRATION', reason: 'LATE_REGISTRATION', enrollments: 1 }],
      },
    ]);
  });

  it('absence.sh files a 16-hour report that reaches the municipality of residence, which takes it in treatment and closes it, and the school reads every step', async () => {
    const [enrolled, recorded, reported, inbox, treated, closed, read] = await run('absence.sh');
    expect(enrolled!.data!.enrollLearner.learner.residence).toEqual({ id: enrolled!.data!.enrollLearner.learner.id, municipalityCode: '0114' });
    expect(recorded!.data!.recordAbsence).toEqual({
      countedFrom: null,
      reached: { startDate: '2026-10-05', reachedOn: '2026-10-08', hours: 16 },
      proposal: { kind: 'SIXTEEN_HOURS', startDate: '2026-10-05', endDate: '2026-10-08' },
    });
    const report = reported!.data!.reportAbsence.report;
    expect(report).toEqual({ id: expect.any(String), kind: 'SIXTEEN_HOURS', status: 'REGISTERED', totalHours: 16, municipalityCode: '0114' });
    expect(inbox!.data!.absenceReports.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      {
        id: report.id,
        kind: 'SIXTEEN_HOURS',
        totalHours: 16,
        suspectedReason: 'Says he feels ill on Monday mornings',
        municipalityActionWanted: true,
        contact: { id: report.id, name: 'J. de Vries', email: 'ib@example.org' },
        branch: { id: '16AH00', brin6: '16AH00', name: "Openbare Basisschool 't Eenspan" },
        learner: { id: enrolled!.data!.enrollLearner.learner.id, pgn: '678901004', birthDate: '2017-11-02' },
      },
    ]);
    expect(treated!.data!.changeAbsenceReportStatus.report).toEqual({ id: report.id, status: 'IN_TREATMENT' });
    expect(closed!.data!.changeAbsenceReportStatus.report).toEqual({ id: report.id, status: 'CLOSED' });
    expect(read!.data!.absenceReport.history).toEqual([
      { id: `${report.id}/0`, from: null, to: 'REGISTERED', byRole: 'VENDOR', by: `${vendor}/16AH00`, note: null },
      { id: `${report.id}/1`, from: 'REGISTERED', to: 'IN_TREATMENT', byRole: 'MUNICIPALITY', by: 'municipality/0114', note: 'Home visit planned' },
      { id: `${report.id}/2`, from: 'IN_TREATMENT', to: 'CLOSED', byRole: 'MUNICIPALITY', by: 'municipality/0114', note: 'Back at school every morning' },
    ]);
  });

  it('rio-board.sh opens a location with a programme that the school enrolls at, fundable; once the board ends the programme the status changes and a later start is refused; run again, the same answers', async () => {
    const [opened, offered, enrolled, ended, status, late, place] = await run('rio-board.sh');
    const use = opened!.data!.registerLocation;
    expect(use).toMatchObject({ startDate: '2024-08-01', endDate: null, branch: { brin6: '12LU00' }, location: { maintainedBy: 'board/042B554' } });
    expect(use.location.code).toMatch(/^\d{3}X\d{3}$/);
    expect(offered!.data!.registerOfferedProgramme).toMatchObject({
      kind: 'BASISONDERWIJS',
      name: 'Basisonderwijs',
      endDate: null,
      maintainedBy: 'board/042B554',
    });
    expect(enrolled!.errors).toBeUndefined();
    expect(enrolled!.data!.enrollLearner.enrollment).toMatchObject({
      branch: { brin6: '12LU00' },
      location: { code: use.location.code },
      fundingStatus: { countDate, outcome: 'FUNDABLE', reasons: [] },
    });
    expect(ended!.data!.endOfferedProgramme.endDate).toBe(addDays(today(), -1));
    expect(status!.data!.enrollment.fundingStatus).toMatchObject({ countDate, outcome: 'NOT_FUNDABLE' });
    expect(late!.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'offeredProgrammeId' });
    expect(place!.data!.location.uses).toEqual([expect.objectContaining({ branch: { id: '12LU00', brin6: '12LU00' }, endDate: null })]);
    expect(place!.data!.location.history.map((change: { kind: string; by: string }) => [change.kind, change.by])).toEqual([['CREATED', 'board/042B554']]);

    // Each change is a document received once: the same location, programme and enrollment, the programme ended already.
    const [openedAgain, offeredAgain, enrolledAgain, endedAgain] = await run('rio-board.sh');
    expect(openedAgain!.data).toEqual(opened!.data);
    expect(offeredAgain!.data!.registerOfferedProgramme).toMatchObject({ id: offered!.data!.registerOfferedProgramme.id, endDate: addDays(today(), -1) });
    expect(enrolledAgain!.data!.enrollLearner.enrollment.id).toBe(enrolled!.data!.enrollLearner.enrollment.id);
    expect(endedAgain!.data).toEqual(ended!.data);
  });

  it("rio.sh looks up a branch and the RIO objects behind its codes, pages through Emmen's open schools each once in BRIN6 order, and gets OK for the demo vendor's mandate", async () => {
    const [branch, objects, ...rest] = await run('rio.sh');
    expect(branch!.data!.branch).toMatchObject({
      brin6: '16AH00',
      address: { postcode: '7822HG', city: 'EMMEN', municipality: { code: '0114', name: 'EMMEN' } },
      provider: { code: '010A823', brin4: '16AH', board: { code: '042B830', competentAuthorityNumber: '42830' } },
      location: { code: '646X831' },
      offeredProgrammes: [{ id: '5cbfc5b3-130a-52b4-b91b-6764dbc69471', kind: 'BASISONDERWIJS', name: 'Basisonderwijs' }],
    });
    expect(objects!.data).toMatchObject({
      location: { id: '646X831', code: '646X831', branches: [{ id: '16AH00', brin6: '16AH00' }] },
      provider: { id: '010A823', code: '010A823', branches: [{ id: '16AH00', brin6: '16AH00' }] },
      board: { id: '042B830', code: '042B830', providers: expect.arrayContaining([{ id: '010A823', code: '010A823' }]) },
    });
    const check = rest.pop()!;
    expect(check.data).toEqual({ mandateCheck: 'OK' });

    // The pages together: every open school in Emmen once, in BRIN6 order, the last page saying so.
    const pages = rest.map((page) => page.data!.branches);
    const paged: string[] = pages.flatMap((page) => page.edges.map((edge: { node: { brin6: string } }) => edge.node.brin6));
    const all = await system.query<{ branches: { edges: { node: { brin6: string } }[] } }>(
      `{ branches(filter: { municipalityCode: "0114", activeOn: "${today()}" }, first: 200) { edges { node { brin6 } } } }`,
    );
    expect(pages.length).toBeGreaterThan(1);
    expect(paged).toEqual(all.data!.branches.edges.map((edge) => edge.node.brin6));
    expect(paged).toEqual([...paged].sort());
    expect(pages.every((page) => page.totalCount === paged.length)).toBe(true);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([...pages.slice(1).map(() => true), false]);
  });
});

describe("the README's curl examples", () => {
  const readmeUrl = 'http://127.0.0.1:4000/graphql';
  const blocks = [...readFileSync(path.join(projectRoot, 'README.md'), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1]!)
    .filter((block) => block.includes(`curl -s ${readmeUrl}`));

  it('answer as the README says: the operator looks up 16AH00, and the demo vendor enrolls a learner there and gets its provisional funding status', async () => {
    expect(blocks).toHaveLength(2);
    // As a reader runs them, tokens from npm run -s token included; only the URL is the test system's.
    const answers = [];
    for (const block of blocks) {
      const child = start(['bash', '-euo', 'pipefail', '-c', block.replaceAll(readmeUrl, system.url)], {});
      expect(await child.exited).toBe(0);
      answers.push(JSON.parse(child.stdout) as { data: Record<string, any> });
    }
    const [branch, enrolled] = answers;
    expect(branch!.data).toEqual({
      branch: {
        id: '16AH00',
        name: "Openbare Basisschool 't Eenspan",
        address: { id: '646X831', city: 'EMMEN' },
        provider: { id: '010A823', code: '010A823', board: { id: '042B830', code: '042B830' } },
        location: { id: '646X831', code: '646X831' },
      },
    });
    expect(enrolled!.data.enrollLearner).toMatchObject({
      enrollment: {
        branch: { name: "Openbare Basisschool 't Eenspan" },
        fundingStatus: { countDate: currentCountDate(today()), outcome: 'FUNDABLE', reasons: [] },
      },
      learner: { pgn: '111222333', residence: { municipalityCode: '0114' } },
    });
  });
});

describe('the TypeScript client that resumes from its cursor (docs/clients/follow.ts)', () => {
  let a: School;
  let b: School;
  let folder: string;
  let learner = 70_000;
  const running: Child[] = [];

  beforeAll(async () => {
    // Two schools no curl example uses, so that the notices at A are this test's alone.
    [a, b] = await Promise.all([schoolAt(system, '16BX00'), schoolAt(system, '16DJ00')]);
  });
  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'follow-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.kill()));
    await eventually("the last test's client to leave", () => (system.system.stats().gateway?.subscribers ?? 0) === 0, { deadline: 10_000 });
    await rm(folder, { recursive: true, force: true });
  });

  const cursorFile = () => path.join(folder, 'cursor');
  /** Starts follow.ts as a developer would, with its cursor file in this test's folder. */
  const follow = (environment: Record<string, string>) => {
    const child = start(['node', '--import', 'tsx', path.join(clients, 'follow.ts')], { URL: system.url, CURSOR_FILE: cursorFile(), ...environment });
    running.push(child);
    return child;
  };
  type Printed = { cursor: string; notice: { learnerPgn: string; proposedEndDate: string; newLocation: { branches: { name: string }[] } } };
  const printed = <Event = Printed>(child: Child) =>
    child.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Event);
  const untilPrinted = (child: Child, pgn: string) =>
    eventually(`the notice about ${pgn}`, () => printed(child).some((event) => event.notice.learnerPgn === pgn), {
      deadline: 60_000,
      state: () => `stderr: ${child.stderr}`,
    });
  /**
   * Kills the client once it has printed the notice about `pgn` and kept its cursor: it prints an
   * event before it keeps the cursor (follow.ts, handle), so a kill in between would hand that event
   * over once more on restart, or, for the first event, leave no cursor to resume from.
   */
  const killAfter = async (child: Child, pgn: string) => {
    await untilPrinted(child, pgn);
    const { cursor } = printed(child).find((event) => event.notice.learnerPgn === pgn)!;
    await eventually(`the cursor of the notice about ${pgn} kept`, () => existsSync(cursorFile()) && readFileSync(cursorFile(), 'utf8') === cursor, {
      deadline: 10_000,
    });
    await child.kill();
  };
  const live = (feed = 'learners') =>
    eventually('the client to subscribe', () => system.system.stats().gateway?.subscribers === 1 && system.system.stats().feeds[feed]?.live === 1, {
      deadline: 30_000,
    });

  /** A learner of A enrolls at B: one notice to A. Returns the learner's PGN. */
  const transfer = async () => {
    const n = ++learner;
    for (const [at, startDate] of [
      [a, '2024-08-01'],
      [b, '2026-12-01'],
    ] as const) {
      const response = await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
        variables: { input: enrollmentInput(at, n, { startDate }) },
        token: at.token,
      });
      expect(response.errors).toBeUndefined();
    }
    return enrollmentInput(a, n).learner.pgn;
  };
  const transfers = async (count: number) => {
    const pgns = [];
    for (let i = 0; i < count; i++) pgns.push(await transfer());
    return pgns;
  };
  const inStreamOrder = (events: Printed[]) => events.every((event, i) => i === 0 || compareCursors(events[i - 1]!.cursor, event.cursor) < 0);

  it('subscribes with the registered operations to the letter, so that a gateway running trusted documents only serves it', () => {
    const source = readFileSync(path.join(clients, 'follow.ts'), 'utf8');
    for (const operation of readOperations(path.join(schemaFolder, 'operations')).filter((operation) => operation.source.includes('subscription '))) {
      expect(source).toContain(`\`${operation.source}\``);
    }
  });

  it('prints every notice once and in order when it is killed and started again, resuming from its cursor file', async () => {
    const first = follow({ TOKEN: a.token });
    await live();
    const before = await transfers(3);
    await killAfter(first, before.at(-1)!);

    const whileDown = await transfers(3);
    const second = follow({ TOKEN: a.token });
    await untilPrinted(second, whileDown.at(-1)!);
    const after = await transfers(2);
    await untilPrinted(second, after.at(-1)!);

    expect(printed(first).map((event) => event.notice.learnerPgn)).toEqual(before);
    expect(printed(second).map((event) => event.notice.learnerPgn)).toEqual([...whileDown, ...after]);
    expect(inStreamOrder([...printed(first), ...printed(second)])).toBe(true);
    expect(printed(second)[0]!.notice).toMatchObject({
      proposedEndDate: '2026-11-30',
      newLocation: { branches: [{ name: 'Openbare Basisschool De Esdoorn' }] },
    });
  }, 120_000);

  it('connects again with the token renewed in its token file after the gateway closes it with 4403 at expiry, and prints every notice once and in order', async () => {
    const tokenFile = path.join(folder, 'token');
    await writeFile(tokenFile, a.token);
    const first = follow({ TOKEN_FILE: tokenFile });
    await live();
    const [seen] = await transfers(1);
    await killAfter(first, seen!);

    // Started again with a token that expires while it is connected; its cursor file says where it was.
    await writeFile(tokenFile, await issueToken({ role: 'VENDOR', vendorOin: vendor, school: a.brin6 }, system.config.tokenSecret, '8s'));
    const second = follow({ TOKEN_FILE: tokenFile });
    await live();
    // The renewal comes before the expiry, as a token renewer's does: the close then finds a new token.
    await writeFile(tokenFile, a.token);
    const beforeExpiry = await transfers(1);
    await eventually('the close at expiry', () => second.stderr.includes('closed: 4403'), { deadline: 30_000, state: () => `stderr: ${second.stderr}` });
    const afterExpiry = await transfers(2);
    await untilPrinted(second, afterExpiry.at(-1)!);

    expect(second.stderr).toMatch(/closed: 4403 Forbidden: the token has expired/);
    expect(printed(second).map((event) => event.notice.learnerPgn)).toEqual([...beforeExpiry, ...afterExpiry]);
    expect(inStreamOrder([...printed(first), ...printed(second)])).toBe(true);
  }, 120_000);

  it('stops with exit code 3 and says so when the gateway refuses its token (4403) and the token file holds no other: one connection, no retries', async () => {
    const tokenFile = path.join(folder, 'token');
    await writeFile(tokenFile, 'not-a-token');
    const client = follow({ TOKEN_FILE: tokenFile });

    expect(await client.exited).toBe(3);
    expect(client.stderr.match(/closed: 4403/g)).toHaveLength(1);
    expect(client.stderr).toMatch(/the token was refused \(4403 Forbidden: .*\); put a new one in TOKEN_FILE and start again/);
    expect(client.stdout).toBe('');
  }, 60_000);

  it('follows the absence reports routed to a municipality with FOLLOW=absenceReportUpdated: the report, then each step', async () => {
    const client = follow({ TOKEN: await system.token({ role: 'MUNICIPALITY', municipality: '0114' }), FOLLOW: 'absenceReportUpdated' });
    await live('absence');
    const n = ++learner;
    const enrolled = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      { variables: { input: enrollmentInput(a, n) }, token: a.token },
    );
    const reported = await system.query<{ reportAbsence: { report: { id: string } } }>(
      'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }',
      {
        token: a.token,
        variables: {
          input: {
            documentId: `follow-report-${n}`,
            enrollmentId: enrolled.data!.enrollLearner.enrollment.id,
            kind: 'SIXTEEN_HOURS',
            startDate: '2026-10-05',
            endDate: '2026-10-08',
            absences: [5, 6, 7, 8].map((day) => ({ date: `2026-10-0${day}`, dayPart: 'AFTERNOON', hours: 4 })),
            municipalityActionWanted: true,
            contact: { name: 'J. de Vries' },
          },
        },
      },
    );
    expect(reported.errors).toBeUndefined();
    const id = reported.data!.reportAbsence.report.id;
    const municipality = await system.token({ role: 'MUNICIPALITY', municipality: '0114' });
    for (const status of ['IN_TREATMENT', 'CLOSED']) {
      const step = await system.query('mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { status } } }', {
        token: municipality,
        variables: { input: { documentId: `follow-${status}-${n}`, reportId: id, status } },
      });
      expect(step.errors).toBeUndefined();
    }

    type Update = { cursor: string; change: string; report: { id: string; status: string; municipalityCode: string; learner: { pgn: string } } };
    await eventually('three updates', () => printed<Update>(client).length >= 3, { deadline: 60_000, state: () => `stderr: ${client.stderr}` });
    // Each update carries the report as it is when delivered: by the last one, CLOSED.
    expect(printed<Update>(client).map(({ change, report }) => [change, report.id, report.municipalityCode, report.learner.pgn])).toEqual([
      ['REPORTED', id, '0114', enrollmentInput(a, n).learner.pgn],
      ['STATUS_CHANGED', id, '0114', enrollmentInput(a, n).learner.pgn],
      ['STATUS_CHANGED', id, '0114', enrollmentInput(a, n).learner.pgn],
    ]);
    expect(printed<Update>(client).at(-1)!.report.status).toBe('CLOSED');
  }, 120_000);

  it('resumes from the cursor a 4503 close names when a notice cannot be completed in time, and prints it complete once it can', async () => {
    // From now on, without a cursor file: only the close can say where to resume.
    const client = follow({ TOKEN: a.token });
    await live();
    const { db } = system.system.database!;
    // The notice's funding status cannot be read while funding's table is away; the database answers all along.
    await db.execute(sql`ALTER TABLE funding.status RENAME TO status_away`);
    let pgn: string;
    try {
      [pgn] = (await transfers(1)) as [string];
      await eventually('the close', () => client.stderr.includes('closed: 4503'), { deadline: 30_000, state: () => `stderr: ${client.stderr}` });
    } finally {
      await db.execute(sql`ALTER TABLE funding.status_away RENAME TO status`);
    }
    await untilPrinted(client, pgn);

    expect(client.stderr).toMatch(/closed: 4503 Unavailable: an event could not be completed; resume with after: \S+/);
    const events = printed<Printed & { notice: { enrollment: { fundingStatus: { outcome: string } | null } } }>(client);
    expect(events.map((event) => event.notice.learnerPgn)).toEqual([pgn]);
    expect(events[0]!.notice.enrollment.fundingStatus?.outcome).toMatch(/^(NOT_)?FUNDABLE$/);
  }, 120_000);

  it('resumes from its cursor when the gateway restarts, and prints every notice once and in order', async () => {
    const client = follow({ TOKEN: a.token });
    await live();
    const before = await transfers(2);
    await untilPrinted(client, before.at(-1)!);

    await system.restart();
    const after = await transfers(2);
    await untilPrinted(client, after.at(-1)!);

    expect(client.stderr).toMatch(/closed: \d+/);
    expect(printed(client).map((event) => event.notice.learnerPgn)).toEqual([...before, ...after]);
    expect(inStreamOrder(printed(client))).toBe(true);
  }, 120_000);
});
