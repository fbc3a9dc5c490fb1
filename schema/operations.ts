// Generated from schema/operations/*.graphql by npm run schema:compose. Do not edit.
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type AbsenceKind =
  /** 16 hours of unauthorised absence within 4 consecutive teaching weeks (LPW art 21a). */
  | 'SIXTEEN_HOURS'
  /** Long-term relative absence: more than 4 weeks. */
  | 'LONG_TERM'
  /** Luxury absence: holiday without granted leave. */
  | 'LUXURY'
  /** Other absence, below the threshold or suspicious. */
  | 'OTHER';

export type AbsenceReportChange =
  | 'REPORTED'
  | 'STATUS_CHANGED';

export type AbsenceReportStatus =
  /** Geregistreerd, by the school. */
  | 'REGISTERED'
  /** In behandeling, by the municipality. */
  | 'IN_TREATMENT'
  /** Afgesloten, by the municipality. */
  | 'CLOSED'
  /** Ter kennisgeving aangenomen, by the municipality. */
  | 'ACKNOWLEDGED'
  /** Ingetrokken, by the school, before treatment. */
  | 'WITHDRAWN';

export type AbsoluteAbsenceReason =
  /** Never enrolled since compulsory school age began (LPW art 2, 3). */
  | 'NEVER_ENROLLED'
  /**
   * Deregistered without a destination school: the destination UNKNOWN or none (an expulsion or another
   * reason without one). A deregistration to another school, to special education or abroad, for the
   * end of primary education, or by death, is not signalled.
   */
  | 'DEREGISTERED'
  /** An exemption ended (a yearly claim under LPW art 5 under b or c not renewed, art 6) and no school enrolls the child. */
  | 'EXEMPTION_ENDED';

export type AbsoluteAbsenceResolution =
  | 'ENROLLED'
  | 'EXEMPTED'
  /** The child is past compulsory school age (LPW art 4.1), or its birth date was corrected to before it. */
  | 'NOT_OF_COMPULSORY_SCHOOL_AGE'
  | 'DECEASED'
  /** Emigrated (person source), or deregistered abroad. */
  | 'EMIGRATED'
  /** Moved to another municipality (which gets a signal of its own), or no longer registered in one. */
  | 'MOVED_AWAY'
  /** Its last school registered a destination school for it after all. */
  | 'LEFT_FOR_A_SCHOOL'
  /** The facts behind it changed otherwise: the child has been without school since another day. */
  | 'CORRECTED';

export type AbsoluteAbsenceSignalChange =
  | 'ISSUED'
  | 'ACKNOWLEDGED'
  | 'RESOLVED';

export type AbsoluteAbsenceSignalStatus =
  /** Issued; the municipality has not acknowledged it yet. */
  | 'OPEN'
  /** The municipality took note of it. */
  | 'ACKNOWLEDGED'
  /** The register resolved it: see `resolution`. */
  | 'RESOLVED';

export type AcknowledgeAbsoluteAbsenceSignalInput = {
  documentId: string | number;
  signalId: string | number;
  /** What the municipality did or will do. */
  note?: string | null | undefined;
};

export type AcknowledgeSignalInput = {
  documentId: string | number;
  signalId: string | number;
};

export type AcknowledgeTransferInput = {
  documentId: string | number;
  noticeId: string | number;
};

/** Which branches to list. `name` matches any part of the name, ignoring case. */
export type BranchFilter = {
  /** CBS municipality code, four digits (e.g. 0114 for Emmen). */
  municipalityCode?: string | null | undefined;
  /** RIO code of the board. */
  boardCode?: string | number | null | undefined;
  name?: string | null | undefined;
  /** Only branches active on this date; without it, branches of every status. */
  activeOn?: string | null | undefined;
};

export type DeregistrationReason =
  /** Enrolled at another school. */
  | 'TRANSFER'
  /** Left primary education at the end of group 8. */
  | 'END_OF_PRIMARY_EDUCATION'
  | 'MOVED_ABROAD'
  | 'DECEASED'
  /** Expelled (verwijderd, WPO art 40.11): set by executeExpulsion only; deregisterLearner refuses it. */
  | 'EXPELLED'
  | 'OTHER';

