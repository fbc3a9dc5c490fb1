import { ApiError, type Send } from './api.ts';
import { LiveConnection, type Feed, type LiveState } from './live.ts';
import {
  absenceReportsQuery,
  absenceReportUpdated,
  acknowledgeTransferMutation,
  branchQuery,
  enrollmentQuery,
  enrollmentsQuery,
  fundingStatusChanged,
  noticesQuery,
  transferNoticeIssued,
  type AbsenceReport,
  type Enrollment,
  type Page,
  type TransferNotice,
} from './operations.ts';
import { codeText, dateText, failureText, nameOf, numberText, texts, timeText } from './language.ts';
import { absenceRow, absenceStatusText, element, enrollmentRow, fundingText, noticeItem, noticeSummary } from './render.ts';
import { KeyedRows } from './rows.ts';
import { signalIssued, signalItem, signalsQuery, type Signal } from './signals.ts';

const pageSize = 100;
const updatesKept = 10;

type Section = 'notices' | 'signals' | 'enrollments' | 'absence';
type Paged = Exclude<Section, 'notices'>;

function byId<Kind extends HTMLElement = HTMLElement>(id: string): Kind {
  return document.getElementById(id) as Kind;
}

export interface SchoolPageOptions {
  send: Send;
  socketUrl: string;
  token: string;
  school: string;
  /** The token no longer counts: back to signing in, saying why (in the page's language). */
  signOut(reason: string): void;
}

/**
 * One school's page: its open transfer notices and signals, enrollments with funding status and
 * absence reports, read once and then kept current by the four subscriptions. It is written in the
 * language set when it opened (language.ts); a change of language opens the page anew (main.ts).
 */
export class SchoolPage {
  private readonly notices = new KeyedRows<HTMLLIElement>(byId('notices'));
  private readonly signals = new KeyedRows<HTMLLIElement>(byId('signals'));
  private readonly enrollments = new KeyedRows<HTMLTableRowElement>(byId('enrollments'));
  private readonly reports = new KeyedRows<HTMLTableRowElement>(byId('absence-reports'));
  private readonly enrollmentData = new Map<string, Enrollment>();
  private readonly totals = { notices: 0, signals: 0, enrollments: 0, absence: 0 };
  private readonly next: Record<Paged, string | null> = { signals: null, enrollments: null, absence: null };
  private readonly paged = { signals: false, enrollments: false, absence: false };
  /** Enrollments being read again, and whether another change came in meanwhile. */
  private readonly refreshing = new Map<string, boolean>();
  private readonly live: LiveConnection;
  private readonly moreButtons = {
    signals: byId<HTMLButtonElement>('signals-more'),
    enrollments: byId<HTMLButtonElement>('enrollments-more'),
    absence: byId<HTMLButtonElement>('absence-more'),
  };
  private readonly abort = new AbortController();

  /** Sends for this page only: once it is closed (signed out), nothing that was under way shows. */
  private readonly send: Send = (query, variables) => this.options.send(query, variables, this.abort.signal);

  constructor(private readonly options: SchoolPageOptions) {
    for (const rows of [this.notices, this.signals, this.enrollments, this.reports]) rows.clear();
    byId('updates').replaceChildren();
    byId('updates-empty').hidden = false;
    for (const section of ['notices', 'signals', 'enrollments', 'absence'] as const) {
      this.message(section, '');
      if (section !== 'notices') this.moreButtons[section].hidden = true;
    }
    byId('school-name').textContent = options.school;
    this.moreButtons.enrollments.addEventListener('click', () => void this.loadEnrollments(false), { signal: this.abort.signal });
    this.moreButtons.absence.addEventListener('click', () => void this.loadReports(false), { signal: this.abort.signal });
    this.moreButtons.signals.addEventListener('click', () => void this.loadSignals(false), { signal: this.abort.signal });
    void this.loadName();
    const feeds = [this.fundingFeed(), this.noticeFeed(), this.signalFeed(), this.absenceFeed()];
    this.live = new LiveConnection(options.socketUrl, options.token, feeds, (state) => this.showState(state));
  }

  close(): void {
    this.live.close();
    this.abort.abort();
  }

  private fundingFeed(): Feed<{ cursor: string; enrollment: { id: string } }> {
    return {
      query: fundingStatusChanged,
      field: 'fundingStatusChanged',
      cursor: null,
      receive: (change) => this.refreshEnrollment(change.enrollment.id),
      reload: () => void this.loadEnrollments(true),
      refused: (code) => this.message('enrollments', texts.fundingNotLive(codeText(code))),
    };
  }

  private noticeFeed(): Feed<{ cursor: string; notice: TransferNotice }> {
    return {
      query: transferNoticeIssued,
      field: 'transferNoticeIssued',
      cursor: null,
      receive: ({ notice }) => {
        if (notice.status !== 'OPEN') return this.removeNotice(notice.id, false);
        if (!this.notices.has(notice.id)) this.announce(texts.newNotice(noticeSummary(notice)));
        this.showNotice(notice, 'first');
      },
      reload: () => void this.loadNotices(),
      refused: (code) => this.message('notices', texts.noticesNotLive(codeText(code))),
    };
  }

