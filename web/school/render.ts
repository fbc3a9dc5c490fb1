import { dateText, nameOf, numberText, texts } from './language.ts';
import type { AbsenceReport, Enrollment, FundingStatus, TransferNotice } from './operations.ts';

/** An element with attributes and children: the page's only way of making DOM. */
export function element<Tag extends keyof HTMLElementTagNameMap>(
  tag: Tag,
  attributes: Record<string, string | undefined> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[Tag] {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) made.setAttribute(name, value);
  for (const child of children) if (child !== null) made.append(child);
  return made;
}

/** A calendar date as people read it, keeping the date itself for machines. */
function time(date: string | null): Node | string {
  return date === null ? '—' : element('time', { datetime: date }, dateText(date));
}

export function fundingText(status: FundingStatus | null): string {
  if (!status) return texts.notAssessed;
  if (status.outcome === 'FUNDABLE') return texts.fundable;
  return texts.notFundable(status.reasons.map((reason) => nameOf(texts.reasons, reason)).join(', '));
}

/** The status with why, in the page's language (the API's `explanation` is English, for developers). */
function fundingCell(status: FundingStatus | null): HTMLTableCellElement {
  if (!status) return element('td', {}, fundingText(status));
  const why = status.reasons.map((reason) => nameOf(texts.reasonExplanations, reason));
  return element(
    'td',
    { class: status.outcome === 'FUNDABLE' ? 'fundable' : 'not-fundable' },
    element(
      'details',
      {},
      element('summary', {}, fundingText(status)),
      element('p', {}, [texts.countDate(dateText(status.countDate), String(status.fundingYear)), ...why].join(' ')),
    ),
  );
}

export function enrollmentRow(enrollment: Enrollment): HTMLTableRowElement {
  const endReason = enrollment.endReason === null ? null : ` (${nameOf(texts.endReasons, enrollment.endReason)})`;
  return element(
    'tr',
    {},
    element('th', { scope: 'row' }, enrollment.learner.pgn),
    element('td', {}, enrollment.schoolEnrollmentNumber),
    element('td', {}, numberText(enrollment.group)),
    element('td', {}, time(enrollment.startDate)),
    element('td', {}, time(enrollment.endDate), endReason),
    fundingCell(enrollment.fundingStatus),
  );
}

export function noticeSummary(notice: TransferNotice): string {
  const school = notice.newLocation.branches.map((branch) => branch.name).join(' / ') || texts.noticeLocation(notice.newLocation.code);
  return texts.noticeSummary(notice.learnerPgn, school, dateText(notice.newStartDate));
}

/**
 * A notice with its one action. The button's name says what it does (end the enrollment, on which
 * day); the notice's text describes it for screen readers too.
 */
export function noticeItem(notice: TransferNotice, handle: (button: HTMLButtonElement, error: HTMLElement) => void): HTMLLIElement {
  const textId = `notice-${notice.id}-text`;
  const error = element('p', { class: 'error', role: 'alert' });
  const button = element('button', { type: 'button', 'aria-describedby': textId }, texts.endEnrollment(dateText(notice.proposedEndDate)));
  button.addEventListener('click', () => handle(button, error));
  return element(
    'li',
    { class: 'notice' },
    element('p', { id: textId }, noticeSummary(notice), ' ', texts.noticeEnds(dateText(notice.proposedEndDate))),
    button,
    error,
  );
}

export function absenceStatusText(status: string): string {
  return nameOf(texts.absenceStatuses, status);
}

export function absenceRow(report: AbsenceReport): HTMLTableRowElement {
  return element(
    'tr',
    {},
    element('th', { scope: 'row' }, report.learner?.pgn ?? '—'),
    element('td', {}, nameOf(texts.absenceKinds, report.kind)),
    element('td', {}, time(report.startDate), ' – ', time(report.endDate)),
    element('td', {}, numberText(report.totalHours)),
    element('td', {}, report.municipalityCode),
    element('td', {}, absenceStatusText(report.status)),
  );
}