/**
 * Where a learner goes when an enrollment ends. Left out of a deregistration, what its reason says:
 * TRANSFER and END_OF_PRIMARY_EDUCATION go to OTHER_SCHOOL, MOVED_ABROAD to ABROAD, OTHER to UNKNOWN;
 * DECEASED has none. A destination the reason contradicts is BAD_USER_INPUT (README, "Leerplicht for
 * municipalities").
 */
export type Destination =
  /**
   * Another school in the Netherlands: a po school (a speciale school voor basisonderwijs too) or, after
   * group 8, vo.
   */
  | 'OTHER_SCHOOL'
  /** A school abroad (LPW art 5 under c). */
  | 'ABROAD'
  /** A school for special education under the WEC (so or vso). */
  | 'SPECIAL_EDUCATION'
  /** Not known: the municipality follows a child of compulsory school age up (LPW art 19, 22). */
  | 'UNKNOWN';

export type EnrollLearnerInput = {
  documentId: string | number;
  learner: LearnerInput;
  providerCode: string | number;
  locationCode: string | number;
  offeredProgrammeId: string | number;
  startDate: string;
  endDate?: string | null | undefined;
  group: number;
  schoolEnrollmentNumber: string;
  vve?: boolean;
  educationalConcept?: string | null | undefined;
};

export type EnrollmentFilter = {
  /** Only enrollments active on this date. */
  activeOn?: string | null | undefined;
  /** For the operator and a municipality: one branch's enrollments. */
  brin6?: string | number | null | undefined;
  /** True: only ended enrollments (deregistrations); false: only those without an end date. */
  deregistered?: boolean | null | undefined;
  /** Only enrollments registered or changed at or after this moment. */
  changedSince?: string | null | undefined;
};

export type ExpulsionStatus =
  /** The school means to expel; it hears the group teacher and the parents. */
  | 'INTENDED'
  /** Decided; the municipality of residence is told (LPW art 18.1). */
  | 'DECIDED'
  /** Definitive: another school is willing to admit the learner, and the enrollment ended (EXPELLED). */
  | 'EXECUTED'
  | 'WITHDRAWN';

export type FundingOutcome =
  | 'FUNDABLE'
  | 'NOT_FUNDABLE';

export type FundingPhase =
  /** Follows every change to the enrollment, the learner and RIO until the count-date run. */
  | 'PROVISIONAL'
  /** Fixed by the count-date run; later changes do not alter it. */
  | 'FINAL';

/** Geslacht (Besluit ROD art 4.1.c). */
export type Gender =
  | 'MALE'
  | 'FEMALE'
  | 'UNDETERMINED';

/**
 * What a school delivers about a learner (Besluit ROD art 18.1.a; names: WPO art 40b): the school's
 * delivery, kept with its enrollment. It changes nothing another school delivered or reads.
 */
export type LearnerInput = {
  /** BSN or onderwijsnummer. */
  pgn: string | number;
  birthDate: string;
  gender: Gender;
  postcode: string;
  familyName?: string | null | undefined;
  givenNames?: string | null | undefined;
  /**
   * CBS code of the municipality of residence, when it differs from what the postcode says; it counts
   * for a learner the person source does not place.
   */
  municipalityOverride?: string | null | undefined;
};

/** Why an enrollment does not count (Besluit bekostiging WPO 2022 art 7). */
export type NotFundableReason =
  /** It starts after the count date or ended before it. */
  | 'NOT_ENROLLED_ON_COUNT_DATE'
  /** The learner is not 4 on the count date (WPO art 39.1); turning 4 on it counts. */
  | 'UNDER_FOUR'
  /**
   * It reached the register after the registration deadline (`CountDate.registrationDeadline`, or the
   * school's extension under art 7.3).
   */
  | 'LATE_REGISTRATION'
  /** Its location is not active in RIO on the count date. */
  | 'LOCATION_NOT_ACTIVE'
  /** Its offered programme is not active in RIO on the count date. */
  | 'OFFERED_PROGRAMME_NOT_ACTIVE'
  /**
   * The learner counts through another enrollment: a pupil counts at one school only. Of the
   * enrollments that would each count, the one that started last does (after a transfer the old
   * school must end its enrollment the day before the new start, art 10); same start: the one
   * registered first.
   */
  | 'DOUBLE_ENROLLMENT';

