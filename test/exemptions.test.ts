import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamStart } from '../kernel/events.ts';
import type { Listening } from '../kernel/http.ts';
import { addDays } from '../kernel/calendar.ts';
import { today } from '../kernel/scalars.ts';
import { signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import {
  bsnFor,
  eventually,
  Follower,
  importPersonLines,
  listenToSubgraph,
  personLine,
  postGraphQL,
  schoolAt,
  startTestSystem,
  type GraphQLResponse,
  type School,
  type TestSystem,
} from './harness.ts';

/*
 * Leerplicht for municipalities (issue 19; docs/domain.md §6), through the gateway: exemptions by the
 * articles of the Leerplichtwet, registered for a child enrolled or never enrolled, and the signal of
 * absolute absence to the municipality where a child of compulsory school age lives without school.
 * Emmen is municipality 0114 (GM0114); every person here lives there unless said otherwise.
 */

const emmen = '0114';
const amsterdam = '0363';

interface Signal {
  id: string;
  bsn: string;
  municipalityCode: string;
  reason: string;
  since: string;
  dueOn: string;
  status: string;
  resolution: string | null;
  lastEnrollment: { id: string } | null;
}
interface SignalUpdate {
  cursor: string;
  change: string;
  signal: Signal;
}

const signalFields = 'id bsn municipalityCode reason since dueOn status resolution lastEnrollment { id }';
const followSignals = `subscription($after: String) { absoluteAbsenceSignalUpdated(after: $after) { cursor change signal { ${signalFields} } } }`;

describe('leerplicht through the gateway', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let direct: Listening;
  const followers: Follower<SignalUpdate>[] = [];
  let atEmmen: Follower<SignalUpdate>;
  let atAmsterdam: Follower<SignalUpdate>;
  let serial = 0;

  const municipality = (code: string) => system.token({ role: 'MUNICIPALITY', municipality: code });
  const follow = async (viewer: Viewer, after: string | null = streamStart) => {
    const follower = new Follower<SignalUpdate>({
      url: () => system.url,
      token: await system.token(viewer),
      query: followSignals,
      field: 'absoluteAbsenceSignalUpdated',
      after,
    });
    followers.push(follower);
    return follower;
  };

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    // The absence subgraph itself, past the gateway, as the gateway would ask it.
    direct = await listenToSubgraph(system, 'absence');
    atEmmen = await follow({ role: 'MUNICIPALITY', municipality: emmen });
    atAmsterdam = await follow({ role: 'MUNICIPALITY', municipality: amsterdam });
  });
  afterAll(async () => {
    await Promise.all(followers.map((follower) => follower.stop()));
    await direct?.close();
    await system?.close();
  });

  const expectRefused = (response: GraphQLResponse<unknown>, code: string, says?: string) => {
    expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response.errors)).toBe(code);
    if (says) expect(response.errors![0]!.message).toContain(says);
  };

  async function enroll(at: School, pgn: string, birthDate: string, startDate = '2024-08-01') {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      {
        token: at.token,
        variables: {
          input: {
            documentId: `leerplicht-enroll-${++serial}`,
            learner: { pgn, birthDate, gender: 'FEMALE', postcode: '7822HG' },
            providerCode: at.providerCode,
            locationCode: at.locationCode,
            offeredProgrammeId: at.offeredProgrammeId,
            startDate,
            group: 3,
            schoolEnrollmentNumber: `L${serial}`,
          },
        },
      },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner.enrollment.id;
  }

  /**
   * A child enrolled at `at` and then registered in the person source: imported first, a child is for a
   * moment a resident never enrolled, whose signal would come and go (test/absence.test.ts).
   */
  async function enrolledResident(at: School, bsn: string, birthDate: string) {
    const enrollmentId = await enroll(at, bsn, birthDate);
    await importPersonLines(system, [personLine(bsn, { birthDate })]);
    return enrollmentId;
  }

  async function deregister(at: School, enrollmentId: string, endDate: string, reason: string) {
    const response = await system.query('mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { id } } }', {
      token: at.token,
      variables: { input: { documentId: `leerplicht-end-${++serial}`, enrollmentId, endDate, reason } },
    });
    expect(response.errors).toBeUndefined();
  }

  const exemptionFields = 'id kind pgn startDate endDate noticedOn lateNotice learner { id }';
  function register(token: string, input: Record<string, unknown>) {
    return system.query<{
      registerExemption: {
        exemption: {
          id: string;
          kind: string;
          pgn: string;
          startDate: string;
          endDate: string | null;
          noticedOn: string;
          lateNotice: boolean;
          learner: { id: string } | null;
        };
        noticeCount: number;
      };
    }>(`mutation($input: RegisterExemptionInput!) { registerExemption(input: $input) { exemption { ${exemptionFields} } noticeCount } }`, {
      token,
      variables: { input: { documentId: `leerplicht-exempt-${++serial}`, kind: 'UNFIT', startDate: '2026-11-01', ...input } },
    });
  }

  const exemptionCount = async (code: string) =>
    (await system.query<{ exemptions: { totalCount: number } }>('{ exemptions { totalCount } }', { token: await municipality(code) })).data!.exemptions
      .totalCount;
  const noticesAt = async (at: School) =>
    (
      await system.query<{ exemptionNotices: { edges: { node: { enrollment: { id: string }; kind: string } }[] } }>(
        '{ exemptionNotices(first: 200) { edges { node { enrollment { id } kind } } } }',
        { token: at.token },
      )
    ).data!.exemptionNotices.edges.map((edge) => edge.node);
  const updatesOf = (follower: Follower<SignalUpdate>, bsn: string) => follower.items.filter((item) => item.signal.bsn === bsn);
  const issuedTo = async (bsn: string) => {
    await atEmmen.until(`the signal for ${bsn}`, () => updatesOf(atEmmen, bsn).some((item) => item.change === 'ISSUED'));
    return updatesOf(atEmmen, bsn).find((item) => item.change === 'ISSUED')!;
  };

  describe('exemptions by the articles', () => {
    it('registers an exemption for a resident never enrolled, by its BSN (LPW art 5), and tells a school that enrolls the child later (art 15a)', async () => {
      const bsn = '123456782';
      await importPersonLines(system, [personLine(bsn, { birthDate: '2019-03-01' })]);
      const unknown = bsnFor(91_999);
      const elsewhere = await register(await municipality(amsterdam), { pgn: bsn });
      const nobody = await register(await municipality(amsterdam), { pgn: unknown });
      expectRefused(elsewhere, 'NOT_FOUND');
      expectRefused(nobody, 'NOT_FOUND');
      // One answer for a child living elsewhere and for one nobody knows: no municipality learns who lives where.
      expect(elsewhere.errors![0]!.message.replace(bsn, 'PGN')).toBe(nobody.errors![0]!.message.replace(unknown, 'PGN'));

      const response = await register(await municipality(emmen), { pgn: bsn });
      expect(response.errors).toBeUndefined();
      expect(response.data!.registerExemption).toMatchObject({
        exemption: { kind: 'UNFIT', pgn: bsn, startDate: '2026-11-01', endDate: null, noticedOn: today(), lateNotice: false, learner: null },
        noticeCount: 0,
      });
      expect(await exemptionCount(amsterdam)).toBe(0);

      const enrollmentId = await enroll(a, bsn, '2019-03-01', '2026-11-02');
      await eventually('the notice to the school that enrolled the exempt child', async () =>
        expect(await noticesAt(a)).toContainEqual({ enrollment: { id: enrollmentId }, kind: 'UNFIT' }),
      );
    });

    it('refuses SUBSTITUTE (LPW art 3a, 3b) for a 7-year-old and OTHER_EDUCATION (art 15), and stores and tells nothing', async () => {
      const bsn = bsnFor(91_001);
      const enrollmentId = await enrolledResident(a, bsn, '2019-03-01');
      const before = await exemptionCount(emmen);
      expectRefused(
        await register(await municipality(emmen), { pgn: bsn, kind: 'SUBSTITUTE' }),
        'BAD_USER_INPUT',
        'LPW art 3a and 3b are vervangende leerplicht',
      );
      expectRefused(
        await register(await municipality(emmen), { pgn: bsn, kind: 'OTHER_EDUCATION' }),
        'BAD_USER_INPUT',
        'LPW art 15 exempts a young person of 16 or 17',
      );
      expect(await exemptionCount(emmen)).toBe(before);
      expect((await noticesAt(a)).filter((notice) => notice.enrollment.id === enrollmentId)).toEqual([]);

      // An exemption under art 5a is told to the school (art 15a).
      const travelling = await register(await municipality(emmen), { pgn: bsn, kind: 'TRAVELLING' });
      expect(travelling.data!.registerExemption.noticeCount).toBe(1);
      expect((await noticesAt(a)).filter((notice) => notice.enrollment.id === enrollmentId)).toEqual([
        { enrollment: { id: enrollmentId }, kind: 'TRAVELLING' },
      ]);
    });

    it('holds a claim under art 5 under b for one school year, flags a notice after 1 July, and takes next year’s claim on its own (LPW art 6)', async () => {
      const bsn = bsnFor(91_002);
      await importPersonLines(system, [personLine(bsn, { birthDate: '2019-03-01' })]);
      const token = await municipality(emmen);
      const late = await register(token, { pgn: bsn, kind: 'DENOMINATION', startDate: '2026-08-01', noticedOn: '2026-07-15' });
      expect(late.data!.registerExemption.exemption).toMatchObject({ endDate: '2027-07-31', noticedOn: '2026-07-15', lateNotice: true });
      const renewed = await register(token, { pgn: bsn, kind: 'DENOMINATION', startDate: '2027-08-01', endDate: '2028-07-31', noticedOn: '2026-12-01' });
      expect(renewed.data!.registerExemption.exemption).toMatchObject({ startDate: '2027-08-01', endDate: '2028-07-31', lateNotice: false });

      const before = await exemptionCount(emmen);
      expectRefused(
        await register(token, { pgn: bsn, kind: 'DENOMINATION', startDate: '2026-11-01', endDate: '2027-08-31' }),
        'BAD_USER_INPUT',
        'holds for one school year (LPW art 6): starting on 2026-11-01, it ends on 2027-07-31 at the latest',
      );
      expectRefused(await register(token, { pgn: bsn, noticedOn: addDays(today(), 1) }), 'BAD_USER_INPUT', 'after today');
      expect(await exemptionCount(emmen)).toBe(before);
    });

    it('refuses a period wholly outside the compulsory school age (LPW art 3, 4)', async () => {
      const bsn = bsnFor(91_003);
      await importPersonLines(system, [personLine(bsn, { birthDate: '2019-03-01' })]);
      const token = await municipality(emmen);
      const says = 'is of compulsory school age from 2024-04-01 to 2035-07-31';
      expectRefused(await register(token, { pgn: bsn, startDate: '2035-08-01' }), 'BAD_USER_INPUT', says);
      expectRefused(await register(token, { pgn: bsn, startDate: '2023-09-01', endDate: '2024-03-31' }), 'BAD_USER_INPUT', says);
      expect((await register(token, { pgn: bsn, startDate: '2024-01-01', endDate: '2024-04-01' })).errors).toBeUndefined();
    });
  });

  describe('absolute absence', () => {
    it('signals Emmen, live, of a resident deregistered without a destination school, and not of one gone abroad, to a new school, or gone today', async () => {
      const [abroad, moved, recent, lost] = [91_010, 91_011, 91_012, 91_013].map(bsnFor) as [string, string, string, string];
      const at: Record<string, string> = {};
      for (const bsn of [abroad, moved, recent, lost]) at[bsn] = await enrolledResident(a, bsn, '2018-06-01');
      await deregister(a, at[abroad]!, '2026-10-02', 'MOVED_ABROAD');
      await enroll(b, moved, '2018-06-01', '2026-10-05');
      await deregister(a, at[moved]!, '2026-10-02', 'TRANSFER');
      await deregister(a, at[recent]!, today(), 'OTHER');
      // No destination can be given yet: a deregistration without one names no destination school.
      await deregister(a, at[lost]!, '2026-10-02', 'OTHER');

      const issued = await issuedTo(lost);
      // Saturday 3 October 2026 is the first day without school; the 21st school day after it is Monday 2 November.
      expect(issued.signal).toMatchObject({
        bsn: lost,
        municipalityCode: emmen,
        reason: 'DEREGISTERED',
        since: '2026-10-03',
        dueOn: '2026-11-02',
        status: 'OPEN',
        resolution: null,
        lastEnrollment: { id: at[lost] },
      });
      // Each of the others was settled before `lost` (in the order noted), so its signal would have come first.
      for (const bsn of [abroad, moved, recent]) expect(updatesOf(atEmmen, bsn), bsn).toEqual([]);
      expect(updatesOf(atAmsterdam, lost)).toEqual([]);
    });

    it("lists a signal for the child's municipality only, by status, lets it acknowledge it, and never shows it to a school, also at the absence subgraph", async () => {
      const never = bsnFor(91_020);
      await importPersonLines(system, [personLine(never, { birthDate: '2019-01-15' })]);
      const { signal } = await issuedTo(never);
      expect(signal).toMatchObject({ reason: 'NEVER_ENROLLED', since: '2024-02-01', lastEnrollment: null });

      const list = async (token: string, status = 'OPEN') =>
        system.query<{ absoluteAbsenceSignals: { edges: { node: { id: string } }[] } }>(
          'query($status: AbsoluteAbsenceSignalStatus) { absoluteAbsenceSignals(filter: { status: $status }, first: 500) { edges { node { id } } } }',
          { token, variables: { status } },
        );
      const ids = async (token: string, status?: string) => (await list(token, status)).data!.absoluteAbsenceSignals.edges.map((edge) => edge.node.id);
      expect(await ids(await municipality(emmen))).toContain(signal.id);
      expect(await ids(await municipality(amsterdam))).not.toContain(signal.id);
      expectRefused(await list(a.token), 'FORBIDDEN');
      expectRefused(await list(await system.token({ role: 'BOARD', board: '042B830' })), 'FORBIDDEN');
      const straight = async (viewer: Viewer) =>
        postGraphQL<{ absoluteAbsenceSignals: { edges: { node: { id: string } }[] } }>(
          direct.url,
          '{ absoluteAbsenceSignals(first: 500) { edges { node { id bsn } } } }',
          {},
          null,
          { [viewerHeader]: await signViewerAssertion(viewer, system.config.viewerSecret, 'absence') },
        );
      expectRefused(await straight({ role: 'VENDOR', vendorOin: '00000001800866472000', school: a.brin6 }), 'FORBIDDEN');
      expect((await straight({ role: 'MUNICIPALITY', municipality: amsterdam })).data!.absoluteAbsenceSignals.edges).not.toContainEqual(
        expect.objectContaining({ node: expect.objectContaining({ id: signal.id }) }),
      );
      const atSchool = await follow({ role: 'VENDOR', vendorOin: '00000001800866472000', school: a.brin6 });
      await atSchool.until('the school refused', () => atSchool.errors.length > 0);
      expect(atSchool.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      expect(atSchool.items).toEqual([]);

      const acknowledge = async (token: string, documentId = `leerplicht-ack-${++serial}`) =>
        system.query<{ acknowledgeAbsoluteAbsenceSignal: { signal: { status: string } } }>(
          'mutation($input: AcknowledgeAbsoluteAbsenceSignalInput!) { acknowledgeAbsoluteAbsenceSignal(input: $input) { signal { status } } }',
          { token, variables: { input: { documentId, signalId: signal.id, note: 'Huisbezoek gepland' } } },
        );
      expectRefused(await acknowledge(await municipality(amsterdam)), 'NOT_FOUND');
      expectRefused(await acknowledge(a.token), 'FORBIDDEN');
      expect((await acknowledge(await municipality(emmen))).data!.acknowledgeAbsoluteAbsenceSignal.signal.status).toBe('ACKNOWLEDGED');
      expectRefused(await acknowledge(await municipality(emmen)), 'CONFLICT', 'A signal that is ACKNOWLEDGED cannot be acknowledged');
      expect(await ids(await municipality(emmen), 'ACKNOWLEDGED')).toContain(signal.id);
      expect(await ids(await municipality(emmen), 'OPEN')).not.toContain(signal.id);
      await atEmmen.until('the acknowledgement', () => updatesOf(atEmmen, never).some((item) => item.change === 'ACKNOWLEDGED'));
    });

    it('resolves a signal once the child is exempt or enrolled, live, and a follower resumes after its cursor', async () => {
      const [never, lost] = [91_030, 91_031].map(bsnFor) as [string, string];
      await importPersonLines(system, [personLine(never, { birthDate: '2019-01-15' })]);
      const enrolled = await enrolledResident(a, lost, '2018-06-01');
      await deregister(a, enrolled, '2026-10-02', 'OTHER');
      const first = await issuedTo(never);
      await issuedTo(lost);

      expect((await register(await municipality(emmen), { pgn: never, startDate: '2026-12-01' })).errors).toBeUndefined();
      await enroll(b, lost, '2018-06-01', '2026-12-01');
      const resolved = (bsn: string) => updatesOf(atEmmen, bsn).find((item) => item.change === 'RESOLVED')?.signal;
      await atEmmen.until('both resolved', () => resolved(never) !== undefined && resolved(lost) !== undefined);
      expect(resolved(never)).toMatchObject({ status: 'RESOLVED', resolution: 'EXEMPTED' });
      expect(resolved(lost)).toMatchObject({ status: 'RESOLVED', resolution: 'ENROLLED' });

      const resumed = await follow({ role: 'MUNICIPALITY', municipality: emmen }, first.cursor);
      await resumed.until('the resolution after the cursor', () => updatesOf(resumed, never).length > 0);
      expect(updatesOf(resumed, never).map((item) => item.change)).toEqual(['RESOLVED']);
    });
  });
});
