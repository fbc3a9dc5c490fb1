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

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A calendar date (YYYY-MM-DD) as people read it, keeping the date itself for machines. */
export function dateText(date: string): string {
  return dateFormat.format(new Date(`${date}T00:00:00Z`));
}

function time(date: string | null): Node | string {
  return date === null ? '—' : element('time', { datetime: date }, dateText(date));
}

// Besluit bekostiging WPO 2022 art 7, as schema/funding.graphql describes each reason.
const reasonTexts: Record<string, string> = {
  NOT_ENROLLED_ON_COUNT_DATE: 'not enrolled on the count date',
  UNDER_FOUR: 'not 4 on the count date',
  LATE_REGISTRATION: 'registered after the registration deadline',
  LOCATION_NOT_ACTIVE: 'location not active in RIO',
  OFFERED_PROGRAMME_NOT_ACTIVE: 'offered programme not active in RIO',
  DOUBLE_ENROLLMENT: 'counts through another enrollment',
};

export function fundingText(status: FundingStatus | null): string {
  if (!status) return 'Not assessed';
  if (status.outcome === 'FUNDABLE') return 'Counts';
  return `Does not count: ${status.reasons.map((reason) => reasonTexts[reason] ?? reason).join(', ')}`;
}

function fundingCell(status: FundingStatus | null): HTMLTableCellElement {
  if (!status) return element('td', {}, fundingText(status));
  return element(
    'td',
    { class: status.outcome === 'FUNDABLE' ? 'fundable' : 'not-fundable' },
    element(
      'details',
      {},
      element('summary', {}, fundingText(status)),
      element('p', {}, `Count date ${dateText(status.countDate)} (funds ${status.fundingYear}). ${status.explanation}`),
    ),
  );
}

export function enrollmentRow(enrollment: Enrollment): HTMLTableRowElement {
  return element(
    'tr',
    {},
    element('th', { scope: 'row' }, enrollment.learner.pgn),
    element('td', {}, enrollment.schoolEnrollmentNumber),
    element('td', {}, String(enrollment.group)),
    element('td', {}, time(enrollment.startDate)),
    element('td', {}, time(enrollment.endDate), enrollment.endReason === 'TRANSFER' ? ' (transfer)' : null),
    fundingCell(enrollment.fundingStatus),
  );
}

export function noticeSummary(notice: TransferNotice): string {
  const school = notice.newLocation.branches.map((branch) => branch.name).join(' / ') || `location ${notice.newLocation.code}`;
  return `Learner ${notice.learnerPgn} enrolls at ${school} from ${dateText(notice.newStartDate)}.`;
}

/**
 * A notice with its one action. The button's name says what it does (end the enrollment, on which
 * day); the notice's text describes it for screen readers too.
 */
export function noticeItem(notice: TransferNotice, handle: (button: HTMLButtonElement, error: HTMLElement) => void): HTMLLIElement {
  const textId = `notice-${notice.id}-text`;
  const error = element('p', { class: 'error', role: 'alert' });
  const button = element('button', { type: 'button', 'aria-describedby': textId }, `End enrollment on ${dateText(notice.proposedEndDate)}`);
  button.addEventListener('click', () => handle(button, error));
  return element(
    'li',
    { class: 'notice' },
    element('p', { id: textId }, noticeSummary(notice), ' ', `Your enrollment ends the day before: ${dateText(notice.proposedEndDate)}.`),
    button,
    error,
  );
}

const kindTexts: Record<string, string> = { SIXTEEN_HOURS: '16 hours in 4 weeks', LONG_TERM: 'Long-term', LUXURY: 'Luxury absence', OTHER: 'Other' };
const statusTexts: Record<string, string> = {
  REGISTERED: 'Registered',
  IN_TREATMENT: 'In treatment',
  CLOSED: 'Closed',
  ACKNOWLEDGED: 'Acknowledged',
  WITHDRAWN: 'Withdrawn',
};

export function absenceStatusText(status: string): string {
  return statusTexts[status] ?? status;
}

export function absenceRow(report: AbsenceReport): HTMLTableRowElement {
  return element(
    'tr',
    {},
    element('th', { scope: 'row' }, report.learner?.pgn ?? '—'),
    element('td', {}, kindTexts[report.kind] ?? report.kind),
    element('td', {}, time(report.startDate), ' – ', time(report.endDate)),
    element('td', {}, String(report.totalHours)),
    element('td', {}, report.municipalityCode),
    element('td', {}, absenceStatusText(report.status)),
  );
}