export type PgnKind =
  | 'BSN'
  | 'ONDERWIJSNUMMER';

/** The kind of primary education a programme offers. */
export type ProgrammeKind =
  /** Basisonderwijs (bao, PO-BAO). */
  | 'BASISONDERWIJS'
  /** Speciaal basisonderwijs (sbo). */
  | 'SPECIAAL_BASISONDERWIJS';

/** Where the municipality of residence comes from. */
export type ResidenceSource =
  /** The person source, standing in for the BRP (Besluit ROD art 4): for a learner with a BSN it knows. */
  | 'REGISTERED'
  /**
   * Derived from the postcode the school delivered (see the README): for a learner the person source
   * does not place, no BSN or one it lacks (Wro art 9.4).
   */
  | 'POSTCODE'
  /** As the school delivered it (municipalityOverride), for a learner the person source does not place. */
  | 'OVERRIDE';

export type ResidentEnrollmentChange =
  /** An enrollment was registered. */
  | 'ENROLLED'
  /** An enrollment was changed. */
  | 'CHANGED'
  /** An enrollment ended (uitschrijving): see its endReason and destination. */
  | 'DEREGISTERED'
  | 'EXPULSION_DECIDED'
  /** An expulsion the municipality was told of was withdrawn. */
  | 'EXPULSION_WITHDRAWN'
  /**
   * The person source now places the learner in the municipality: a move, or its first registration
   * there. The enrollment is null: the learner's enrollments are on `learner`.
   */
  | 'MOVED_IN';

export type SignalCode =
  /** The person source knows no person with the delivered BSN; the delivery stands (Wro art 9.4). */
  | 'UNKNOWN_BSN'
  /** A delivered field differs from the person source: `field` names it. */
  | 'DIFFERS'
  /** The person source records the learner's death; closes when the enrollment ends by that day. */
  | 'DECEASED'
  /** The person source records the learner's departure from the Netherlands; closes when the enrollment ends by that day. */
  | 'EMIGRATED'
  /** The learner's onderwijsnummer was replaced by a BSN (WPO art 40b.5). */
  | 'PGN_REPLACED';

export type SignalStatus =
  | 'OPEN'
  /** Closed by the register: a corrected delivery, a corrected person, or an ended enrollment no longer gives it. */
  | 'RESOLVED'
  /** Closed by the school. */
  | 'ACKNOWLEDGED';

export type TransferNoticeStatus =
  | 'OPEN'
  | 'HANDLED';

export type AbsenceReportUpdatedSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type AbsenceReportUpdatedSubscription = { absenceReportUpdated: { cursor: string, occurredAt: string, change: AbsenceReportChange, report: { id: string, status: AbsenceReportStatus, kind: AbsenceKind, startDate: string, endDate: string | null, totalHours: number, municipalityCode: string, branch: { id: string, name: string }, learner: { id: string, pgn: string } | null } } };

export type AbsoluteAbsenceSignalUpdatedSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type AbsoluteAbsenceSignalUpdatedSubscription = { absoluteAbsenceSignalUpdated: { cursor: string, occurredAt: string, change: AbsoluteAbsenceSignalChange, signal: { id: string, bsn: string, birthDate: string, reason: AbsoluteAbsenceReason, since: string, dueOn: string, status: AbsoluteAbsenceSignalStatus, resolution: AbsoluteAbsenceResolution | null, lastEnrollment: { id: string } | null } } };