  private signalFeed(): Feed<{ cursor: string; signal: Signal }> {
    return {
      query: signalIssued,
      field: 'signalIssued',
      cursor: null,
      receive: ({ signal }) => {
        if (signal.status !== 'OPEN') return this.removeSignal(signal.id);
        if (!this.signals.has(signal.id)) this.announce(texts.newSignal(nameOf(texts.signalCodes, signal.code), signal.enrollment.learner.pgn));
        this.showSignal(signal, 'first');
      },
      reload: () => void this.loadSignals(true),
      refused: (code) => this.message('signals', texts.signalsNotLive(codeText(code))),
    };
  }

  private absenceFeed(): Feed<{ cursor: string; change: string; report: AbsenceReport }> {
    return {
      query: absenceReportUpdated,
      field: 'absenceReportUpdated',
      cursor: null,
      receive: ({ change, report }) => {
        const learner = report.learner?.pgn ?? texts.unknownLearner;
        this.announce(change === 'REPORTED' ? texts.newAbsenceReport(learner) : texts.absenceReportChanged(learner, absenceStatusText(report.status)));
        this.showReport(report, 'first');
      },
      reload: () => void this.loadReports(true),
      refused: (code) => this.message('absence', texts.absenceNotLive(codeText(code))),
    };
  }

  /** The school's name is a courtesy: without it the page shows the BRIN6 (a refused token is met by the lists). */
  private async loadName(): Promise<void> {
    const answer = await this.send<{ branch: { name: string; address: { city: string } } | null }>(branchQuery, { brin6: this.options.school }).catch(
      () => undefined,
    );
    if (answer?.branch && !this.abort.signal.aborted)
      byId('school-name').textContent = `${answer.branch.name}, ${answer.branch.address.city} (${this.options.school})`;
  }

  private loadNotices(): Promise<void> {
    return this.guard('notices', async () => {
      const { transferNotices } = await this.send<{ transferNotices: Page<TransferNotice> }>(noticesQuery, { first: pageSize });
      for (const { node } of transferNotices.edges) this.showNotice(node, 'last');
      this.totals.notices = transferNotices.totalCount;
      this.showCount('notices');
    });
  }

  private loadEnrollments(fromStart: boolean): Promise<void> {
    return this.guard('enrollments', async () => {
      const { enrollments } = await this.send<{ enrollments: Page<Enrollment> }>(enrollmentsQuery, {
        first: pageSize,
        after: fromStart ? null : this.next.enrollments,
      });
      for (const { node } of enrollments.edges) this.showEnrollment(node, false);
      this.totals.enrollments = enrollments.totalCount;
      this.pageOn('enrollments', fromStart, enrollments);
    });
  }

  private loadSignals(fromStart: boolean): Promise<void> {
    return this.guard('signals', async () => {
      const { signals } = await this.send<{ signals: Page<Signal> }>(signalsQuery, { first: pageSize, after: fromStart ? null : this.next.signals });
      for (const { node } of signals.edges) this.showSignal(node, 'last');
      this.totals.signals = signals.totalCount;
      this.pageOn('signals', fromStart, signals);
    });
  }

  private loadReports(fromStart: boolean): Promise<void> {
    return this.guard('absence', async () => {
      const { absenceReports } = await this.send<{ absenceReports: Page<AbsenceReport> }>(absenceReportsQuery, {
        first: pageSize,
        after: fromStart ? null : this.next.absence,
      });
      for (const { node } of absenceReports.edges) this.showReport(node, 'last');
      this.totals.absence = absenceReports.totalCount;
      this.pageOn('absence', fromStart, absenceReports);
    });
  }

  /** Where "Show more" goes on; reading the first page again (after a break) keeps the reader's place. */
  private pageOn(section: Paged, fromStart: boolean, page: Page<unknown>): void {
    if (!fromStart || !this.paged[section]) {
      this.paged[section] = !fromStart;
      this.next[section] = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      this.moreButtons[section].hidden = this.next[section] === null;
    }
    this.showCount(section);
  }

  /** Reads an enrollment again after a funding change: once at a time, once more if more came in. */
  private refreshEnrollment(id: string): void {
    if (this.refreshing.has(id)) return void this.refreshing.set(id, true);
    this.refreshing.set(id, false);
    void this.guard('enrollments', async () => {
      do {
        this.refreshing.set(id, false);
        const { enrollment } = await this.send<{ enrollment: Enrollment | null }>(enrollmentQuery, { id });
        if (enrollment) this.showEnrollment(enrollment, true);
      } while (this.refreshing.get(id));
    }).finally(() => this.refreshing.delete(id));
  }

  /** Shows an enrollment; `live`: it comes from a change, which the updates log tells. */
  private showEnrollment(enrollment: Enrollment, live: boolean): void {
    const before = this.enrollmentData.get(enrollment.id);
    this.enrollmentData.set(enrollment.id, enrollment);
    // The API's order: by start date, then id.
    this.enrollments.put(enrollment.id, enrollmentRow(enrollment), { sortKey: `${enrollment.startDate} ${enrollment.id}` });
    if (!before && live) this.totals.enrollments += 1;
    this.showCount('enrollments');
    if (!live) return;
    const learner = enrollment.learner.pgn;
    if (!before) this.announce(texts.newEnrollment(learner, dateText(enrollment.startDate), fundingText(enrollment.fundingStatus)));
    else if (fundingText(before.fundingStatus) !== fundingText(enrollment.fundingStatus))
      this.announce(texts.fundingChanged(learner, fundingText(enrollment.fundingStatus)));
  }

