import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import { rowsOf } from '../kernel/db.ts';
import { today } from '../kernel/scalars.ts';
import { bsnFor, enrollmentInput, eventually, importPersonLines, personLine, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/*
 * Every mutation of the API fed random and hostile input through the gateway (issue 17, finding 5):
 * whatever comes in, the answer is never INTERNAL_SERVER_ERROR, and a refused input writes nothing
 * (the tables the mutation writes, compared before and after, with the documents and events).
 *
 * A fixed seed and a few runs per mutation keep it short. For a longer search, set HOSTILE_RUNS (runs
 * per mutation) and HOSTILE_SEED: `HOSTILE_RUNS=500 npx vitest run test/hostile.test.ts`. A failure
 * prints the seed and the shrunk input that gives it.
 */
const runs = Number(process.env.HOSTILE_RUNS ?? 12);
const seed = Number(process.env.HOSTILE_SEED ?? 17);

/** Some text with `inside` at a random place in it. */
const holding = (...inside: string[]) =>
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...inside), fc.string({ maxLength: 8 }))
    .map(([before, character, after]) => `${before}${character}${after}`);

/** Text a register should refuse or store safely: each kind of trouble about as likely as the next. */
const hostileText = fc.oneof(
  // NUL, which PostgreSQL cannot store at all, and the other controls (kernel/text.ts).
  { weight: 2, arbitrary: holding('\u0000') },
  { weight: 2, arbitrary: holding('\u0007', '\u001b[2J', '\t', '\n', '\r', '\u0085', '\u007f', '\u009b') },
  { weight: 1, arbitrary: holding('\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069') },
  { weight: 1, arbitrary: holding('\ud800', '\udfff') },
  // Too long, in characters that take one, two or (with a combining accent) two UTF-16 units.
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom('x', '𝔄', 'e\u0301'), fc.constantFrom(33, 101, 201, 255, 2001, 100_000)).map(([unit, times]) => unit.repeat(times)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', "'; DROP TABLE learners.learner; --", '%_\\', '$1', '{"$ne":null}', '0'.repeat(40)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
);
/** A value of the wrong kind altogether: GraphQL's own coercion refuses these. */
const wrongKind = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null));

/** Hostile values of each kind a field may have; none is the field's valid value (the valid input has that). */
const text = fc.oneof({ weight: 5, arbitrary: hostileText }, { weight: 1, arbitrary: wrongKind });
const day = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
      .map((date) => date.toISOString().slice(0, 10)),
  },
  { weight: 2, arbitrary: fc.constantFrom('0000-01-01', '1900-01-01', '2099-01-01', '2025-02-30', addDays(today(), 1), today()) },
  { weight: 1, arbitrary: hostileText },
);
const id = fc.oneof({ weight: 1, arbitrary: fc.uuid() }, { weight: 2, arbitrary: hostileText });
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 31, 1e300, 0.1), wrongKind);
const boolean = wrongKind;

/** A copy of `value` with the field at the dotted `path` set to `field` (left out when undefined). */
function withField(value: unknown, path: string, field: unknown): unknown {
  const [key, ...rest] = path.split('.');
  const copy = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const next = rest.length ? withField((copy as Record<string, unknown>)[key!], rest.join('.'), field) : field;
  if (next === undefined) delete (copy as Record<string, unknown>)[key!];
  else (copy as Record<string, unknown>)[key!] = next;
  return copy;
}

/**
 * The inputs of one mutation: mostly its valid input with one field (a dotted path) hostile, so that
 * the run reaches that field's own rule; some with one field left out, some with every field hostile
 * at once, and now and then the valid input itself.
 */
function inputs(valid: Record<string, unknown>, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const paths = Object.keys(fields);
  const one = fc.constantFrom(...paths).chain((path) => fields[path]!.map((field) => withField(valid, path, field)));
  const leftOut = fc.constantFrom(...paths).map((path) => withField(valid, path, undefined));
  const all = fc
    .tuple(...paths.map((path) => fields[path]!))
    .map((values) => paths.reduce<unknown>((input, path, i) => withField(input, path, values[i]), valid));
  return fc.oneof(
    { weight: 8, arbitrary: one },
    { weight: 1, arbitrary: leftOut },
    { weight: 2, arbitrary: all },
    { weight: 1, arbitrary: fc.constant(valid) },
  );
}

