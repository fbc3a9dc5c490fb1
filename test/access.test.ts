import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { addDays } from '../kernel/calendar.ts';
import { today } from '../kernel/scalars.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { countDateOf, currentCountDate } from '../subgraphs/funding/rules.ts';
import type { Listening } from '../kernel/http.ts';
import { signViewerAssertion, viewerHeader } from '../kernel/viewer.ts';
import {
  bsnFor,
  eventually,
  Follower,
  listenToSubgraph,
  openVestiging,
  postGraphQL,
  schoolAt,
  startTestSystem,
  type GraphQLResponse,
  type School,
  type TestSystem,
} from './harness.ts';

/**
 * Every root field of the API, for every kind of viewer, through the gateway: allowed ('ok', answered
 * without error) or refused with the code in the table. Read a row as "this field, asked by …".
 */
const viewers = {
  vendor: { role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH00' },
  unmandated: { role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' },
  expired: { role: 'VENDOR', vendorOin: '00000001003214345000', school: '16AH00' },
  municipality: { role: 'MUNICIPALITY', municipality: '0114' },
  otherMunicipality: { role: 'MUNICIPALITY', municipality: '0363' },
  board: { role: 'BOARD', board: '042B830' },
  operator: { role: 'OPERATOR' },
  anonymous: null,
} as const satisfies Record<string, Viewer | null>;

type Who = keyof typeof viewers;
type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNAUTHENTICATED';

const ok = 'ok';
const F = 'FORBIDDEN';
const NF = 'NOT_FOUND';
const U = 'UNAUTHENTICATED';

/** The columns of every row, in this order. */
const columns: Who[] = ['vendor', 'unmandated', 'expired', 'municipality', 'otherMunicipality', 'board', 'operator', 'anonymous'];

interface Fixtures {
  pgn: string;
  enrollmentId: string;
  endingEnrollmentId: string;
  noticeId: string;
  onderwijsnummer: string;
  reportId: string;
  mandateId: string;
  signalId: string;
  /** Expulsions at each step (WPO art 40.11): intended, intended with both hearings, decided, and one to withdraw. */
  expulsions: { intended: string; heard: string; decided: string; withdrawable: string };
  school: School;
  /** A location the board registered for 16AH00, and a programme of 16AH's provider at its own address. */
  rio: { locationCode: string; programmeId: string };
}

type Request = (f: Fixtures, n: number) => { query: string; variables?: Record<string, unknown> };

const enrollInput = (f: Fixtures, n: number) => ({
  documentId: `access-enroll-${n}`,
  learner: { pgn: bsnFor(60_000 + n), birthDate: '2018-04-04', gender: 'FEMALE', postcode: '7822HG' },
  providerCode: f.school.providerCode,
  locationCode: f.school.locationCode,
  offeredProgrammeId: f.school.offeredProgrammeId,
  startDate: '2024-08-01',
  group: 3,
  schoolEnrollmentNumber: `ACC${n}`,
});

const rioAddress = (houseNumber: string) => ({ street: 'Oosterstraat', houseNumber, postcode: '7822 HG', city: 'EMMEN', municipalityCode: '0114' });

//                      vendor unmandated expired municipality other  board operator anonymous
const matrix: [string, Request, Outcome[]][] = [
  ['branch', () => ({ query: '{ branch(brin6: "16AH00") { name } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['location', () => ({ query: '{ location(code: "646X831") { code } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['provider', () => ({ query: '{ provider(code: "010A823") { code } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['board', () => ({ query: '{ board(code: "042B830") { code } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['offeredProgramme', () => ({ query: '{ offeredProgramme(id: "5cbfc5b3-130a-52b4-b91b-6764dbc69471") { id } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['branches', () => ({ query: '{ branches(first: 1) { totalCount } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['mandateCheck', () => ({ query: `{ mandateCheck(brin6: "16AH00", service: ROD_PO, vendorOin: "${demoVendor.oin}") }` }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['mandates', () => ({ query: '{ mandates(first: 1) { totalCount } }' }), [ok, ok, ok, F, F, ok, ok, U]],
  ['vendors', () => ({ query: '{ vendors { oin } }' }), [ok, ok, ok, ok, ok, ok, ok, U]],
  ['learner', (f) => ({ query: 'query($pgn: ID!) { learner(pgn: $pgn) { id } }', variables: { pgn: f.pgn } }), [ok, F, F, ok, NF, F, ok, U]],
  ['enrollment', (f) => ({ query: 'query($id: ID!) { enrollment(id: $id) { id } }', variables: { id: f.enrollmentId } }), [ok, F, F, ok, NF, F, ok, U]],
  // A municipality lists its residents' enrollments and decided expulsions (LPW art 18.1, 19): the other municipality, none of 0114's.
  ['enrollments', () => ({ query: '{ enrollments(first: 1) { totalCount } }' }), [ok, F, F, ok, ok, F, ok, U]],
  ['expulsions', () => ({ query: '{ expulsions(first: 1) { totalCount } }' }), [ok, F, F, ok, ok, F, ok, U]],
  ['transferNotices', () => ({ query: '{ transferNotices(first: 1) { totalCount } }' }), [ok, F, F, F, F, F, ok, U]],
  [
    'signals',
    () => ({ query: '{ signals(first: 1) { totalCount edges { node { code field deliveredValue registeredValue action enrollment { id } } } } }' }),
    [ok, F, F, F, F, F, ok, U],
  ],
  ['auditLog', () => ({ query: '{ auditLog(first: 1) { totalCount } }' }), [F, F, F, F, F, F, ok, U]],
  ['fundingCounts', () => ({ query: '{ fundingCounts(groupBy: BRANCH) { code } }' }), [ok, F, F, F, F, ok, ok, U]],
  ['countDates', () => ({ query: '{ countDates { countDate } }' }), [ok, F, F, F, F, ok, ok, U]],
  ['absenceReport', (f) => ({ query: 'query($id: ID!) { absenceReport(id: $id) { id } }', variables: { id: f.reportId } }), [ok, F, F, ok, NF, F, ok, U]],
  ['absenceReports', () => ({ query: '{ absenceReports(first: 1) { totalCount } }' }), [ok, F, F, ok, ok, F, ok, U]],
  ['exemptions', () => ({ query: '{ exemptions(first: 1) { totalCount } }' }), [F, F, F, ok, ok, F, ok, U]],
  ['exemptionNotices', () => ({ query: '{ exemptionNotices(first: 1) { totalCount } }' }), [ok, F, F, F, F, F, ok, U]],
  ['absoluteAbsenceSignals', () => ({ query: '{ absoluteAbsenceSignals(first: 1) { totalCount } }' }), [F, F, F, ok, ok, F, ok, U]],
  [
    'registerVendor',
    (_, n) => ({
      query: `mutation { registerVendor(input: { documentId: "access-${n}", oin: "${String(70_000_000_000 + n).padStart(20, '0')}", name: "Vendor ${n}" }) { oin } }`,
    }),
    [F, F, F, F, F, F, ok, U],
  ],
  [
    'grantMandate',
    (_, n) => ({
      query: `mutation { grantMandate(input: { documentId: "access-${n}", brin6: "16AH00", service: RIO, vendorOin: "${demoVendor.oin}", startDate: "2026-01-01" }) { id } }`,
    }),
    [F, F, F, F, F, ok, F, U],
  ],
  [
    'endMandate',
    (f, n) => ({
      query: 'mutation($input: EndMandateInput!) { endMandate(input: $input) { id } }',
      variables: { input: { documentId: `access-${n}`, mandateId: f.mandateId, endDate: '2030-12-31' } },
    }),
    [F, F, F, F, F, ok, F, U],
  ],
  [
    'registerLocation',
    (_, n) => ({
      query: 'mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { id } }',
      variables: { input: { documentId: `access-${n}`, brin6: '16AH00', address: rioAddress(`${100 + n}`), startDate: '2026-01-01' } },
    }),
    [ok, F, F, F, F, ok, F, U],
  ],
  [
    'endLocation',
    (f, n) => ({
      query: 'mutation($input: EndLocationInput!) { endLocation(input: $input) { id } }',
      variables: { input: { documentId: `access-${n}`, brin6: '16AH00', locationCode: f.rio.locationCode, endDate: addDays('2030-12-31', -n) } },
    }),
    [ok, F, F, F, F, ok, F, U],
  ],
  [
    'registerOfferedProgramme',
    (f, n) => ({
      query: 'mutation($input: RegisterOfferedProgrammeInput!) { registerOfferedProgramme(input: $input) { id } }',
      // One day each, so that no two overlap.
      variables: {
        input: {
          documentId: `access-${n}`,
          locationCode: f.rio.locationCode,
          providerCode: f.school.providerCode,
          kind: 'SPECIAAL_BASISONDERWIJS',
          startDate: addDays('2027-01-01', n),
          endDate: addDays('2027-01-01', n),
        },
      },
    }),
    [ok, F, F, F, F, ok, F, U],
  ],
  [
    'endOfferedProgramme',
    (f, n) => ({
      query: 'mutation($input: EndOfferedProgrammeInput!) { endOfferedProgramme(input: $input) { id } }',
      variables: { input: { documentId: `access-${n}`, offeredProgrammeId: f.rio.programmeId, endDate: addDays('2030-12-31', -n) } },
    }),
    [ok, F, F, F, F, ok, F, U],
  ],
  [
    'renameProvider',
    (f, n) => ({
      query: 'mutation($input: RenameProviderInput!) { renameProvider(input: $input) { id } }',
      variables: { input: { documentId: `access-${n}`, providerCode: f.school.providerCode, name: `OBS 't Eenspan ${n}`, startDate: today() } },
    }),
    // The vendor acts for one vestiging; a provider's names are its whole school's (test/rioChanges.test.ts has the whole-school token).
    [F, F, F, F, F, ok, F, U],
  ],
  [
    // To a board RIO does not know: the board, who may move the provider, reaches that check; nobody moves it.
    'linkProviderToBoard',
    (f, n) => ({
      query: 'mutation($input: LinkProviderToBoardInput!) { linkProviderToBoard(input: $input) { id } }',
      variables: { input: { documentId: `access-${n}`, providerCode: f.school.providerCode, boardCode: '099B998', startDate: today() } },
    }),
    [F, F, F, F, F, NF, F, U],
  ],
  [
    'correctRio',
    (f, n) => ({
      query: 'mutation($input: CorrectRioInput!) { correctRio(input: $input) { change { id } } }',
      variables: {
        input: { documentId: `access-${n}`, reason: 'Naam volgens het bestuur', offeredProgramme: { id: f.rio.programmeId, name: `Speciaal ${n}` } },
      },
    }),
    [F, F, F, F, F, F, ok, U],
  ],
  [
    'identifyLearner',
    (_, n) => ({
      query: 'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { id } } }',
      variables: { input: { documentId: `access-${n}`, familyName: 'Jansen', birthDate: '2019-01-01', gender: 'MALE', postcode: '7822HG' } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'replacePgn',
    (f, n) => ({
      query: 'mutation($input: ReplacePgnInput!) { replacePgn(input: $input) { learner { id } } }',
      variables: { input: { documentId: `access-${n}`, onderwijsnummer: f.onderwijsnummer, bsn: bsnFor(61_000 + n) } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'enrollLearner',
    (f, n) => ({
      query: 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      variables: { input: enrollInput(f, n) },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'enrollLearners',
    (f, n) => ({
      query: 'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { failures { code } } }',
      variables: { input: { items: [enrollInput(f, n + 500)] } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'changeEnrollment',
    (f, n) => ({
      query: 'mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { id } } }',
      variables: { input: { documentId: `access-${n}`, enrollmentId: f.enrollmentId, group: 4 } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'deregisterLearner',
    (f, n) => ({
      query: 'mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { id } } }',
      variables: { input: { documentId: `access-${n}`, enrollmentId: f.endingEnrollmentId, endDate: '2025-03-01', reason: 'OTHER' } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'recordResult',
    (f, n) => ({
      query: 'mutation($input: RecordResultInput!) { recordResult(input: $input) { result { id } } }',
      variables: { input: { documentId: `access-${n}`, enrollmentId: f.enrollmentId, schoolYear: '2024-2025', testLevel: 'HAVO', schoolAdvice: 'HAVO' } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'intendExpulsion',
    (f, n) => ({
      query: 'mutation($input: IntendExpulsionInput!) { intendExpulsion(input: $input) { expulsion { id } } }',
      variables: { input: { documentId: `access-${n}`, enrollmentId: f.enrollmentId, grounds: 'Ernstig wangedrag' } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'recordExpulsionHearing',
    (f, n) => ({
      query: 'mutation($input: RecordExpulsionHearingInput!) { recordExpulsionHearing(input: $input) { expulsion { id } } }',
      variables: { input: { documentId: `access-${n}`, expulsionId: f.expulsions.intended, heard: 'PARENTS', heardOn: addDays(today(), -1) } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'decideExpulsion',
    (f, n) => ({
      query: 'mutation($input: DecideExpulsionInput!) { decideExpulsion(input: $input) { expulsion { id } } }',
      variables: { input: { documentId: `access-${n}`, expulsionId: f.expulsions.heard, decidedOn: today() } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'executeExpulsion',
    (f, n) => ({
      query: 'mutation($input: ExecuteExpulsionInput!) { executeExpulsion(input: $input) { expulsion { id } } }',
      variables: {
        input: {
          documentId: `access-${n}`,
          expulsionId: f.expulsions.decided,
          endDate: today(),
          receivingSchool: { destination: 'OTHER_SCHOOL', school: '04LY00', willingOn: today() },
        },
      },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'withdrawExpulsion',
    (f, n) => ({
      query: 'mutation($input: WithdrawExpulsionInput!) { withdrawExpulsion(input: $input) { expulsion { id } } }',
      variables: { input: { documentId: `access-${n}`, expulsionId: f.expulsions.withdrawable } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'acknowledgeSignal',
    (f, n) => ({
      query: 'mutation($input: AcknowledgeSignalInput!) { acknowledgeSignal(input: $input) { signal { status } } }',
      variables: { input: { documentId: `access-${n}`, signalId: f.signalId } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'acknowledgeTransfer',
    (f, n) => ({
      query: 'mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { notice { id } } }',
      variables: { input: { documentId: `access-${n}`, noticeId: f.noticeId } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'runCountDate',
    () => ({ query: `mutation { runCountDate(countDate: "${countDateOf(Number(currentCountDate(today()).slice(0, 4)) - 1)}") { phase } }` }),
    [F, F, F, F, F, F, ok, U],
  ],
  [
    'reportAbsence',
    (f, n) => ({
      query: 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }',
      variables: {
        input: {
          documentId: `access-${n}`,
          enrollmentId: f.enrollmentId,
          kind: 'OTHER',
          startDate: '2026-10-01',
          absences: [],
          municipalityActionWanted: false,
          contact: { name: 'J. Smit' },
        },
      },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'changeAbsenceReportStatus',
    (f, n) => ({
      query: 'mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { status } } }',
      variables: { input: { documentId: `access-${n}`, reportId: f.reportId, status: 'IN_TREATMENT' } },
    }),
    [F, F, F, ok, NF, F, F, U],
  ],
  [
    'recordAbsence',
    (f, n) => ({
      query: 'mutation($input: RecordAbsenceInput!) { recordAbsence(input: $input) { countedFrom } }',
      variables: { input: { documentId: `access-${n}`, enrollmentId: f.enrollmentId, absences: [{ date: '2026-10-05', dayPart: 'MORNING', hours: 2 }] } },
    }),
    [ok, F, F, F, F, F, F, U],
  ],
  [
    'registerExemption',
    (f, n) => ({
      query: 'mutation($input: RegisterExemptionInput!) { registerExemption(input: $input) { noticeCount } }',
      variables: { input: { documentId: `access-${n}`, pgn: f.pgn, kind: 'TRAVELLING', startDate: '2026-11-01' } },
    }),
    [F, F, F, ok, NF, F, F, U],
  ],
  [
    // A signal no municipality has: the one it was issued to would acknowledge it (test/leerplicht.test.ts).
    'acknowledgeAbsoluteAbsenceSignal',
    (_, n) => ({
      query: 'mutation($input: AcknowledgeAbsoluteAbsenceSignalInput!) { acknowledgeAbsoluteAbsenceSignal(input: $input) { signal { id } } }',
      variables: { input: { documentId: `access-${n}`, signalId: '00000000-0000-4000-8000-000000000019' } },
    }),
    [F, F, F, NF, NF, F, F, U],
  ],
];

/**
 * The subscription root fields, over WebSocket (graphql-ws): 'ok' when the owning subgraph took the
 * subscription live, else the code of the `error` message that refused it. Without a token the
 * connection itself is refused, closed with 4403: written UNAUTHENTICATED, as over HTTP. Funding,
 * transfer notices and signals need a ROD_PO mandate and follow a school; absence reports need
 * VERZUIM and follow a school or a municipality; absolute-absence signals follow a municipality only.
 */
//                      vendor unmandated expired municipality other  board operator anonymous
const subscriptionMatrix: [string, string, Outcome[]][] = [
  ['fundingStatusChanged', 'subscription { fundingStatusChanged { cursor } }', [ok, F, F, F, F, F, ok, U]],
  ['transferNoticeIssued', 'subscription { transferNoticeIssued { cursor } }', [ok, F, F, F, F, F, ok, U]],
  ['signalIssued', 'subscription { signalIssued { cursor } }', [ok, F, F, F, F, F, ok, U]],
  ['absenceReportUpdated', 'subscription { absenceReportUpdated { cursor } }', [ok, F, F, ok, ok, F, ok, U]],
  ['residentEnrollmentChanged', 'subscription { residentEnrollmentChanged { cursor } }', [F, F, F, ok, ok, F, ok, U]],
  ['absoluteAbsenceSignalUpdated', 'subscription { absoluteAbsenceSignalUpdated { cursor } }', [F, F, F, ok, ok, F, ok, U]],
];

describe('who may use which root field: the access matrix', () => {
  let system: TestSystem;
  let fixtures: Fixtures;
  const tokens = new Map<Who, string | null>();

  async function call(who: Who, query: string, variables?: Record<string, unknown>) {
    const response = await system.query<Record<string, any>>(query, { variables, token: tokens.get(who) ?? null });
    if (response.errors) throw new Error(`${who}: ${response.errors[0]!.message}`);
    return response.data!;
  }

  beforeAll(async () => {
    system = await startTestSystem();
    for (const who of columns) {
      const viewer = viewers[who];
      tokens.set(who, viewer ? await system.token(viewer) : null);
    }
    const school = await schoolAt(system, '16AH00');
    const elsewhere = await schoolAt(system, '04LY00');
    // The vendors without a mandate and with one that ended yesterday.
    await call('operator', 'mutation { registerVendor(input: { documentId: "u", oin: "00000003273255280000", name: "Zonder B.V." }) { oin } }');
    await call('operator', 'mutation { registerVendor(input: { documentId: "x", oin: "00000001003214345000", name: "Verlopen B.V." }) { oin } }');
    for (const service of ['ROD_PO', 'VERZUIM']) {
      await call(
        'board',
        `mutation { grantMandate(input: { documentId: "x-${service}", brin6: "16AH00", service: ${service}, vendorOin: "00000001003214345000", startDate: "2020-01-01", endDate: "${addDays(today(), -1)}" }) { id } }`,
      );
    }
    const mandate = await call(
      'board',
      `mutation { grantMandate(input: { documentId: "ending", brin6: "16AH00", service: RIO, vendorOin: "${demoVendor.oin}", startDate: "2026-01-01" }) { id } }`,
    );
    const enroll = async (at: School, n: number, pgn = bsnFor(62_000 + n)) => {
      const data = await call('vendor', 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
        input: {
          ...enrollInput({ school: at } as Fixtures, n),
          documentId: `fixture-${at.brin6}-${n}`,
          learner: { pgn, birthDate: '2018-04-04', gender: 'FEMALE', postcode: '7822HG' },
        },
      });
      return { enrollmentId: data.enrollLearner.enrollment.id as string, pgn };
    };
    const main = await enroll(school, 1);
    const ending = await enroll(school, 2);
    const leaving = await enroll(school, 3);
    // Enrolled at 04LY00 as well: 16AH00 gets a transfer notice (the demo vendor acts for both).
    const vendorElsewhere = await system.token({ ...viewers.vendor, school: '04LY00' });
    await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
      token: vendorElsewhere,
      variables: {
        input: {
          ...enrollInput({ school: elsewhere } as Fixtures, 4),
          documentId: 'fixture-transfer',
          learner: { pgn: leaving.pgn, birthDate: '2018-04-04', gender: 'FEMALE', postcode: '7822HG' },
          startDate: '2025-01-06',
        },
      },
    });
    const notices = await call('vendor', '{ transferNotices(status: OPEN) { edges { node { id } } } }');
    const identified = await call(
      'vendor',
      'mutation { identifyLearner(input: { documentId: "fixture-identify", familyName: "Bakker", birthDate: "2019-02-02", gender: MALE, postcode: "7822HG" }) { learner { pgn } } }',
    );
    // Only a school where the learner is enrolled replaces its onderwijsnummer.
    await enroll(school, 5, identified.identifyLearner.learner.pgn);
    // The person source knows none of these BSNs: each enrollment with one has an UNKNOWN_BSN signal.
    const signals = await call('vendor', '{ signals(status: OPEN, first: 1) { edges { node { id } } } }');
    const report = await call('vendor', 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }', {
      input: {
        documentId: 'fixture-report',
        enrollmentId: main.enrollmentId,
        kind: 'LUXURY',
        startDate: '2026-10-12',
        absences: [],
        municipalityActionWanted: true,
        contact: { name: 'J. Smit' },
      },
    });
    const expulsions = await expulsionFixtures(school, enroll);
    const use = await call('board', 'mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { location { code } } }', {
      input: { documentId: 'fixture-location', brin6: '16AH00', address: rioAddress('99'), startDate: '2026-01-01' },
    });
    const programme = await call('board', 'mutation($input: RegisterOfferedProgrammeInput!) { registerOfferedProgramme(input: $input) { id } }', {
      input: {
        documentId: 'fixture-programme',
        providerCode: school.providerCode,
        locationCode: school.locationCode,
        kind: 'SPECIAAL_BASISONDERWIJS',
        startDate: '2026-01-01',
      },
    });
    fixtures = {
      pgn: main.pgn,
      enrollmentId: main.enrollmentId,
      endingEnrollmentId: ending.enrollmentId,
      noticeId: notices.transferNotices.edges[0].node.id,
      onderwijsnummer: identified.identifyLearner.learner.pgn,
      reportId: report.reportAbsence.report.id,
      mandateId: mandate.grantMandate.id,
      signalId: signals.signals.edges[0].node.id,
      expulsions,
      school,
      rio: { locationCode: use.registerLocation.location.code, programmeId: programme.registerOfferedProgramme.id },
    };
  });
  afterAll(() => system?.close());

  /** An expulsion of a learner of its own at each step the mutations of the matrix take from. */
  async function expulsionFixtures(school: School, enroll: (at: School, n: number) => Promise<{ enrollmentId: string }>) {
    const step = async (name: string, input: Record<string, unknown>) =>
      (await call('vendor', `mutation($input: ${name[0]!.toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { expulsion { id } } }`, { input }))[
        name
      ].expulsion.id as string;
    const intended = async (n: number) =>
      step('intendExpulsion', { documentId: `fixture-intend-${n}`, enrollmentId: (await enroll(school, n)).enrollmentId, grounds: 'Ernstig wangedrag' });
    const heard = async (id: string) => {
      for (const heard of ['GROUP_TEACHER', 'PARENTS'])
        await step('recordExpulsionHearing', { documentId: `fixture-hear-${id}-${heard}`, expulsionId: id, heard, heardOn: addDays(today(), -2) });
      return id;
    };
    const decided = await heard(await intended(8));
    await step('decideExpulsion', { documentId: 'fixture-decide', expulsionId: decided, decidedOn: addDays(today(), -1) });
    return { intended: await intended(6), heard: await heard(await intended(7)), decided, withdrawable: await intended(9) };
  }

  /** Subscriptions open at the subgraphs, and those of them taking live events. */
  const feeds = () =>
    Object.values(system.system.stats().feeds).reduce((sum, feed) => ({ open: sum.open + feed.subscriptions, live: sum.live + feed.live }), {
      open: 0,
      live: 0,
    });

  /** Subscribes as `who` and waits for the refusal, or for the subscription to be live at its subgraph; then ends it. */
  async function subscribeAs(who: Who, query: string): Promise<string> {
    const token = tokens.get(who);
    let refused: string | undefined;
    const client = createClient({
      url: system.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    });
    client.subscribe(
      { query },
      {
        next: () => undefined,
        // A refusal comes as the errors of the `error` message; a refused connection as its close event.
        error: (error) => {
          const code = Array.isArray(error)
            ? String((error[0] as { extensions?: { code?: unknown } } | undefined)?.extensions?.code)
            : (error as { code?: number }).code;
          refused ??= code === 4403 ? U : String(code);
        },
        complete: () => void (refused ??= 'completed'),
      },
    );
    try {
      await eventually(`${who}'s subscription refused or live`, () => refused !== undefined || feeds().live === 1, { deadline: 10_000 });
      return refused ?? ok;
    } finally {
      await client.dispose();
      await eventually(`${who}'s subscription ended`, () => feeds().open === 0 && system.system.stats().gateway?.subscribers === 0, { deadline: 10_000 });
    }
  }

  it.each(matrix)('%s', async (_, request, expected) => {
    const outcomes: Record<string, string> = {};
    for (const [column, who] of columns.entries()) {
      const { query, variables } = request(fixtures, column + 10 * matrix.findIndex((row) => row[1] === request));
      const response = await system.query(query, { variables, token: tokens.get(who) ?? null });
      outcomes[who] = response.errors ? String(response.errors[0]!.extensions?.code) : 'ok';
    }
    expect(outcomes).toEqual(Object.fromEntries(columns.map((who, column) => [who, expected[column]])));
  });

  it.each(subscriptionMatrix)('%s (subscription, over WebSocket)', async (_, query, expected) => {
    const outcomes: Record<string, string> = {};
    for (const who of columns) outcomes[who] = await subscribeAs(who, query);
    expect(outcomes).toEqual(Object.fromEntries(columns.map((who, column) => [who, expected[column]])));
  });
});

/**
 * A token for a whole school (its BRIN4), under a mandate for the whole school (Besluit bekostiging
 * WPO 2022 art 8.5, 11.2): it reaches every vestiging of that school, one opened after the mandate
 * too, and nothing of any other school, through the gateway and at a subgraph reached directly.
 * 16AZ00 is another school whose BRIN4 shares the first three characters; its board mandates the same
 * vendor for it alone, so only the scope of the token keeps it out.
 */
describe('a token for a whole school (BRIN4): every vestiging of that school, and no other school', () => {
  const vendorOin = '00000003273255280000';
  let system: TestSystem;
  let wholeSchool: string;
  let main: School;
  let vestiging: School;
  let other: School;
  const enrolled: Record<'main' | 'vestiging' | 'other', { enrollmentId: string; pgn: string }> = {} as never;
  let otherReport: string;

  const ask = async <Data = Record<string, any>>(token: string, query: string, variables?: Record<string, unknown>) =>
    system.query<Data>(query, { token, variables });
  const codeOf = (response: { errors?: { extensions?: Record<string, unknown> }[] }) => (response.errors?.[0]?.extensions?.code as string | undefined) ?? 'ok';

  async function grant(school: { brin6?: string; brin4?: string }, service: string) {
    const brin6 = school.brin6 ?? `${school.brin4}00`;
    const { data } = await system.query<{ branch: { provider: { board: { code: string } } } }>(
      'query($brin6: ID!) { branch(brin6: $brin6) { provider { board { code } } } }',
      { variables: { brin6 } },
    );
    const response = await system.query('mutation($input: GrantMandateInput!) { grantMandate(input: $input) { id wholeSchool branch { brin6 } } }', {
      token: await system.token({ role: 'BOARD', board: data!.branch.provider.board.code }),
      variables: { input: { documentId: `grant-${brin6}-${school.brin4 ?? ''}-${service}`, ...school, service, vendorOin, startDate: '2020-01-01' } },
    });
    expect(response.errors).toBeUndefined();
    return response.data!.grantMandate as { wholeSchool: boolean; branch: { brin6: string } };
  }

  async function enroll(token: string, at: School, n: number) {
    const pgn = bsnFor(63_000 + n);
    const input = {
      ...enrollInput({ school: at } as Fixtures, 900 + n),
      documentId: `whole-${n}`,
      // 16AH01 opened today (harness.ts, openVestiging).
      startDate: today(),
      learner: { pgn, birthDate: '2018-04-04', gender: 'FEMALE', postcode: '7822HG' },
    };
    let response: GraphQLResponse<{ enrollLearner: { enrollment: { id: string } } }> | undefined;
    // 16AH01 opened a moment ago: the learners register learns of it from the institutions stream.
    await eventually(`an enrollment at ${at.brin6}`, async () => {
      response = await ask(token, 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', { input });
      expect(response.errors).toBeUndefined();
    });
    return { enrollmentId: response!.data!.enrollLearner.enrollment.id, pgn };
  }

  beforeAll(async () => {
    system = await startTestSystem();
    await system.query(`mutation { registerVendor(input: { documentId: "whole", oin: "${vendorOin}", name: "Hele School B.V." }) { oin } }`);
    await openVestiging(system, '16AH01');
    for (const service of ['ROD_PO', 'VERZUIM']) {
      expect(await grant({ brin4: '16AH' }, service)).toMatchObject({ wholeSchool: true, branch: { brin6: '16AH00' } });
      await grant({ brin6: '16AZ00' }, service);
    }
    wholeSchool = await system.token({ role: 'VENDOR', vendorOin, school: '16AH' });
    [main, vestiging, other] = (await Promise.all(['16AH00', '16AH01', '16AZ00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
    other.token = await system.token({ role: 'VENDOR', vendorOin, school: '16AZ00' });
    enrolled.main = await enroll(wholeSchool, main, 1);
    enrolled.vestiging = await enroll(wholeSchool, vestiging, 2);
    enrolled.other = await enroll(other.token, other, 3);
    const report = await ask(other.token, 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }', {
      input: {
        documentId: 'whole-report',
        enrollmentId: enrolled.other.enrollmentId,
        kind: 'LUXURY',
        startDate: today(),
        absences: [],
        municipalityActionWanted: false,
        contact: { name: 'J. Smit' },
      },
    });
    otherReport = report.data!.reportAbsence.report.id;
  });
  afterAll(() => system?.close());

  const enrollmentQuery = 'query($id: ID!) { enrollment(id: $id) { id branch { brin6 } } }';
  const learnerQuery = 'query($pgn: ID!) { learner(pgn: $pgn) { id } }';

  it('reads, changes and reports at 16AH00 and at 16AH01, opened after the mandate, with one token', async () => {
    for (const [at, { enrollmentId, pgn }] of [
      ['16AH00', enrolled.main],
      ['16AH01', enrolled.vestiging],
    ] as const) {
      expect((await ask(wholeSchool, enrollmentQuery, { id: enrollmentId })).data!.enrollment).toEqual({ id: enrollmentId, branch: { brin6: at } });
      expect(codeOf(await ask(wholeSchool, learnerQuery, { pgn }))).toBe('ok');
      const changed = await ask(wholeSchool, 'mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { group } } }', {
        input: { documentId: `whole-change-${at}`, enrollmentId, group: 4 },
      });
      expect(changed.data!.changeEnrollment).toEqual({ enrollment: { group: 4 } });
      const reported = await ask(wholeSchool, 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }', {
        input: {
          documentId: `whole-report-${at}`,
          enrollmentId,
          kind: 'OTHER',
          startDate: today(),
          absences: [],
          municipalityActionWanted: false,
          contact: { name: 'J. Smit' },
        },
      });
      expect(codeOf(reported)).toBe('ok');
    }
    const listed = await ask<{ enrollments: { edges: { node: { id: string } }[] } }>(wholeSchool, '{ enrollments(first: 200) { edges { node { id } } } }');
    const ids = listed.data!.enrollments.edges.map((edge) => edge.node.id);
    expect(ids).toEqual(expect.arrayContaining([enrolled.main.enrollmentId, enrolled.vestiging.enrollmentId]));
    expect(ids).not.toContain(enrolled.other.enrollmentId);
    const counts = await ask<{ fundingCounts: { code: string }[] }>(wholeSchool, '{ fundingCounts(groupBy: BRANCH) { code } }');
    expect(counts.errors).toBeUndefined();
    expect(counts.data!.fundingCounts.every(({ code }) => code === '16AH00' || code === '16AH01')).toBe(true);
  });

  it('never reaches another school, not even one its vendor is mandated for', async () => {
    const { enrollmentId, pgn } = enrolled.other;
    expect(codeOf(await ask(wholeSchool, enrollmentQuery, { id: enrollmentId }))).toBe('NOT_FOUND');
    expect(codeOf(await ask(wholeSchool, learnerQuery, { pgn }))).toBe('NOT_FOUND');
    expect(codeOf(await ask(wholeSchool, 'query($id: ID!) { absenceReport(id: $id) { id } }', { id: otherReport }))).toBe('NOT_FOUND');
    const changed = await ask(wholeSchool, 'mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { id } } }', {
      input: { documentId: 'whole-change-other', enrollmentId, group: 4 },
    });
    expect(codeOf(changed)).toBe('NOT_FOUND');
    const elsewhere = await ask(wholeSchool, 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
      input: { ...enrollInput({ school: other } as Fixtures, 990), documentId: 'whole-elsewhere' },
    });
    expect(codeOf(elsewhere)).toBe('FORBIDDEN');
    const reports = await ask<{ absenceReports: { edges: { node: { id: string } }[] } }>(
      wholeSchool,
      '{ absenceReports(first: 200) { edges { node { id } } } }',
    );
    expect(reports.data!.absenceReports.edges.map((edge) => edge.node.id)).not.toContain(otherReport);
  });

  it('identifies a child at the vestiging it names, and only at one of its own', async () => {
    const identify = (documentId: string, brin6?: string) =>
      ask(wholeSchool, 'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { id } } }', {
        input: { documentId, familyName: 'Bakker', birthDate: '2019-02-02', gender: 'MALE', postcode: '7822HG', ...(brin6 ? { brin6 } : {}) },
      });
    expect((await identify('whole-identify-none')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'brin6' });
    expect((await identify('whole-identify-other', '16AZ00')).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'brin6' });
    expect(codeOf(await identify('whole-identify', '16AH01'))).toBe('ok');
  });

  it("sets a vestiging's calendar when it names it, and only one of its own", async () => {
    const set = (documentId: string, brin6?: string) =>
      ask(wholeSchool, 'mutation($input: SetSchoolCalendarInput!) { setSchoolCalendar(input: $input) { calendar { branch { brin6 } source } } }', {
        input: { documentId, schoolYear: '2026-2027', holidays: [{ startDate: '2026-12-21', endDate: '2027-01-01' }], ...(brin6 ? { brin6 } : {}) },
      });
    expect((await set('whole-calendar-none')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'brin6' });
    expect((await set('whole-calendar-other', '16AZ00')).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'brin6' });
    expect((await set('whole-calendar', '16AH01')).data).toEqual({ setSchoolCalendar: { calendar: { branch: { brin6: '16AH01' }, source: 'SCHOOL' } } });
  });

  it('needs a mandate for the whole school; a vestiging token works under one', async () => {
    const read = '{ enrollments(first: 1) { totalCount } }';
    expect(codeOf(await ask(await system.token({ role: 'VENDOR', vendorOin, school: '16AH01' }), read))).toBe('ok');
    // The demo vendor holds mandates for 16AH00 alone, and this vendor for 16AZ00 alone: neither covers a whole school.
    expect(codeOf(await ask(await system.token({ role: 'VENDOR', vendorOin: demoVendor.oin, school: '16AH' }), read))).toBe('FORBIDDEN');
    expect(codeOf(await ask(await system.token({ role: 'VENDOR', vendorOin, school: '16AZ' }), read))).toBe('FORBIDDEN');
    const check = (brin6: string) => system.query<{ mandateCheck: string }>(`{ mandateCheck(brin6: "${brin6}", service: ROD_PO, vendorOin: "${vendorOin}") }`);
    expect([(await check('16AH01')).data!.mandateCheck, (await check('16AK00')).data!.mandateCheck]).toEqual(['OK', 'NOK']);
  });

  it('follows the signals of every vestiging of the school, and of no other', async () => {
    const follower = new Follower<{ cursor: string; signal: { enrollment: { id: string } } }>({
      url: () => system.url,
      token: wholeSchool,
      query: 'subscription { signalIssued { cursor signal { enrollment { id } } } }',
      field: 'signalIssued',
    });
    try {
      await eventually('the subscription live', () => Object.values(system.system.stats().feeds).reduce((sum, feed) => sum + feed.live, 0) === 1);
      // Each enrollment under a BSN the person source lacks has an UNKNOWN_BSN signal, in this order.
      const elsewhere = await enroll(other.token, other, 4);
      const atVestiging = await enroll(wholeSchool, vestiging, 5);
      const atMain = await enroll(wholeSchool, main, 6);
      await follower.until('two signals', () => follower.items.length >= 2);
      const followed = follower.items.map((item) => item.signal.enrollment.id);
      expect(followed.slice(0, 2)).toEqual([atVestiging.enrollmentId, atMain.enrollmentId]);
      expect(followed).not.toContain(elsewhere.enrollmentId);
    } finally {
      await follower.stop();
    }
  });

  describe('at a subgraph reached directly', () => {
    const direct = new Map<string, Listening>();
    beforeAll(async () => {
      for (const name of ['learners', 'absence']) {
        direct.set(name, await listenToSubgraph(system, name));
      }
    });
    afterAll(() => Promise.all([...direct.values()].map((listening) => listening.close())));

    const askDirectly = async (name: string, query: string, variables: Record<string, unknown>) =>
      postGraphQL<Record<string, unknown>>(direct.get(name)!.url, query, variables, null, {
        [viewerHeader]: await signViewerAssertion({ role: 'VENDOR', vendorOin, school: '16AH' }, system.config.viewerSecret, name),
      });

    it('the same: 16AH01 yes, another school no', async () => {
      expect(codeOf(await askDirectly('learners', 'query($id: ID!) { enrollment(id: $id) { id } }', { id: enrolled.vestiging.enrollmentId }))).toBe('ok');
      expect(codeOf(await askDirectly('learners', 'query($id: ID!) { enrollment(id: $id) { id } }', { id: enrolled.other.enrollmentId }))).toBe('NOT_FOUND');
      expect(codeOf(await askDirectly('absence', 'query($id: ID!) { absenceReport(id: $id) { id } }', { id: otherReport }))).toBe('NOT_FOUND');
    });
  });
});