export type AbsoluteAbsenceSignalsQueryVariables = Exact<{
  status?: AbsoluteAbsenceSignalStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AbsoluteAbsenceSignalsQuery = { absoluteAbsenceSignals: { totalCount: number, edges: Array<{ node: { id: string, bsn: string, birthDate: string, reason: AbsoluteAbsenceReason, since: string, dueOn: string, status: AbsoluteAbsenceSignalStatus, resolution: AbsoluteAbsenceResolution | null, issuedAt: string, acknowledgedAt: string | null, lastEnrollment: { id: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AcknowledgeAbsoluteAbsenceSignalMutationVariables = Exact<{
  input: AcknowledgeAbsoluteAbsenceSignalInput;
}>;


export type AcknowledgeAbsoluteAbsenceSignalMutation = { acknowledgeAbsoluteAbsenceSignal: { signal: { id: string, status: AbsoluteAbsenceSignalStatus, acknowledgedAt: string | null, acknowledgedNote: string | null } } };

export type AcknowledgeSignalMutationVariables = Exact<{
  input: AcknowledgeSignalInput;
}>;


export type AcknowledgeSignalMutation = { acknowledgeSignal: { signal: { id: string, status: SignalStatus, closedAt: string | null } } };

export type AcknowledgeTransferMutationVariables = Exact<{
  input: AcknowledgeTransferInput;
}>;


export type AcknowledgeTransferMutation = { acknowledgeTransfer: { notice: { id: string, status: TransferNoticeStatus, handledAt: string | null }, enrollment: { id: string, startDate: string, endDate: string | null, endReason: DeregistrationReason | null, group: number, schoolEnrollmentNumber: string, learner: { id: string, pgn: string }, fundingStatus: { id: string, countDate: string, fundingYear: number, outcome: FundingOutcome, reasons: Array<NotFundableReason>, explanation: string } | null } } };

export type BranchQueryVariables = Exact<{
  brin6: string | number;
}>;


export type BranchQuery = { branch: { id: string, brin6: string, name: string, isMainBranch: boolean, startDate: string | null, endDate: string | null, address: { id: string, street: string, houseNumber: string, postcode: string, city: string, municipality: { id: string, code: string, name: string | null } }, provider: { id: string, code: string, brin4: string, name: string, board: { id: string, code: string, competentAuthorityNumber: string } }, location: { id: string, code: string, address: { id: string, postcode: string } }, offeredProgrammes: Array<{ id: string, kind: ProgrammeKind, name: string }> } | null };

export type BranchesQueryVariables = Exact<{
  filter?: BranchFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type BranchesQuery = { branches: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, brin6: string, name: string, address: { id: string, municipality: { id: string, code: string } }, provider: { id: string, board: { id: string, code: string } } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type EnrollLearnerMutationVariables = Exact<{
  input: EnrollLearnerInput;
}>;


export type EnrollLearnerMutation = { enrollLearner: { transferNoticeCount: number, enrollment: { id: string, startDate: string, endDate: string | null, group: number, branch: { id: string, brin6: string }, learner: { id: string, pgn: string }, fundingStatus: { id: string, countDate: string, fundingYear: number, phase: FundingPhase, outcome: FundingOutcome, reasons: Array<NotFundableReason>, explanation: string } | null }, learner: { id: string, pgn: string, pgnKind: PgnKind, residence: { id: string, municipalityCode: string, source: ResidenceSource } } } };

export type ExpulsionsQueryVariables = Exact<{
  status?: ExpulsionStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ExpulsionsQuery = { expulsions: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, status: ExpulsionStatus, grounds: string | null, groupTeacherHeardOn: string | null, parentsHeardOn: string | null, decidedOn: string | null, endDate: string | null, receivingSchool: { id: string, school: string, destination: Destination, willingOn: string } | null, enrollment: { id: string, endReason: DeregistrationReason | null, destination: Destination | null, learner: { id: string, pgn: string } } } }> } };

export type FundingStatusChangedSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type FundingStatusChangedSubscription = { fundingStatusChanged: { cursor: string, occurredAt: string, countDate: string, previous: { outcome: FundingOutcome, reasons: Array<NotFundableReason> } | null, current: { outcome: FundingOutcome, reasons: Array<NotFundableReason> } | null, enrollment: { id: string, learner: { id: string, pgn: string }, branch: { id: string, brin6: string, name: string } } } };

export type ResidentEnrollmentChangedSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ResidentEnrollmentChangedSubscription = { residentEnrollmentChanged: { cursor: string, occurredAt: string, change: ResidentEnrollmentChange, learner: { id: string, pgn: string, residence: { id: string, municipalityCode: string, source: ResidenceSource }, enrollments: Array<{ id: string }> } | null, enrollment: { id: string, startDate: string, endDate: string | null, endReason: DeregistrationReason | null, destination: Destination | null, branch: { id: string, brin6: string } } | null, expulsion: { id: string, status: ExpulsionStatus, decidedOn: string | null, receivingSchool: { id: string, school: string, destination: Destination, willingOn: string } | null } | null } };

export type ResidentEnrollmentsQueryVariables = Exact<{
  filter?: EnrollmentFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ResidentEnrollmentsQuery = { enrollments: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, startDate: string, endDate: string | null, endReason: DeregistrationReason | null, destination: Destination | null, group: number, branch: { id: string, brin6: string }, learner: { id: string, pgn: string, birthDate: string, residence: { id: string, municipalityCode: string, source: ResidenceSource } }, expulsions: Array<{ id: string, status: ExpulsionStatus, decidedOn: string | null }> } }> } };

export type SchoolEnrollmentsQueryVariables = Exact<{
  activeOn?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SchoolEnrollmentsQuery = { enrollments: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, startDate: string, endDate: string | null, group: number, learner: { id: string, pgn: string, birthDate: string }, location: { id: string, code: string, address: { id: string, street: string, houseNumber: string, city: string } }, fundingStatus: { id: string, countDate: string, phase: FundingPhase, outcome: FundingOutcome, reasons: Array<NotFundableReason> } | null } }> } };

export type SchoolPageAbsenceReportsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SchoolPageAbsenceReportsQuery = { absenceReports: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, status: AbsenceReportStatus, kind: AbsenceKind, startDate: string, endDate: string | null, totalHours: number, municipalityCode: string, branch: { id: string, name: string }, learner: { id: string, pgn: string } | null } }> } };