const rioAddress = (houseNumber: string) => ({ street: 'Oosterstraat', houseNumber, postcode: '7822 HG', city: 'EMMEN', municipalityCode: '0114' });
const addressFields = { 'address.street': text, 'address.houseNumber': text, 'address.postcode': text, 'address.city': text, 'address.municipalityCode': text };

/** Stands for a document id not used before: each run gets one of its own, unless a hostile one replaced it. */
const freshDocument = 'fresh document';

// One mutation per test, each run a request and two snapshots: the time allowed grows with the runs.
describe('hostile input to every mutation, through the gateway', { timeout: 60_000 + runs * 2_000 }, () => {
  let system: TestSystem;
  let a: School;
  let tokens: Record<'school' | 'otherSchool' | 'municipality' | 'board' | 'operator', string>;
  const fixture: Record<string, string> = {};

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT: '0' });
    const b = await schoolAt(system, '04LY00');
    a = await schoolAt(system, '16AH00');
    const board = (await system.query<{ branch: { provider: { board: { code: string } } } }>('{ branch(brin6: "16AH00") { provider { board { code } } } }'))
      .data!.branch.provider.board.code;
    tokens = {
      school: a.token,
      otherSchool: b.token,
      municipality: await system.token({ role: 'MUNICIPALITY', municipality: '0114' }),
      board: await system.token({ role: 'BOARD', board }),
      operator: await system.token({ role: 'OPERATOR' }),
    };
    const ok = async <Data>(query: string, variables: Record<string, unknown>, token: string) => {
      const response = await system.query<Data>(query, { variables, token });
      expect(response.errors).toBeUndefined();
      return response.data!;
    };
    const enroll = (at: School, n: number, overrides: Record<string, unknown> = {}) =>
      ok<{ enrollLearner: { enrollment: { id: string }; transferNoticeCount: number } }>(
        'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } transferNoticeCount } }',
        { input: enrollmentInput(at, n, overrides) },
        at.token,
      );
    fixture.enrollment = (await enroll(a, 1)).enrollLearner.enrollment.id;
    fixture.pgn = bsnFor(1);
    fixture.ending = (await enroll(a, 2)).enrollLearner.enrollment.id;
    await enroll(a, 3);
    expect((await enroll(b, 3, { startDate: addDays(today(), -20) })).enrollLearner.transferNoticeCount).toBe(1);
    fixture.notice = (
      await ok<{ transferNotices: { edges: { node: { id: string } }[] } }>('{ transferNotices(status: OPEN) { edges { node { id } } } }', {}, a.token)
    ).transferNotices.edges[0]!.node.id;
    const identified = await ok<{ identifyLearner: { learner: { pgn: string } } }>(
      'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }',
      { input: { documentId: 'fixture-identify', birthDate: '2019-03-01', gender: 'MALE', postcode: '7822 HG', familyName: 'Bakker' } },
      a.token,
    );
    fixture.onderwijsnummer = identified.identifyLearner.learner.pgn;
    // The person source is empty here, so each BSN enrolled above has an UNKNOWN_BSN signal (issue 15).
    fixture.signal = (
      await ok<{ signals: { edges: { node: { id: string } }[] } }>('{ signals(status: OPEN) { edges { node { id } } } }', {}, a.token)
    ).signals.edges[0]!.node.id;
    const reported = await ok<{ reportAbsence: { report: { id: string } } }>(
      'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }',
      {
        input: {
          documentId: 'fixture-report',
          enrollmentId: fixture.enrollment,
          kind: 'OTHER',
          startDate: addDays(today(), -10),
          absences: [],
          municipalityActionWanted: false,
          contact: { name: 'J. de Vries' },
        },
      },
      a.token,
    );
    fixture.report = reported.reportAbsence.report.id;
    await ok(
      'mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { oin } }',
      { input: { documentId: 'fixture-vendor', oin: '00000003273255280000', name: 'Tweede Leverancier' } },
      tokens.operator,
    );
    const granted = await ok<{ grantMandate: { id: string } }>(
      'mutation($input: GrantMandateInput!) { grantMandate(input: $input) { id } }',
      { input: { documentId: 'fixture-mandate', brin6: '16AH00', service: 'RIO', vendorOin: '00000003273255280000', startDate: '2025-01-01' } },
      tokens.board,
    );
    fixture.mandate = granted.grantMandate.id;
    const use = await ok<{ registerLocation: { location: { code: string } } }>(
      'mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { location { code } } }',
      { input: { documentId: 'fixture-location', brin6: '16AH00', address: rioAddress('200'), startDate: '2026-01-01' } },
      tokens.board,
    );
    fixture.location = use.registerLocation.location.code;
    const programme = await ok<{ registerOfferedProgramme: { id: string } }>(
      'mutation($input: RegisterOfferedProgrammeInput!) { registerOfferedProgramme(input: $input) { id } }',
      {
        input: {
          documentId: 'fixture-programme',
          providerCode: a.providerCode,
          locationCode: a.locationCode,
          kind: 'SPECIAAL_BASISONDERWIJS',
          startDate: '2026-01-01',
        },
      },
      tokens.board,
    );
    fixture.programme = programme.registerOfferedProgramme.id;
    // Expulsions at each step, each of its own enrollment (one under way per enrollment): the valid
    // input of each step finds its expulsion in the state that step takes.
    fixture.expellable = (await enroll(a, 4)).enrollLearner.enrollment.id;
    const intend = async (n: number) =>
      (
        await ok<{ intendExpulsion: { expulsion: { id: string } } }>(
          'mutation($input: IntendExpulsionInput!) { intendExpulsion(input: $input) { expulsion { id } } }',
          { input: { documentId: `fixture-intend-${n}`, enrollmentId: (await enroll(a, n)).enrollLearner.enrollment.id, grounds: 'Herhaald geweld' } },
          a.token,
        )
      ).intendExpulsion.expulsion.id;
    const decided = async (n: number) => {
      const expulsionId = await intend(n);
      for (const heard of ['GROUP_TEACHER', 'PARENTS']) {
        await ok(
          'mutation($input: RecordExpulsionHearingInput!) { recordExpulsionHearing(input: $input) { expulsion { id } } }',
          { input: { documentId: `fixture-hear-${n}-${heard}`, expulsionId, heard, heardOn: addDays(today(), -10) } },
          a.token,
        );
      }
      return expulsionId;
    };
    fixture.intendedExpulsion = await intend(5);
    fixture.heardExpulsion = await decided(6);
    for (const [n, name] of [
      [7, 'executableExpulsion'],
      [8, 'decidedExpulsion'],
    ] as const) {
      fixture[name] = await decided(n);
      await ok(
        'mutation($input: DecideExpulsionInput!) { decideExpulsion(input: $input) { expulsion { id } } }',
        { input: { documentId: `fixture-decide-${n}`, expulsionId: fixture[name], decidedOn: addDays(today(), -5) } },
        a.token,
      );
    }
    // A child in the person source that no school enrolls: Emmen gets an absolute-absence signal of it.
    await importPersonLines(system, [personLine(bsnFor(95_001), { birthDate: '2019-03-01' })]);
    await eventually('the absolute-absence signal of a child never enrolled', async () => {
      const data = await ok<{ absoluteAbsenceSignals: { edges: { node: { id: string } }[] } }>(
        '{ absoluteAbsenceSignals(first: 1) { edges { node { id } } } }',
        {},
        tokens.municipality,
      );
      fixture.absoluteAbsenceSignal = data.absoluteAbsenceSignals.edges[0]?.node.id ?? '';
      return fixture.absoluteAbsenceSignal !== '';
    });
  });
  afterAll(() => system?.close());

  /**
   * What a mutation of the subgraph writes, as one text per table: the rows of the tables its
   * mutations change, its documents, and its events (absence's and funding's outboxes also take
   * events from their copies, which follow other subgraphs' changes in the background, so those
   * two compare what only their mutations write).
   */
  const written: Record<string, string[]> = {
    institutions: [
      'institutions.vendor',
      'institutions.mandate',
      'institutions.provider',
      'institutions.location',
      'institutions.location_use',
      'institutions.offered_programme',
      '(SELECT count(*) FROM institutions.change)',
      'institutions.document',
      '(SELECT count(*) FROM institutions.outbox)',
    ],
    learners: [
      'learners.learner',
      'learners.learner_pgn',
      'learners.delivery',
      'learners.enrollment',
      'learners.result',
      'learners.transfer_notice',
      'learners.signal',
      'learners.expulsion',
      'learners.document',
      '(SELECT count(*) FROM learners.outbox)',
    ],
    absence: [
      'absence.report',
      'absence.report_day_part',
      'absence.report_transition',
      'absence.absence_hours',
      'absence.exemption',
      'absence.absolute_absence_signal',
      'absence.school_holiday',
      'absence.document',
    ],
    funding: [
      'funding.count_overview',
      "(SELECT * FROM funding.count_date WHERE phase = 'FINAL')",
      "(SELECT * FROM funding.outbox WHERE type = 'CountDateFinalised')",
      'funding.registration_extension',
      'funding.document',
    ],
  };
  const snapshot = async (subgraph: string) =>
    rowsOf<{ rows: string }>(
      await system.system.database!.db.execute(
        sql.raw(
          // Numbered and ordered: PostgreSQL may run the parts of a UNION ALL in parallel and return them in any order.
          `${written[subgraph]!.map((table, n) => `SELECT ${n} AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS rows FROM ${table} t`).join(' UNION ALL ')} ORDER BY n`,
        ),
      ),
    ).map((row) => row.rows);

  let documents = 0;
  const codesOf = (errors: { extensions?: Record<string, unknown> }[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

  /** The property for one mutation: sent by any viewer (mostly the one it is for), never a server fault, nothing written when refused. */
  function check(subgraph: string, mutation: string, argument: string, type: string, inputs: fc.Arbitrary<unknown>, viewer: keyof typeof tokens) {
    const viewers = fc.oneof(
      { weight: 5, arbitrary: fc.constant(viewer) },
      { weight: 1, arbitrary: fc.constantFrom(...(Object.keys(tokens) as (keyof typeof tokens)[])) },
    );
    const query = `mutation($value: ${type}) { ${mutation}(${argument}: $value) { __typename } }`;
    return fc.assert(
      fc.asyncProperty(inputs, viewers, async (generated, who) => {
        const value = JSON.parse(JSON.stringify(generated ?? null).replaceAll(`"${freshDocument}"`, () => `"hostile-${++documents}"`));
        const before = await snapshot(subgraph);
        const response = await system.query(query, { variables: { value }, token: tokens[who] });
        expect(response.status).toBeLessThan(500);
        expect(codesOf(response.errors)).not.toContain('INTERNAL_SERVER_ERROR');
        if (response.errors?.length) expect(await snapshot(subgraph)).toEqual(before);
        if (process.env.HOSTILE_TRACE) console.log(mutation, who, response.errors ? codesOf(response.errors).join(',') : 'OK');
      }),
      { seed, numRuns: runs },
    );
  }

  const learner = {
    pgn: bsnFor(90),
    birthDate: '2019-03-01',
    gender: 'FEMALE',
    postcode: '7822 HG',
    familyName: 'Bakker',
    givenNames: 'Anna Maria',
    municipalityOverride: '0114',
  };
  const learnerFields = (prefix: string) => ({
    [`${prefix}pgn`]: id,
    [`${prefix}birthDate`]: day,
    [`${prefix}gender`]: text,
    [`${prefix}postcode`]: text,
    [`${prefix}familyName`]: text,
    [`${prefix}givenNames`]: text,
    [`${prefix}municipalityOverride`]: text,
  });
  const enrollment = () => ({
    documentId: freshDocument,
    learner,
    providerCode: a.providerCode,
    locationCode: a.locationCode,
    offeredProgrammeId: a.offeredProgrammeId,
    startDate: '2024-08-01',
    endDate: '2026-07-31',
    group: 2,
    schoolEnrollmentNumber: 'N90',
    vve: false,
    educationalConcept: 'Montessori',
  });
  const enrollmentFields = {
    documentId: text,
    ...learnerFields('learner.'),
    providerCode: id,
    locationCode: id,
    offeredProgrammeId: id,
    startDate: day,
    endDate: day,
    group: number,
    schoolEnrollmentNumber: text,
    vve: boolean,
    educationalConcept: text,
  };
  const absence = () => ({ date: addDays(today(), -3), dayPart: 'MORNING', hours: 2 });
  const absences = fc.array(inputs(absence(), { date: day, dayPart: text, hours: number }), { maxLength: 4 });

  /** A mutation of the API: the subgraph it writes, its argument and type, the viewer it is for, and its inputs (made once the fixture is). */
  interface Mutation {
    mutation: string;
    subgraph: string;
    argument: string;
    type: string;
    viewer: keyof typeof tokens;
    inputs: () => fc.Arbitrary<unknown>;
  }
  /** Every mutation of the API, one case each. */
  const mutations: Mutation[] = [
    {
      mutation: 'registerVendor',
      subgraph: 'institutions',
      argument: 'input',
      type: 'RegisterVendorInput!',
      viewer: 'operator',
      inputs: () =>
        inputs({ documentId: freshDocument, oin: '00000001003214345000', name: 'Derde Leverancier B.V.' }, { documentId: text, oin: id, name: text }),
    },
    {
      mutation: 'grantMandate',
      subgraph: 'institutions',
      argument: 'input',
      type: 'GrantMandateInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            brin6: '16AH00',
            service: 'VERZUIM',
            vendorOin: '00000003273255280000',
            startDate: '2026-01-01',
            endDate: '2027-01-01',
          },
          { documentId: text, brin6: id, service: text, vendorOin: id, startDate: day, endDate: day },
        ),
    },
    {
      mutation: 'endMandate',
      subgraph: 'institutions',
      argument: 'input',
      type: 'EndMandateInput!',
      viewer: 'board',
      inputs: () =>
        inputs({ documentId: freshDocument, mandateId: fixture.mandate!, endDate: '2026-12-31' }, { documentId: text, mandateId: id, endDate: day }),
    },
    {
      mutation: 'registerLocation',
      subgraph: 'institutions',
      argument: 'input',
      type: 'RegisterLocationInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          { documentId: freshDocument, brin6: '16AH00', address: rioAddress('300'), startDate: '2026-01-01', endDate: '2026-12-31' },
          { documentId: text, brin6: id, ...addressFields, startDate: day, endDate: day },
        ),
    },
    {
      mutation: 'endLocation',
      subgraph: 'institutions',
      argument: 'input',
      type: 'EndLocationInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          { documentId: freshDocument, brin6: '16AH00', locationCode: fixture.location!, endDate: '2030-01-01' },
          { documentId: text, brin6: id, locationCode: id, endDate: day },
        ),
    },
    {
      mutation: 'registerOfferedProgramme',
      subgraph: 'institutions',
      argument: 'input',
      type: 'RegisterOfferedProgrammeInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            providerCode: a.providerCode,
            locationCode: fixture.location!,
            kind: 'SPECIAAL_BASISONDERWIJS',
            name: 'Speciaal basisonderwijs De Brug',
            startDate: '2027-01-01',
            endDate: '2027-06-30',
          },
          { documentId: text, providerCode: id, locationCode: id, kind: text, name: text, startDate: day, endDate: day },
        ),
    },
    {
      mutation: 'endOfferedProgramme',
      subgraph: 'institutions',
      argument: 'input',
      type: 'EndOfferedProgrammeInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          { documentId: freshDocument, offeredProgrammeId: fixture.programme!, endDate: '2030-01-01' },
          { documentId: text, offeredProgrammeId: id, endDate: day },
        ),
    },
    {
      mutation: 'renameProvider',
      subgraph: 'institutions',
      argument: 'input',
      type: 'RenameProviderInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          { documentId: freshDocument, providerCode: a.providerCode, name: "OBS 't Eenspan", nameInUse: 'Het Eenspan', startDate: today() },
          { documentId: text, providerCode: id, name: text, nameInUse: text, startDate: day },
        ),
    },
    {
      // To a board RIO does not know, so that no run moves the school away from the board the other cases act as.
      mutation: 'linkProviderToBoard',
      subgraph: 'institutions',
      argument: 'input',
      type: 'LinkProviderToBoardInput!',
      viewer: 'board',
      inputs: () =>
        inputs(
          { documentId: freshDocument, providerCode: a.providerCode, boardCode: '099B998', startDate: today() },
          { documentId: text, providerCode: id, boardCode: id, startDate: day },
        ),
    },
    {
      mutation: 'correctRio',
      subgraph: 'institutions',
      argument: 'input',
      type: 'CorrectRioInput!',
      viewer: 'operator',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            reason: 'Naam volgens het bestuur',
            offeredProgramme: { id: fixture.programme!, name: 'Speciaal', endDate: '2031-01-01' },
          },
          {
            documentId: text,
            reason: text,
            'offeredProgramme.id': id,
            'offeredProgramme.name': text,
            'offeredProgramme.startDate': day,
            'offeredProgramme.endDate': day,
          },
        ),
    },
    {
      mutation: 'identifyLearner',
      subgraph: 'learners',
      argument: 'input',
      type: 'IdentifyLearnerInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          { documentId: freshDocument, birthDate: '2020-06-01', gender: 'MALE', postcode: '7822 HG', familyName: 'de Vries', givenNames: 'Jan' },
          { documentId: text, birthDate: day, gender: text, postcode: text, familyName: text, givenNames: text },
        ),
    },
    {
      mutation: 'replacePgn',
      subgraph: 'learners',
      argument: 'input',
      type: 'ReplacePgnInput!',
      viewer: 'school',
      inputs: () =>
        inputs({ documentId: freshDocument, onderwijsnummer: fixture.onderwijsnummer!, bsn: bsnFor(91) }, { documentId: text, onderwijsnummer: id, bsn: id }),
    },
    {
      mutation: 'enrollLearner',
      subgraph: 'learners',
      argument: 'input',
      type: 'EnrollLearnerInput!',
      viewer: 'school',
      inputs: () => inputs(enrollment(), enrollmentFields),
    },
    {
      mutation: 'enrollLearners',
      subgraph: 'learners',
      argument: 'input',
      type: 'EnrollLearnersInput!',
      viewer: 'school',
      inputs: () => inputs({ items: [enrollment()] }, { items: fc.array(inputs(enrollment(), enrollmentFields), { maxLength: 3 }) }),
    },
    {
      mutation: 'changeEnrollment',
      subgraph: 'learners',
      argument: 'input',
      type: 'ChangeEnrollmentInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            enrollmentId: fixture.enrollment!,
            learner: {
              birthDate: '2019-04-01',
              gender: 'FEMALE',
              postcode: '7822 HG',
              familyName: 'Bakker',
              givenNames: 'Anna',
              municipalityOverride: '0114',
            },
            startDate: '2024-08-01',
            endDate: '2030-07-31',
            group: 3,
            schoolEnrollmentNumber: 'N1',
            vve: true,
            educationalConcept: 'Dalton',
          },
          {
            documentId: text,
            enrollmentId: id,
            'learner.birthDate': day,
            'learner.gender': text,
            'learner.postcode': text,
            'learner.familyName': text,
            'learner.givenNames': text,
            'learner.municipalityOverride': text,
            startDate: day,
            endDate: day,
            group: number,
            schoolEnrollmentNumber: text,
            vve: boolean,
            educationalConcept: text,
          },
        ),
    },
    {
      mutation: 'deregisterLearner',
      subgraph: 'learners',
      argument: 'input',
      type: 'DeregisterLearnerInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          { documentId: freshDocument, enrollmentId: fixture.ending!, endDate: '2026-07-31', reason: 'MOVED_ABROAD' },
          { documentId: text, enrollmentId: id, endDate: day, reason: text },
        ),
    },
    {
      mutation: 'recordResult',
      subgraph: 'learners',
      argument: 'input',
      type: 'RecordResultInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          { documentId: freshDocument, enrollmentId: fixture.enrollment!, schoolYear: '2025-2026', testLevel: 'HAVO', schoolAdvice: 'HAVO_VWO' },
          { documentId: text, enrollmentId: id, schoolYear: text, testLevel: text, noTestReason: text, schoolAdvice: text },
        ),
    },
    {
      mutation: 'acknowledgeTransfer',
      subgraph: 'learners',
      argument: 'input',
      type: 'AcknowledgeTransferInput!',
      viewer: 'school',
      inputs: () => inputs({ documentId: freshDocument, noticeId: fixture.notice! }, { documentId: text, noticeId: id }),
    },
    {
      mutation: 'acknowledgeSignal',
      subgraph: 'learners',
      argument: 'input',
      type: 'AcknowledgeSignalInput!',
      viewer: 'school',
      inputs: () => inputs({ documentId: freshDocument, signalId: fixture.signal! }, { documentId: text, signalId: id }),
    },
    {
      mutation: 'intendExpulsion',
      subgraph: 'learners',
      argument: 'input',
      type: 'IntendExpulsionInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          { documentId: freshDocument, enrollmentId: fixture.expellable!, grounds: 'Herhaald ernstig geweld tegen medeleerlingen' },
          { documentId: text, enrollmentId: id, grounds: text },
        ),
    },
    {
      mutation: 'recordExpulsionHearing',
      subgraph: 'learners',
      argument: 'input',
      type: 'RecordExpulsionHearingInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          { documentId: freshDocument, expulsionId: fixture.intendedExpulsion!, heard: 'PARENTS', heardOn: addDays(today(), -7) },
          { documentId: text, expulsionId: id, heard: text, heardOn: day },
        ),
    },
    {
      mutation: 'decideExpulsion',
      subgraph: 'learners',
      argument: 'input',
      type: 'DecideExpulsionInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          { documentId: freshDocument, expulsionId: fixture.heardExpulsion!, decidedOn: addDays(today(), -5) },
          { documentId: text, expulsionId: id, decidedOn: day },
        ),
    },
    {
      mutation: 'executeExpulsion',
      subgraph: 'learners',
      argument: 'input',
      type: 'ExecuteExpulsionInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            expulsionId: fixture.executableExpulsion!,
            endDate: addDays(today(), -1),
            receivingSchool: { destination: 'SPECIAL_EDUCATION', school: '00AA00 De Boei (so)', willingOn: addDays(today(), -3) },
          },
          {
            documentId: text,
            expulsionId: id,
            endDate: day,
            receivingSchool: wrongKind,
            'receivingSchool.destination': text,
            'receivingSchool.school': text,
            'receivingSchool.willingOn': day,
          },
        ),
    },
    {
      mutation: 'withdrawExpulsion',
      subgraph: 'learners',
      argument: 'input',
      type: 'WithdrawExpulsionInput!',
      viewer: 'school',
      inputs: () => inputs({ documentId: freshDocument, expulsionId: fixture.decidedExpulsion! }, { documentId: text, expulsionId: id }),
    },
    {
      mutation: 'runCountDate',
      subgraph: 'funding',
      argument: 'countDate',
      type: 'Date!',
      viewer: 'operator',
      inputs: () => fc.oneof(fc.constant('2026-02-01'), day),
    },
    {
      mutation: 'grantRegistrationExtension',
      subgraph: 'funding',
      argument: 'input',
      type: 'GrantRegistrationExtensionInput!',
      viewer: 'operator',
      // 1 February 2027: the count date the runCountDate case runs (2026) is final, and takes no extension.
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            school: '16AH',
            countDate: '2027-02-01',
            until: '2027-03-12',
            reason: 'Storing bij de leverancier, besluit van de minister',
          },
          { documentId: text, school: id, countDate: day, until: day, reason: text },
        ),
    },
    {
      mutation: 'reportAbsence',
      subgraph: 'absence',
      argument: 'input',
      type: 'ReportAbsenceInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            enrollmentId: fixture.enrollment!,
            kind: 'OTHER',
            startDate: addDays(today(), -5),
            endDate: addDays(today(), -1),
            absences: [absence()],
            suspectedReason: 'Ziek?',
            schoolAction: 'Gebeld',
            municipalityActionWanted: false,
            contact: { name: 'M. de Boer', role: 'Intern begeleider', phone: '0591-123456', email: 'ib@school.example' },
          },
          {
            documentId: text,
            enrollmentId: id,
            kind: text,
            startDate: day,
            endDate: day,
            absences,
            suspectedReason: text,
            schoolAction: text,
            municipalityActionWanted: boolean,
            'contact.name': text,
            'contact.role': text,
            'contact.phone': text,
            'contact.email': text,
          },
        ),
    },
    {
      mutation: 'changeAbsenceReportStatus',
      subgraph: 'absence',
      argument: 'input',
      type: 'ChangeAbsenceReportStatusInput!',
      viewer: 'municipality',
      inputs: () =>
        inputs(
          { documentId: freshDocument, reportId: fixture.report!, status: 'IN_TREATMENT', note: 'In behandeling genomen' },
          { documentId: text, reportId: id, status: text, note: text },
        ),
    },
    {
      mutation: 'recordAbsence',
      subgraph: 'absence',
      argument: 'input',
      type: 'RecordAbsenceInput!',
      viewer: 'school',
      inputs: () =>
        inputs({ documentId: freshDocument, enrollmentId: fixture.enrollment!, absences: [absence()] }, { documentId: text, enrollmentId: id, absences }),
    },
    {
      mutation: 'registerExemption',
      subgraph: 'absence',
      argument: 'input',
      type: 'RegisterExemptionInput!',
      viewer: 'municipality',
      inputs: () =>
        inputs(
          { documentId: freshDocument, pgn: fixture.pgn!, kind: 'UNFIT', startDate: '2026-09-01', endDate: '2027-07-31', noticedOn: '2026-08-15' },
          { documentId: text, pgn: id, kind: text, startDate: day, endDate: day, noticedOn: day },
        ),
    },
    {
      mutation: 'setSchoolCalendar',
      subgraph: 'absence',
      argument: 'input',
      type: 'SetSchoolCalendarInput!',
      viewer: 'school',
      inputs: () =>
        inputs(
          {
            documentId: freshDocument,
            brin6: '16AH00',
            schoolYear: '2025-2026',
            holidays: [
              { name: 'Zomervakantie', startDate: '2025-08-01', endDate: '2025-08-24' },
              { name: 'Kerstvakantie', startDate: '2025-12-20', endDate: '2026-01-04' },
              { name: 'Zomervakantie', startDate: '2026-07-18', endDate: '2026-07-31' },
            ],
          },
          {
            documentId: text,
            brin6: id,
            schoolYear: text,
            holidays: fc.array(inputs({ name: 'Studiedag', startDate: '2026-02-16', endDate: '2026-02-16' }, { name: text, startDate: day, endDate: day }), {
              maxLength: 4,
            }),
            'holidays.1.name': text,
            'holidays.1.startDate': day,
            'holidays.1.endDate': day,
          },
        ),
    },
    {
      mutation: 'acknowledgeAbsoluteAbsenceSignal',
      subgraph: 'absence',
      argument: 'input',
      type: 'AcknowledgeAbsoluteAbsenceSignalInput!',
      viewer: 'municipality',
      inputs: () =>
        inputs(
          { documentId: freshDocument, signalId: fixture.absoluteAbsenceSignal!, note: 'Huisbezoek gepland' },
          { documentId: text, signalId: id, note: text },
        ),
    },
  ];

  it.each(mutations)('$mutation ($subgraph)', async (row) => {
    await check(row.subgraph, row.mutation, row.argument, row.type, row.inputs(), row.viewer);
  });

  it('covers every mutation of the API', async () => {
    const { data } = await system.query<{ __schema: { mutationType: { fields: { name: string }[] } } }>('{ __schema { mutationType { fields { name } } } }');
    expect(data!.__schema.mutationType.fields.map((field) => field.name).sort()).toEqual(mutations.map((row) => row.mutation).sort());
  });
});