  /** Lists come newest first: a page goes below what is shown, a notice or report that arrives live on top. */
  private showNotice(notice: TransferNotice, place: 'first' | 'last'): void {
    // An open notice does not change: one shown already stays, with its button as the reader left it.
    if (this.notices.has(notice.id)) return;
    if (place === 'first') this.totals.notices += 1;
    this.notices.put(
      notice.id,
      noticeItem(notice, (button, error) => void this.handle(notice, button, error)),
      place,
    );
    this.showCount('notices');
  }

  private showSignal(signal: Signal, place: 'first' | 'last'): void {
    if (!this.signals.has(signal.id) && place === 'first') this.totals.signals += 1;
    this.signals.put(signal.id, signalItem(signal), place);
    this.showCount('signals');
  }

  /** A signal that closed (resolved by the register, or acknowledged) leaves the open ones. */
  private removeSignal(id: string): void {
    if (!this.signals.has(id)) return;
    this.signals.remove(id);
    this.totals.signals = Math.max(0, this.totals.signals - 1);
    this.showCount('signals');
  }

  private showReport(report: AbsenceReport, place: 'first' | 'last'): void {
    if (!this.reports.has(report.id) && place === 'first') this.totals.absence += 1;
    this.reports.put(report.id, absenceRow(report), place);
    this.showCount('absence');
  }

  /** acknowledgeTransfer, with a document id of the notice's own: a second click changes nothing. */
  private async handle(notice: TransferNotice, button: HTMLButtonElement, error: HTMLElement): Promise<void> {
    button.disabled = true;
    error.textContent = '';
    try {
      const { acknowledgeTransfer } = await this.send<{ acknowledgeTransfer: { enrollment: Enrollment } }>(acknowledgeTransferMutation, {
        input: { documentId: `school-page/acknowledge/${notice.id}`, noticeId: notice.id },
      });
      this.removeNotice(notice.id, true);
      this.showEnrollment(acknowledgeTransfer.enrollment, false);
      this.announce(texts.handled(notice.learnerPgn, dateText(notice.proposedEndDate)));
    } catch (failure) {
      if (this.abort.signal.aborted) return;
      button.disabled = false;
      if (failure instanceof ApiError && failure.code === 'UNAUTHENTICATED') return this.options.signOut(texts.errors.UNAUTHENTICATED);
      error.textContent = texts.notHandled(failureText(failure));
    }
  }

  /** Removes a notice; after the reader's own action, focus goes on to the next one (or the heading). */
  private removeNotice(id: string, moveFocus: boolean): void {
    const item = this.notices.get(id);
    if (!item) return;
    const neighbour = (item.nextElementSibling ?? item.previousElementSibling)?.querySelector('button');
    this.notices.remove(id);
    this.totals.notices = Math.max(0, this.totals.notices - 1);
    this.showCount('notices');
    if (moveFocus) (neighbour ?? byId('notices-heading')).focus();
  }

  private showCount(section: Section): void {
    const shown = { notices: this.notices, signals: this.signals, enrollments: this.enrollments, absence: this.reports }[section].size;
    const total = Math.max(this.totals[section], shown);
    byId(`${section}-count`).textContent = texts.count(numberText(shown), numberText(total));
    byId(`${section}-empty`).hidden = shown > 0;
  }

  private message(section: Section, text: string): void {
    byId(`${section}-message`).textContent = text;
  }

  /** Runs a read or change for a section; a refusal shows there, an invalid token signs out. */
  private async guard(section: Section, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (failure) {
      if (this.abort.signal.aborted) return;
      if (failure instanceof ApiError && failure.code === 'UNAUTHENTICATED') return this.options.signOut(texts.errors.UNAUTHENTICATED);
      this.message(section, texts.couldNotRead(failureText(failure)));
    }
  }

  private showState(state: LiveState): void {
    // Closed with 4403: the token is missing, invalid or expired, as UNAUTHENTICATED says over HTTP.
    if (state.kind === 'signed-out') return this.options.signOut(texts.errors.UNAUTHENTICATED);
    const status = byId('connection');
    status.textContent = state.kind === 'reconnecting' ? texts.reconnecting(numberText(Math.ceil(state.inMs / 1000))) : texts[state.kind];
    status.dataset.state = state.kind;
  }

  /** Tells a change in the updates log, which screen readers read out as it grows (role=log). */
  private announce(text: string): void {
    const updates = byId('updates');
    const now = new Date();
    updates.prepend(element('li', {}, element('time', { datetime: now.toISOString() }, timeText(now)), ' ', text));
    byId('updates-empty').hidden = true;
    while (updates.children.length > updatesKept) updates.lastElementChild?.remove();
  }
}