export type SchoolPageEnrollmentQueryVariables = Exact<{
  id: string | number;
}>;


export type SchoolPageEnrollmentQuery = { enrollment: { id: string, startDate: string, endDate: string | null, endReason: DeregistrationReason | null, group: number, schoolEnrollmentNumber: string, learner: { id: string, pgn: string }, fundingStatus: { id: string, countDate: string, fundingYear: number, outcome: FundingOutcome, reasons: Array<NotFundableReason>, explanation: string } | null } | null };

export type SchoolPageEnrollmentsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SchoolPageEnrollmentsQuery = { enrollments: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, startDate: string, endDate: string | null, endReason: DeregistrationReason | null, group: number, schoolEnrollmentNumber: string, learner: { id: string, pgn: string }, fundingStatus: { id: string, countDate: string, fundingYear: number, outcome: FundingOutcome, reasons: Array<NotFundableReason>, explanation: string } | null } }> } };

export type SchoolPageSignalsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SchoolPageSignalsQuery = { signals: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, code: SignalCode, field: string | null, deliveredValue: string | null, registeredValue: string | null, status: SignalStatus, enrollment: { id: string, learner: { id: string, pgn: string } } } }> } };

export type SchoolPageTransferNoticesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SchoolPageTransferNoticesQuery = { transferNotices: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, status: TransferNoticeStatus, learnerPgn: string, newStartDate: string, proposedEndDate: string, newLocation: { id: string, code: string, branches: Array<{ id: string, name: string }> }, enrollment: { id: string } } }> } };

export type SignalIssuedSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type SignalIssuedSubscription = { signalIssued: { cursor: string, occurredAt: string, signal: { id: string, code: SignalCode, field: string | null, deliveredValue: string | null, registeredValue: string | null, action: string, status: SignalStatus, enrollment: { id: string, learner: { id: string, pgn: string } } } } };

