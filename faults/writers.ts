/*
 * Writers for the fault suite: school administration systems and a municipality that do what the
 * README asks of a client in a fault. Each write carries a documentId and is sent again, the same,
 * until it is acknowledged (its mutation answered with data), after a network error, a 5xx or an
 * UNAVAILABLE, waiting as Retry-After says: the register must then have done it exactly once.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../kernel/retry.ts';
import { bsnFor, type School } from '../test/harness.ts';

export type WriteKind = 'enroll' | 'transfer' | 'change' | 'report' | 'treat';

export interface Write {
  kind: WriteKind;
  documentId: string;
  attempts: number;
  acknowledged: boolean;
  /** The refusal's code and message, if the register refused it (a resent document never should be). */
  refused?: string;
  /** The enrollment it made (enroll, transfer) or changed (change). */
  enrollmentId?: string;
  /** The report it made (report) or moved on (treat). */
  reportId?: string;
}

/** An enrollment a writer made and may act on next. */
interface Enrolled {
  enrollmentId: string;
  pgn: string;
  school: number;
  group: number;
  reportId?: string;
  treated?: boolean;
  transferred?: boolean;
  /** Made by a transfer: the learner moves once. */
  arrived?: boolean;
}

interface Answer {
  status: number;
  retryAfter: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Codes that say the register decided: resending the same document would be refused again. */
const refusals = new Set(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED', 'LIMIT_EXCEEDED']);

const mutations: Record<WriteKind, { field: string; text: string }> = {
  enroll: {
    field: 'enrollLearner',
    text: 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id fundingStatus { outcome } } transferNoticeCount } }',
  },
  transfer: {
    field: 'enrollLearner',
    text: 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id fundingStatus { outcome } } transferNoticeCount } }',
  },
  change: { field: 'changeEnrollment', text: 'mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { id group } } }' },
  report: { field: 'reportAbsence', text: 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id status } } }' },
  treat: {
    field: 'changeAbsenceReportStatus',
    text: 'mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { id status } } }',
  },
};

export class Writers {
  readonly writes: Write[] = [];
  /** The longest a request took to be answered, and what it was. */
  longest = { ms: 0, what: '' };
  requests = 0;
  private readonly run = randomBytes(4).toString('hex');
  private learners = 0;

  constructor(
    private readonly options: {
      url: string;
      schools: School[];
      /** The municipality the writers' learners live in, and its token. */
      municipality: { code: string; token: string };
      /** Between two writes of one writer. */
      pauseMs: number;
    },
  ) {}

