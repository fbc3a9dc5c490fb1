import type { NewEvent } from '../../kernel/events.ts';
import type { AbsoluteAbsenceSignalRow, ExemptionNoticeRow, ExemptionRow, ReportRow } from './tables.ts';

/*
 * The absence stream (docs/architecture.md, "Events and subscriptions"), the source of the real-time
 * notices to schools and municipalities. Keys name the school and the municipality an event is for.
 */

const reportKeys = (report: ReportRow) => ({
  reportId: report.id,
  brin6: report.brin6,
  municipalityCode: report.municipalityCode,
  learnerId: report.learnerId,
});

export function absenceReported(report: ReportRow): NewEvent {
  return {
    type: 'AbsenceReported',
    keys: reportKeys(report),
    payload: {
      ...reportKeys(report),
      enrollmentId: report.enrollmentId,
      kind: report.kind,
      startDate: report.startDate,
      endDate: report.endDate,
      status: report.status,
    },
  };
}

export function absenceReportStatusChanged(
  report: ReportRow,
  from: ReportRow['status'],
  actor: { role: string; actor: string },
  note: string | null,
): NewEvent {
  return {
    type: 'AbsenceReportStatusChanged',
    keys: reportKeys(report),
    payload: { ...reportKeys(report), from, to: report.status, by: actor, note },
  };
}

/** `learnerId` is null for a child the register knows no learner of (never enrolled); the key is left out then. */
export function exemptionRegistered(exemption: ExemptionRow): NewEvent {
  return {
    type: 'ExemptionRegistered',
    keys: { exemptionId: exemption.id, ...(exemption.learnerId ? { learnerId: exemption.learnerId } : {}), municipalityCode: exemption.municipalityCode },
    payload: {
      exemptionId: exemption.id,
      learnerId: exemption.learnerId,
      municipalityCode: exemption.municipalityCode,
      kind: exemption.kind,
      startDate: exemption.startDate,
      endDate: exemption.endDate,
    },
  };
}

export function exemptEnrollmentNoticed(notice: ExemptionNoticeRow, learnerId: string): NewEvent {
  return {
    type: 'ExemptEnrollmentNoticed',
    keys: { noticeId: notice.id, exemptionId: notice.exemptionId, enrollmentId: notice.enrollmentId, brin6: notice.brin6, learnerId },
    payload: { noticeId: notice.id, exemptionId: notice.exemptionId, enrollmentId: notice.enrollmentId, brin6: notice.brin6, learnerId },
  };
}

/**
 * An absolute-absence signal issued, acknowledged or resolved: the municipality's only, so its keys
 * name no school (kernel/feed.ts follows a school by `brin6`). The child is not named: a subscriber
 * reads the signal as it is now, for its viewer.
 */
export function absoluteAbsenceSignalChanged(
  type: 'AbsoluteAbsenceSignalIssued' | 'AbsoluteAbsenceSignalAcknowledged' | 'AbsoluteAbsenceSignalResolved',
  signal: AbsoluteAbsenceSignalRow,
): NewEvent {
  return {
    type,
    keys: { signalId: signal.id, municipalityCode: signal.municipalityCode },
    payload: {
      signalId: signal.id,
      municipalityCode: signal.municipalityCode,
      reason: signal.reason,
      since: signal.since,
      dueOn: signal.dueOn,
      status: signal.status,
      resolution: signal.resolution,
    },
  };
}