export type SignalsQueryVariables = Exact<{
  status?: SignalStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SignalsQuery = { signals: { totalCount: number, edges: Array<{ node: { id: string, code: SignalCode, field: string | null, deliveredValue: string | null, registeredValue: string | null, action: string, status: SignalStatus, issuedAt: string, closedAt: string | null, enrollment: { id: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type TransferNoticeIssuedSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type TransferNoticeIssuedSubscription = { transferNoticeIssued: { cursor: string, occurredAt: string, notice: { id: string, status: TransferNoticeStatus, learnerPgn: string, newStartDate: string, proposedEndDate: string, newLocation: { id: string, code: string, branches: Array<{ id: string, name: string }> }, enrollment: { id: string, fundingStatus: { id: string, outcome: FundingOutcome } | null } } } };

export type TransferNoticesQueryVariables = Exact<{
  status?: TransferNoticeStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TransferNoticesQuery = { transferNotices: { totalCount: number, edges: Array<{ node: { id: string, status: TransferNoticeStatus, learnerPgn: string, newStartDate: string, proposedEndDate: string, endRequired: boolean, endRequiredReason: string, newProvider: { id: string, code: string }, enrollment: { id: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };


export const AbsenceReportUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AbsenceReportUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"absenceReportUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"report"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"totalHours"}},{"kind":"Field","name":{"kind":"Name","value":"municipalityCode"}},{"kind":"Field","name":{"kind":"Name","value":"branch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AbsenceReportUpdatedSubscription, AbsenceReportUpdatedSubscriptionVariables>;
export const AbsoluteAbsenceSignalUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AbsoluteAbsenceSignalUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"absoluteAbsenceSignalUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"signal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"bsn"}},{"kind":"Field","name":{"kind":"Name","value":"birthDate"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"since"}},{"kind":"Field","name":{"kind":"Name","value":"dueOn"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"resolution"}},{"kind":"Field","name":{"kind":"Name","value":"lastEnrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AbsoluteAbsenceSignalUpdatedSubscription, AbsoluteAbsenceSignalUpdatedSubscriptionVariables>;
export const AbsoluteAbsenceSignalsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AbsoluteAbsenceSignals"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AbsoluteAbsenceSignalStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"absoluteAbsenceSignals"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"bsn"}},{"kind":"Field","name":{"kind":"Name","value":"birthDate"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"since"}},{"kind":"Field","name":{"kind":"Name","value":"dueOn"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"resolution"}},{"kind":"Field","name":{"kind":"Name","value":"issuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastEnrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<AbsoluteAbsenceSignalsQuery, AbsoluteAbsenceSignalsQueryVariables>;
export const AcknowledgeAbsoluteAbsenceSignalDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcknowledgeAbsoluteAbsenceSignal"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AcknowledgeAbsoluteAbsenceSignalInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acknowledgeAbsoluteAbsenceSignal"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedAt"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledgedNote"}}]}}]}}]}}]} as unknown as DocumentNode<AcknowledgeAbsoluteAbsenceSignalMutation, AcknowledgeAbsoluteAbsenceSignalMutationVariables>;
export const AcknowledgeSignalDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcknowledgeSignal"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AcknowledgeSignalInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acknowledgeSignal"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"closedAt"}}]}}]}}]}}]} as unknown as DocumentNode<AcknowledgeSignalMutation, AcknowledgeSignalMutationVariables>;
export const AcknowledgeTransferDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcknowledgeTransfer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AcknowledgeTransferInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acknowledgeTransfer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"notice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"handledAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"endReason"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"schoolEnrollmentNumber"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fundingStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"countDate"}},{"kind":"Field","name":{"kind":"Name","value":"fundingYear"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}},{"kind":"Field","name":{"kind":"Name","value":"explanation"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AcknowledgeTransferMutation, AcknowledgeTransferMutationVariables>;
export const BranchDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Branch"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"brin6"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"branch"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"brin6"},"value":{"kind":"Variable","name":{"kind":"Name","value":"brin6"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"brin6"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"isMainBranch"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"address"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"street"}},{"kind":"Field","name":{"kind":"Name","value":"houseNumber"}},{"kind":"Field","name":{"kind":"Name","value":"postcode"}},{"kind":"Field","name":{"kind":"Name","value":"city"}},{"kind":"Field","name":{"kind":"Name","value":"municipality"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"provider"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"brin4"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"board"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"competentAuthorityNumber"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"location"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"address"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"postcode"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"offeredProgrammes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<BranchQuery, BranchQueryVariables>;
export const BranchesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Branches"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"BranchFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"branches"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"brin6"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"address"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"municipality"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"provider"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"board"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<BranchesQuery, BranchesQueryVariables>;
export const EnrollLearnerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"EnrollLearner"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"EnrollLearnerInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enrollLearner"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"branch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"brin6"}}]}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fundingStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"countDate"}},{"kind":"Field","name":{"kind":"Name","value":"fundingYear"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}},{"kind":"Field","name":{"kind":"Name","value":"explanation"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}},{"kind":"Field","name":{"kind":"Name","value":"pgnKind"}},{"kind":"Field","name":{"kind":"Name","value":"residence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"municipalityCode"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"transferNoticeCount"}}]}}]}}]} as unknown as DocumentNode<EnrollLearnerMutation, EnrollLearnerMutationVariables>;
export const ExpulsionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Expulsions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ExpulsionStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"expulsions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"grounds"}},{"kind":"Field","name":{"kind":"Name","value":"groupTeacherHeardOn"}},{"kind":"Field","name":{"kind":"Name","value":"parentsHeardOn"}},{"kind":"Field","name":{"kind":"Name","value":"decidedOn"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"receivingSchool"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"school"}},{"kind":"Field","name":{"kind":"Name","value":"destination"}},{"kind":"Field","name":{"kind":"Name","value":"willingOn"}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"endReason"}},{"kind":"Field","name":{"kind":"Name","value":"destination"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ExpulsionsQuery, ExpulsionsQueryVariables>;
export const FundingStatusChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FundingStatusChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fundingStatusChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"countDate"}},{"kind":"Field","name":{"kind":"Name","value":"previous"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}}]}},{"kind":"Field","name":{"kind":"Name","value":"current"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}},{"kind":"Field","name":{"kind":"Name","value":"branch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"brin6"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<FundingStatusChangedSubscription, FundingStatusChangedSubscriptionVariables>;
export const ResidentEnrollmentChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ResidentEnrollmentChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"residentEnrollmentChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}},{"kind":"Field","name":{"kind":"Name","value":"residence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"municipalityCode"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"endReason"}},{"kind":"Field","name":{"kind":"Name","value":"destination"}},{"kind":"Field","name":{"kind":"Name","value":"branch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"brin6"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"expulsion"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"decidedOn"}},{"kind":"Field","name":{"kind":"Name","value":"receivingSchool"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"school"}},{"kind":"Field","name":{"kind":"Name","value":"destination"}},{"kind":"Field","name":{"kind":"Name","value":"willingOn"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ResidentEnrollmentChangedSubscription, ResidentEnrollmentChangedSubscriptionVariables>;
export const ResidentEnrollmentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ResidentEnrollments"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"EnrollmentFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enrollments"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"endReason"}},{"kind":"Field","name":{"kind":"Name","value":"destination"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"branch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"brin6"}}]}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}},{"kind":"Field","name":{"kind":"Name","value":"birthDate"}},{"kind":"Field","name":{"kind":"Name","value":"residence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"municipalityCode"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"expulsions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"decidedOn"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ResidentEnrollmentsQuery, ResidentEnrollmentsQueryVariables>;
export const SchoolEnrollmentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchoolEnrollments"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"activeOn"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enrollments"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"activeOn"},"value":{"kind":"Variable","name":{"kind":"Name","value":"activeOn"}}}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}},{"kind":"Field","name":{"kind":"Name","value":"birthDate"}}]}},{"kind":"Field","name":{"kind":"Name","value":"location"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"address"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"street"}},{"kind":"Field","name":{"kind":"Name","value":"houseNumber"}},{"kind":"Field","name":{"kind":"Name","value":"city"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"fundingStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"countDate"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SchoolEnrollmentsQuery, SchoolEnrollmentsQueryVariables>;
export const SchoolPageAbsenceReportsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchoolPageAbsenceReports"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"absenceReports"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"totalHours"}},{"kind":"Field","name":{"kind":"Name","value":"municipalityCode"}},{"kind":"Field","name":{"kind":"Name","value":"branch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SchoolPageAbsenceReportsQuery, SchoolPageAbsenceReportsQueryVariables>;
export const SchoolPageEnrollmentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchoolPageEnrollment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"endReason"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"schoolEnrollmentNumber"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fundingStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"countDate"}},{"kind":"Field","name":{"kind":"Name","value":"fundingYear"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}},{"kind":"Field","name":{"kind":"Name","value":"explanation"}}]}}]}}]}}]} as unknown as DocumentNode<SchoolPageEnrollmentQuery, SchoolPageEnrollmentQueryVariables>;
export const SchoolPageEnrollmentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchoolPageEnrollments"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enrollments"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"startDate"}},{"kind":"Field","name":{"kind":"Name","value":"endDate"}},{"kind":"Field","name":{"kind":"Name","value":"endReason"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"schoolEnrollmentNumber"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fundingStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"countDate"}},{"kind":"Field","name":{"kind":"Name","value":"fundingYear"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reasons"}},{"kind":"Field","name":{"kind":"Name","value":"explanation"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SchoolPageEnrollmentsQuery, SchoolPageEnrollmentsQueryVariables>;
export const SchoolPageSignalsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchoolPageSignals"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signals"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"OPEN"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"deliveredValue"}},{"kind":"Field","name":{"kind":"Name","value":"registeredValue"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SchoolPageSignalsQuery, SchoolPageSignalsQueryVariables>;
export const SchoolPageTransferNoticesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchoolPageTransferNotices"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transferNotices"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"OPEN"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"learnerPgn"}},{"kind":"Field","name":{"kind":"Name","value":"newStartDate"}},{"kind":"Field","name":{"kind":"Name","value":"proposedEndDate"}},{"kind":"Field","name":{"kind":"Name","value":"newLocation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"branches"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SchoolPageTransferNoticesQuery, SchoolPageTransferNoticesQueryVariables>;
export const SignalIssuedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"SignalIssued"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signalIssued"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"signal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"deliveredValue"}},{"kind":"Field","name":{"kind":"Name","value":"registeredValue"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"learner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pgn"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SignalIssuedSubscription, SignalIssuedSubscriptionVariables>;
export const SignalsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Signals"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SignalStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signals"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"deliveredValue"}},{"kind":"Field","name":{"kind":"Name","value":"registeredValue"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"issuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"closedAt"}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<SignalsQuery, SignalsQueryVariables>;
export const TransferNoticeIssuedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"TransferNoticeIssued"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transferNoticeIssued"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"notice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"learnerPgn"}},{"kind":"Field","name":{"kind":"Name","value":"newStartDate"}},{"kind":"Field","name":{"kind":"Name","value":"proposedEndDate"}},{"kind":"Field","name":{"kind":"Name","value":"newLocation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"branches"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"fundingStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<TransferNoticeIssuedSubscription, TransferNoticeIssuedSubscriptionVariables>;
export const TransferNoticesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TransferNotices"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TransferNoticeStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transferNotices"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"learnerPgn"}},{"kind":"Field","name":{"kind":"Name","value":"newStartDate"}},{"kind":"Field","name":{"kind":"Name","value":"proposedEndDate"}},{"kind":"Field","name":{"kind":"Name","value":"endRequired"}},{"kind":"Field","name":{"kind":"Name","value":"endRequiredReason"}},{"kind":"Field","name":{"kind":"Name","value":"newProvider"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"enrollment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<TransferNoticesQuery, TransferNoticesQueryVariables>;
