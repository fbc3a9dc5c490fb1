import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../kernel/events.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { bsnFor, eventually, importPersonLines, personLine, schoolAt, startTestSystem, type GraphQLResponse, type School, type TestSystem } from './harness.ts';

interface Report {
  id: string;
  kind: string;
  status: string;
  municipalityCode: string;
  totalHours: number;
  history: { from: string | null; to: string; byRole: string; by: string; note: string | null }[];
}

const reportFields = 'id kind status municipalityCode totalHours history { from to byRole by note }';

describe('absence reports and exemptions through the gateway', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let serial = 0;
  // Learner 1 lives in Emmen, where school A is; learner 2 lives elsewhere and goes to school A too.
  let first: { enrollmentId: string; pgn: string; municipality: string };
  let second: { enrollmentId: string; pgn: string; municipality: string };
  let residence: string;
  let elsewhere: string;
  // Learner 3 lives in Emmen too, goes to school A and is exempt: the only exemption in this file.
  let exempt: { enrollmentId: string; pgn: string; municipality: string };
  let exemption: Awaited<ReturnType<typeof register>>;

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    first = await enroll(a, '7822HG');
    second = await enroll(a, '1011AB');
    residence = first.municipality;
    elsewhere = second.municipality;
    expect(residence).not.toBe(elsewhere);
    exempt = await enroll(a, '7822HG');
    exemption = await register(await municipality(residence), exempt.pgn);
  });
  afterAll(() => system?.close());

  async function enroll(at: School, postcode: string, pgn = bsnFor(++serial + 8000)) {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string }; learner: { residence: { municipalityCode: string } } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } learner { residence { municipalityCode } } } }',
      {
        token: at.token,
        variables: {
          input: {
            documentId: `absence-enroll-${++serial}`,
            learner: { pgn, birthDate: '2017-05-01', gender: 'FEMALE', postcode },
            providerCode: at.providerCode,
            locationCode: at.locationCode,
            offeredProgrammeId: at.offeredProgrammeId,
            startDate: '2024-08-01',
            group: 4,
            schoolEnrollmentNumber: `V${serial}`,
          },
        },
      },
    );
    expect(response.errors).toBeUndefined();
    return { enrollmentId: response.data!.enrollLearner.enrollment.id, pgn, municipality: response.data!.enrollLearner.learner.residence.municipalityCode };
  }

  const municipality = (code: string) => system.token({ role: 'MUNICIPALITY', municipality: code });
  const expectRefused = (response: GraphQLResponse<unknown>, code: string) => expect(response.errors?.[0]?.extensions?.code).toBe(code);

  /** 4 hours in the morning of each given day of October 2026. */
  const mornings = (days: number[], hours = 4) => days.map((day) => ({ date: `2026-10-${String(day).padStart(2, '0')}`, dayPart: 'MORNING', hours }));

  function report(token: string, enrollmentId: string, overrides: Record<string, unknown> = {}) {
    return system.query<{ reportAbsence: { report: Report } }>(
      `mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { ${reportFields} } } }`,
      {
        token,
        variables: {
          input: {
            documentId: `report-${++serial}`,
            enrollmentId,
            kind: 'SIXTEEN_HOURS',
            startDate: '2026-10-05',
            endDate: '2026-10-08',
            absences: mornings([5, 6, 7, 8]),
            suspectedReason: 'Stays home to look after a younger sibling',
            schoolAction: 'Talked to the parents on 2026-10-06',
            municipalityActionWanted: true,
            contact: { name: 'J. de Vries', role: 'intern begeleider', email: 'ib@example.org' },
            ...overrides,
          },
        },
      },
    );
  }

  function step(token: string, reportId: string, status: string, note?: string) {
    return system.query<{ changeAbsenceReportStatus: { report: Report } }>(
      `mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { ${reportFields} } } }`,
      { token, variables: { input: { documentId: `step-${++serial}`, reportId, status, note } } },
    );
  }

  const register = (token: string, pgn: string) =>
    system.query<{ registerExemption: { exemption: { id: string; kind: string; learner: { pgn: string } | null }; noticeCount: number } }>(
      'mutation($input: RegisterExemptionInput!) { registerExemption(input: $input) { exemption { id kind learner { pgn } } noticeCount } }',
      { token, variables: { input: { documentId: `exempt-${++serial}`, pgn, kind: 'UNFIT', startDate: '2026-11-01' } } },
    );

  const statusOf = async (reportId: string) =>
    (await system.query<{ absenceReport: { status: string } }>('query($id: ID!) { absenceReport(id: $id) { status } }', { variables: { id: reportId } })).data!
      .absenceReport.status;

  describe('the threshold signal', () => {
    const record = (absences: unknown[], enrollmentId: string) =>
      system.query<{
        recordAbsence: {
          countedFrom: string | null;
          reached: { startDate: string; reachedOn: string; hours: number } | null;
          proposal: { kind: string; startDate: string; endDate: string; absences: unknown[] } | null;
        };
      }>(
        'mutation($input: RecordAbsenceInput!) { recordAbsence(input: $input) { countedFrom reached { startDate reachedOn hours } proposal { kind startDate endDate absences { date dayPart hours } } } }',
        { token: a.token, variables: { input: { documentId: `record-${++serial}`, enrollmentId, absences } } },
      );
    const day = (date: string) => [
      { date, dayPart: 'MORNING', hours: 4 },
      { date, dayPart: 'AFTERNOON', hours: 4 },
    ];

    it('stays silent at 15.5 hours within 4 weeks and proposes a report, without filing it, at 16', async () => {
      const { enrollmentId } = await enroll(a, '1011AB');
      const reportsOfA = async () =>
        (await system.query<{ absenceReports: { totalCount: number } }>('{ absenceReports { totalCount } }', { token: a.token })).data!.absenceReports
          .totalCount;
      const filed = await reportsOfA();
      const below = await record([...mornings([1, 2, 3]), { date: '2026-10-28', dayPart: 'AFTERNOON', hours: 3.5 }], enrollmentId);
      expect(below.errors).toBeUndefined();
      expect(below.data!.recordAbsence).toMatchObject({ countedFrom: null, reached: null, proposal: null });

      const at = await record([{ date: '2026-10-28', dayPart: 'MORNING', hours: 0.5 }], enrollmentId);
      expect(at.data!.recordAbsence.reached).toEqual({ startDate: '2026-10-01', reachedOn: '2026-10-28', hours: 16 });
      expect(at.data!.recordAbsence.proposal).toMatchObject({ kind: 'SIXTEEN_HOURS', startDate: '2026-10-01', endDate: '2026-10-28' });
      expect(at.data!.recordAbsence.proposal!.absences).toHaveLength(5);
      expect(await reportsOfA()).toBe(filed);
    });

    it('joins absence on day 1 and day 28 of 4 weeks, and not on day 1 and day 29', async () => {
      const { enrollmentId } = await enroll(a, '7822HG');
      const apart = await record([...day('2026-09-01'), ...day('2026-09-29')], enrollmentId);
      expect(apart.data!.recordAbsence.reached).toBeNull();
      const within = await record(day('2026-09-28'), enrollmentId);
      expect(within.data!.recordAbsence.reached).toEqual({ startDate: '2026-09-01', reachedOn: '2026-09-28', hours: 16 });
    });
  });

  describe('a report and its workflow', () => {
    /** A 16-hour report of school A on learner 2, who lives elsewhere, for a case of its own. */
    const reportOnSecond = async () => {
      const response = await report(a.token, second.enrollmentId);
      expect(response.errors).toBeUndefined();
      return response.data!.reportAbsence.report;
    };

    it('registers a 16-hour report and routes it to the municipality where the learner lives', async () => {
      const made = await reportOnSecond();
      expect(made).toMatchObject({ kind: 'SIXTEEN_HOURS', status: 'REGISTERED', municipalityCode: elsewhere, totalHours: 16 });
      expect(made.history).toEqual([{ from: null, to: 'REGISTERED', byRole: 'VENDOR', by: `00000001800866472000/${a.brin6}`, note: null }]);
      const inbox = await system.query<{ absenceReports: { edges: { node: { id: string } }[] } }>(
        '{ absenceReports(filter: { status: REGISTERED }, first: 200) { edges { node { id } } } }',
        {
          token: await municipality(elsewhere),
        },
      );
      expect(inbox.data!.absenceReports.edges.map((edge) => edge.node.id)).toContain(made.id);
      // Not to the municipality of the school, where learner 1 lives and other cases' reports go.
      const other = await system.query<{ absenceReports: { edges: { node: { id: string } }[] } }>('{ absenceReports(first: 200) { edges { node { id } } } }', {
        token: await municipality(residence),
      });
      expect(other.data!.absenceReports.edges.map((edge) => edge.node.id)).not.toContain(made.id);
    });

    it('resolves the learner (learners) and the school (institutions) of a report for its municipality', async () => {
      const reportId = (await reportOnSecond()).id;
      const response = await system.query<{ absenceReport: { learner: { pgn: string }; branch: { name: string }; enrollment: { startDate: string } } }>(
        'query($id: ID!) { absenceReport(id: $id) { learner { pgn } branch { name } enrollment { startDate } } }',
        { variables: { id: reportId }, token: await municipality(elsewhere) },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.absenceReport).toEqual({
        learner: { pgn: second.pgn },
        branch: { name: "Openbare Basisschool 't Eenspan" },
        enrollment: { startDate: '2024-08-01' },
      });
    });

    it('lets the municipality take it in treatment and close it, refusing every other step and changing nothing', async () => {
      const reportId = (await reportOnSecond()).id;
      const town = await municipality(elsewhere);
      expectRefused(await step(a.token, reportId, 'IN_TREATMENT'), 'FORBIDDEN');
      expectRefused(await step(town, reportId, 'CLOSED'), 'CONFLICT');
      expectRefused(await step(town, reportId, 'WITHDRAWN'), 'FORBIDDEN');
      expect(await statusOf(reportId)).toBe('REGISTERED');

      expect((await step(town, reportId, 'IN_TREATMENT', 'Home visit planned')).data!.changeAbsenceReportStatus.report.status).toBe('IN_TREATMENT');
      expectRefused(await step(a.token, reportId, 'WITHDRAWN'), 'CONFLICT');
      const closed = (await step(town, reportId, 'CLOSED', 'Attends again')).data!.changeAbsenceReportStatus.report;
      expect(closed.history.map((entry) => [entry.from, entry.to, entry.byRole, entry.note])).toEqual([
        [null, 'REGISTERED', 'VENDOR', null],
        ['REGISTERED', 'IN_TREATMENT', 'MUNICIPALITY', 'Home visit planned'],
        ['IN_TREATMENT', 'CLOSED', 'MUNICIPALITY', 'Attends again'],
      ]);
      expect(closed.history.every((entry, i) => i === 0 || entry.by === `municipality/${elsewhere}`)).toBe(true);
      expectRefused(await step(town, reportId, 'ACKNOWLEDGED'), 'CONFLICT');
      expect(await statusOf(reportId)).toBe('CLOSED');
    });

    it('lets the school withdraw a report before treatment, and the municipality acknowledge one', async () => {
      const withdrawn = (await report(a.token, first.enrollmentId, { kind: 'LUXURY', endDate: null, absences: [] })).data!.reportAbsence.report;
      expect((await step(a.token, withdrawn.id, 'WITHDRAWN')).data!.changeAbsenceReportStatus.report.status).toBe('WITHDRAWN');
      expectRefused(await step(await municipality(residence), withdrawn.id, 'IN_TREATMENT'), 'CONFLICT');

      const noted = (await report(a.token, first.enrollmentId, { kind: 'OTHER', endDate: null, absences: [] })).data!.reportAbsence.report;
      const town = await municipality(residence);
      await step(town, noted.id, 'IN_TREATMENT');
      expect((await step(town, noted.id, 'ACKNOWLEDGED')).data!.changeAbsenceReportStatus.report.status).toBe('ACKNOWLEDGED');
    });

    it('refuses a report on a learner not enrolled at the reporting school, or outside the enrollment, and stores nothing', async () => {
      const before = (await system.query<{ absenceReports: { totalCount: number } }>('{ absenceReports { totalCount } }')).data!.absenceReports.totalCount;
      expectRefused(await report(b.token, first.enrollmentId), 'NOT_FOUND');
      const early = await report(a.token, first.enrollmentId, { kind: 'OTHER', startDate: '2024-07-31', endDate: null, absences: [] });
      expect(early.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'startDate' });
      const short = await report(a.token, first.enrollmentId, { absences: mornings([5, 6, 7]).concat({ date: '2026-10-08', dayPart: 'MORNING', hours: 3.5 }) });
      expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'absences' });
      expect((await system.query<{ absenceReports: { totalCount: number } }>('{ absenceReports { totalCount } }')).data!.absenceReports.totalCount).toBe(
        before,
      );
    });

    it('answers a resent report with the first answer and stores nothing new', async () => {
      const input = {
        documentId: 'report-resent',
        enrollmentId: first.enrollmentId,
        kind: 'OTHER',
        startDate: '2026-10-12',
        absences: [],
        municipalityActionWanted: false,
        contact: { name: 'J. de Vries' },
      };
      const mutation = 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }';
      const once = await system.query<{ reportAbsence: { report: { id: string } } }>(mutation, { token: a.token, variables: { input } });
      const twice = await system.query<{ reportAbsence: { report: { id: string } } }>(mutation, { token: a.token, variables: { input } });
      expect(twice.data!.reportAbsence.report.id).toBe(once.data!.reportAbsence.report.id);
      expectRefused(await system.query(mutation, { token: a.token, variables: { input: { ...input, kind: 'LUXURY' } } }), 'CONFLICT');
    });
  });

  describe('exemptions', () => {
    const notices = (token: string) =>
      system.query<{ exemptionNotices: { edges: { node: { enrollment: { id: string }; kind: string } }[] } }>(
        '{ exemptionNotices { edges { node { enrollment { id } kind } } } }',
        { token },
      );

    it('is registered by the municipality where the learner lives, and the enrolling school gets a notice (LPW art 15a)', async () => {
      // The exemption of learner 3 is registered before the cases (above); these change nothing.
      expectRefused(await register(await municipality(elsewhere), exempt.pgn), 'NOT_FOUND');
      expectRefused(await register(a.token, exempt.pgn), 'FORBIDDEN');
      expect(exemption.errors).toBeUndefined();
      expect(exemption.data!.registerExemption).toMatchObject({ exemption: { kind: 'UNFIT', learner: { pgn: exempt.pgn } }, noticeCount: 1 });
      expect((await notices(a.token)).data!.exemptionNotices.edges.map((edge) => edge.node)).toEqual([
        { enrollment: { id: exempt.enrollmentId }, kind: 'UNFIT' },
      ]);
      expect((await notices(b.token)).data!.exemptionNotices.edges).toEqual([]);
    });

    it('sends the notice to a school that enrolls an exempt learner later', async () => {
      // A school of this case's own: school B gets no notice in the case above.
      const later = await schoolAt(system, '16DJ00');
      await enroll(later, '7822HG', exempt.pgn);
      // The absence register learns of the enrollment from the learners stream, within a second.
      await eventually('the notice at the new school', async () => expect((await notices(later.token)).data!.exemptionNotices.edges).toHaveLength(1));
    });

    it('shows exemptions to the registering municipality and the operator only', async () => {
      const count = async (token?: string) =>
        (await system.query<{ exemptions: { totalCount: number } }>('{ exemptions { totalCount } }', token ? { token } : {})).data?.exemptions.totalCount;
      expect(await count(await municipality(residence))).toBe(1);
      expect(await count(await municipality(elsewhere))).toBe(0);
      expect(await count()).toBe(1);
      expectRefused(await system.query('{ exemptions { totalCount } }', { token: a.token }), 'FORBIDDEN');
    });
  });

  describe('a move in the person source', () => {
    it("sends the learner's next report to the municipality moved to, and leaves the reports made before where they went", async () => {
      const pgn = bsnFor(8900);
      await importPersonLines(system, [personLine(pgn, { birthDate: '2017-05-01' })]);
      const enrolled = await enroll(a, '7822HG', pgn);
      expect(enrolled.municipality).toBe('0114');
      const before = await report(a.token, enrolled.enrollmentId, { kind: 'OTHER', startDate: '2026-10-12', endDate: null, absences: [] });
      expect(before.data!.reportAbsence.report.municipalityCode).toBe('0114');

      const moved = await importPersonLines(system, [
        personLine(pgn, { birthDate: '2017-05-01', postcode: '1011AB', houseNumber: 3, municipalityCode: '0363' }),
      ]);
      expect(moved).toMatchObject({ PersonMoved: 1, signals: 1 });
      const after = await report(a.token, enrolled.enrollmentId, { kind: 'OTHER', startDate: '2026-11-16', endDate: null, absences: [] });
      expect(after.data!.reportAbsence.report.municipalityCode).toBe('0363');

      const routed = async (id: string) =>
        (
          await system.query<{ absenceReport: { municipalityCode: string } }>('query($id: ID!) { absenceReport(id: $id) { municipalityCode } }', {
            variables: { id },
          })
        ).data!.absenceReport.municipalityCode;
      expect(await routed(before.data!.reportAbsence.report.id)).toBe('0114');
      const inbox = async (code: string) =>
        (
          await system.query<{ absenceReports: { edges: { node: { id: string } }[] } }>('{ absenceReports(first: 200) { edges { node { id } } } }', {
            token: await municipality(code),
          })
        ).data!.absenceReports.edges.map((edge) => edge.node.id);
      expect(await inbox('0363')).toContain(after.data!.reportAbsence.report.id);
      expect(await inbox('0363')).not.toContain(before.data!.reportAbsence.report.id);
      expect(await inbox('0114')).toContain(before.data!.reportAbsence.report.id);
    });
  });

  describe('access', () => {
    it('lets each viewer see exactly the reports it should', async () => {
      const filed = await report(a.token, second.enrollmentId);
      expect(filed.errors).toBeUndefined();
      const routed = filed.data!.reportAbsence.report;
      expect(routed.municipalityCode).toBe(elsewhere);
      const viewers: [string, Viewer, 'sees' | 'NOT_FOUND' | 'FORBIDDEN'][] = [
        ['the reporting school', { role: 'VENDOR', vendorOin: '00000001800866472000', school: a.brin6 }, 'sees'],
        ['another school', { role: 'VENDOR', vendorOin: '00000001800866472000', school: b.brin6 }, 'NOT_FOUND'],
        ['the municipality of residence', { role: 'MUNICIPALITY', municipality: elsewhere }, 'sees'],
        ['another municipality', { role: 'MUNICIPALITY', municipality: residence }, 'NOT_FOUND'],
        ['the operator', { role: 'OPERATOR' }, 'sees'],
        ['a board', { role: 'BOARD', board: '042B830' }, 'FORBIDDEN'],
      ];
      for (const [who, viewer, expected] of viewers) {
        const response = await system.query<{ absenceReport: { id: string } }>('query($id: ID!) { absenceReport(id: $id) { id } }', {
          variables: { id: routed.id },
          token: await system.token(viewer),
        });
        if (expected === 'sees') expect(response.data?.absenceReport, who).toEqual({ id: routed.id });
        else expect(response.errors?.[0]?.extensions?.code, who).toBe(expected);
      }
    });

    it('writes every kind of absence event to the absence stream', async () => {
      // A report and a step made here; the exemption of learner 3, and its notice, before the cases.
      const filed = await report(a.token, first.enrollmentId, { kind: 'OTHER', endDate: null, absences: [] });
      expect(filed.errors).toBeUndefined();
      expect((await step(a.token, filed.data!.reportAbsence.report.id, 'WITHDRAWN')).errors).toBeUndefined();
      // Readable once older transactions on the database have ended (kernel/events.ts, readEvents).
      await eventually('every kind of absence event in the stream', async () => {
        // An absolute-absence signal comes and goes with the timing of a person imported before its
        // enrollment (test/absoluteAbsence.test.ts follows those).
        const types = new Set(
          (await readEvents(system.system.database!.db, 'absence', null, 1000))
            .map((event) => event.type)
            .filter((type) => !type.startsWith('AbsoluteAbsence')),
        );
        expect([...types].sort()).toEqual(['AbsenceReportStatusChanged', 'AbsenceReported', 'ExemptEnrollmentNoticed', 'ExemptionRegistered']);
      });
    });
  });
});
