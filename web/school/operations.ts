/*
 * The school page sends only registered operations (schema/operations): the schema check keeps them
 * valid, and a gateway with TRUSTED_DOCUMENTS=strict runs them. They are sent as written, byte for
 * byte, since a trusted document is known by the SHA-256 of its text.
 */
export { default as branchQuery } from '../../schema/operations/Branch.graphql?raw';
export { default as enrollmentsQuery } from '../../schema/operations/SchoolPageEnrollments.graphql?raw';
export { default as enrollmentQuery } from '../../schema/operations/SchoolPageEnrollment.graphql?raw';
export { default as noticesQuery } from '../../schema/operations/SchoolPageTransferNotices.graphql?raw';
export { default as absenceReportsQuery } from '../../schema/operations/SchoolPageAbsenceReports.graphql?raw';
export { default as acknowledgeTransferMutation } from '../../schema/operations/AcknowledgeTransfer.graphql?raw';
export { default as fundingStatusChanged } from '../../schema/operations/FundingStatusChanged.graphql?raw';
export { default as transferNoticeIssued } from '../../schema/operations/TransferNoticeIssued.graphql?raw';
export { default as absenceReportUpdated } from '../../schema/operations/AbsenceReportUpdated.graphql?raw';

export interface FundingStatus {
  countDate: string;
  fundingYear: number;
  outcome: 'FUNDABLE' | 'NOT_FUNDABLE';
  reasons: string[];
  explanation: string;
}

export interface Enrollment {
  id: string;
  startDate: string;
  endDate: string | null;
  endReason: string | null;
  group: number;
  schoolEnrollmentNumber: string;
  learner: { pgn: string };
  fundingStatus: FundingStatus | null;
}

export interface TransferNotice {
  id: string;
  status: 'OPEN' | 'HANDLED';
  learnerPgn: string;
  newStartDate: string;
  proposedEndDate: string;
  newLocation: { code: string; branches: { name: string }[] };
  enrollment: { id: string };
}

export interface AbsenceReport {
  id: string;
  status: string;
  kind: string;
  startDate: string;
  endDate: string | null;
  totalHours: number;
  municipalityCode: string;
  branch: { name: string };
  learner: { pgn: string } | null;
}

export interface Page<Node> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Node }[];
}