  /** `count` writers, each writing one document at a time until `signal` aborts. */
  async write(count: number, signal: AbortSignal): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, writer) => this.loop(writer, signal)));
  }

  /** Acknowledged writes, and writes being sent again now. */
  progress(): { acknowledged: number; pending: number; refused: number } {
    let acknowledged = 0;
    let refused = 0;
    for (const write of this.writes) {
      if (write.acknowledged) acknowledged++;
      if (write.refused) refused++;
    }
    return { acknowledged, pending: this.writes.length - acknowledged - refused, refused };
  }

  private async loop(writer: number, signal: AbortSignal): Promise<void> {
    const mine: Enrolled[] = [];
    for (let step = 0; !signal.aborted; step++) {
      await this.next(writer, step, mine);
      await sleep(this.options.pauseMs);
    }
  }

  /** A school's week in turn: enroll, change a group, report absence, the municipality treats it, a transfer. */
  private async next(writer: number, step: number, mine: Enrolled[]): Promise<void> {
    const { schools } = this.options;
    const open = mine.filter((enrolled) => !enrolled.transferred);
    const kind = (['enroll', 'change', 'report', 'treat', 'transfer'] as const)[step % 5]!;
    if (kind === 'change' && open.length) {
      const enrolled = open.at(-1)!;
      const group = (enrolled.group % 8) + 1;
      const write = await this.send('change', schools[enrolled.school]!.token, { enrollmentId: enrolled.enrollmentId, group });
      if (write.acknowledged) enrolled.group = group;
      return;
    }
    const unreported = open.find((enrolled) => !enrolled.reportId);
    if (kind === 'report' && unreported) {
      const write = await this.send('report', schools[unreported.school]!.token, absenceReport(unreported.enrollmentId));
      unreported.reportId = write.reportId ?? 'refused';
      return;
    }
    const untreated = mine.find((enrolled) => enrolled.reportId && enrolled.reportId !== 'refused' && !enrolled.treated);
    if (kind === 'treat' && untreated) {
      await this.send('treat', this.options.municipality.token, { reportId: untreated.reportId, status: 'IN_TREATMENT', note: 'Home visit planned' });
      untreated.treated = true;
      return;
    }
    const leaving = open.find((enrolled) => !enrolled.arrived);
    if (kind === 'transfer' && leaving) {
      // The learner enrolls at the next school: the old one gets a transfer notice.
      const to = (leaving.school + 1) % schools.length;
      const write = await this.send('transfer', schools[to]!.token, enrollment(schools[to]!, leaving.pgn, '2025-01-06', `T${this.learners}`));
      leaving.transferred = true;
      if (write.enrollmentId) mine.push({ enrollmentId: write.enrollmentId, pgn: leaving.pgn, school: to, group: 2, arrived: true });
      return;
    }
    const school = (writer + step) % schools.length;
    const pgn = bsnFor(700_000 + ++this.learners * 7 + writer);
    const write = await this.send('enroll', schools[school]!.token, enrollment(schools[school]!, pgn, '2024-08-01', `C${this.learners}`));
    if (write.enrollmentId) mine.push({ enrollmentId: write.enrollmentId, pgn, school, group: 2 });
  }

  /** Sends one document until the register acknowledges or refuses it. */
  private async send(kind: WriteKind, token: string, input: Record<string, unknown>): Promise<Write> {
    const write: Write = { kind, documentId: `chaos-${this.run}-${this.writes.length}`, attempts: 0, acknowledged: false };
    this.writes.push(write);
    const { field, text } = mutations[kind];
    const waits = new Backoff(250, 4000);
    for (;;) {
      write.attempts++;
      const answer = await this.post(text, { input: { documentId: write.documentId, ...input } }, token, `${kind} ${write.documentId}`);
      const value = answer?.data?.[field] as { enrollment?: { id: string }; report?: { id: string } } | undefined;
      if (value) {
        Object.assign(write, { acknowledged: true, enrollmentId: value.enrollment?.id, reportId: value.report?.id });
        return write;
      }
      const refusal = answer?.errors?.find((error) => refusals.has(error.extensions?.code ?? ''));
      if (refusal) {
        write.refused = `${refusal.extensions!.code}: ${refusal.message}`;
        return write;
      }
      await sleep(Math.max(waits.next(), (answer?.retryAfter ?? 0) * 1000));
    }
  }

  /** One POST; undefined when no answer came (refused, reset, the client's own limit of 60 s). */
  private async post(query: string, variables: Record<string, unknown>, token: string, what: string): Promise<Answer | undefined> {
    const began = performance.now();
    this.requests++;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await response.json().catch(() => ({}))) as Omit<Answer, 'status' | 'retryAfter'>;
      return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0), ...body };
    } catch {
      return undefined;
    } finally {
      const ms = performance.now() - began;
      if (ms > this.longest.ms) this.longest = { ms, what };
    }
  }
}

function enrollment(at: School, pgn: string, startDate: string, number: string) {
  return {
    learner: { pgn, birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822 HG' },
    providerCode: at.providerCode,
    locationCode: at.locationCode,
    offeredProgrammeId: at.offeredProgrammeId,
    startDate,
    group: 2,
    schoolEnrollmentNumber: number,
  };
}

/** 16 hours in four mornings of October 2026 (LPW art 21a). */
function absenceReport(enrollmentId: string) {
  return {
    enrollmentId,
    kind: 'SIXTEEN_HOURS',
    startDate: '2026-10-05',
    endDate: '2026-10-08',
    absences: [5, 6, 7, 8].map((day) => ({ date: `2026-10-0${day}`, dayPart: 'MORNING', hours: 4 })),
    suspectedReason: 'Stays home to look after a younger sibling',
    schoolAction: 'Talked to the parents on 2026-10-06',
    municipalityActionWanted: true,
    contact: { name: 'J. de Vries', role: 'intern begeleider', email: 'ib@example.org' },
  };
}
