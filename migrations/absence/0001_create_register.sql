-- Absence (verzuim) and exemptions (vrijstellingen) for po (domain.md §2.2, §6): the reports schools
-- make, routed to the municipality of residence, their workflow, the hours schools send for the
-- threshold signal, and the exemptions municipalities register.
CREATE SCHEMA absence;

-- The learners and enrollments absence checks reports against, kept from the learners stream
-- (architecture.md, "Ownership"): who is enrolled where, and where each learner lives.
CREATE TABLE absence.learner (
  id uuid PRIMARY KEY,
  pgn text NOT NULL,
  municipality_code text
);
CREATE INDEX learner_pgn ON absence.learner (pgn);

CREATE TABLE absence.enrollment (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL,
  brin6 text NOT NULL,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX enrollment_learner ON absence.enrollment (learner_id);

-- A verzuimmelding (Besluit ROD art 13-14); municipality_code is where it was routed: the learner's
-- municipality of residence when it was reported.
CREATE TABLE absence.report (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL,
  enrollment_id uuid NOT NULL,
  brin6 text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('SIXTEEN_HOURS', 'LONG_TERM', 'LUXURY', 'OTHER')),
  start_date date NOT NULL,
  end_date date CHECK (end_date >= start_date),
  suspected_reason text,
  school_action text,
  municipality_action_wanted boolean NOT NULL,
  contact jsonb NOT NULL,
  municipality_code text NOT NULL,
  status text NOT NULL CHECK (status IN ('REGISTERED', 'IN_TREATMENT', 'CLOSED', 'ACKNOWLEDGED', 'WITHDRAWN')),
  reported_by text NOT NULL,
  reported_at timestamptz NOT NULL
);
CREATE INDEX report_school ON absence.report (brin6, reported_at);
CREATE INDEX report_inbox ON absence.report (municipality_code, status, reported_at);
CREATE INDEX report_enrollment ON absence.report (enrollment_id);

-- The day parts of absence a report specifies.
CREATE TABLE absence.report_day_part (
  report_id uuid NOT NULL REFERENCES absence.report,
  day date NOT NULL,
  day_part text NOT NULL CHECK (day_part IN ('MORNING', 'AFTERNOON')),
  hours numeric(4, 2) NOT NULL CHECK (hours > 0),
  PRIMARY KEY (report_id, day, day_part)
);

-- Every status a report had, with who set it and when.
CREATE TABLE absence.report_transition (
  report_id uuid NOT NULL REFERENCES absence.report,
  seq integer NOT NULL,
  from_status text,
  to_status text NOT NULL,
  actor_role text NOT NULL,
  actor text NOT NULL,
  note text,
  at timestamptz NOT NULL,
  PRIMARY KEY (report_id, seq)
);

-- Unauthorised absence a school sent per day part, for the threshold signal; a later sending of the
-- same day part replaces it.
CREATE TABLE absence.absence_hours (
  enrollment_id uuid NOT NULL,
  day date NOT NULL,
  day_part text NOT NULL CHECK (day_part IN ('MORNING', 'AFTERNOON')),
  hours numeric(4, 2) NOT NULL CHECK (hours > 0),
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (enrollment_id, day, day_part)
);

CREATE TABLE absence.exemption (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL,
  municipality_code text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('UNFIT', 'DENOMINATION', 'SCHOOL_ABROAD', 'TRAVELLING', 'OTHER_EDUCATION', 'SUBSTITUTE')),
  start_date date NOT NULL,
  end_date date CHECK (end_date >= start_date),
  registered_at timestamptz NOT NULL
);
CREATE INDEX exemption_learner ON absence.exemption (learner_id);
CREATE INDEX exemption_municipality ON absence.exemption (municipality_code, registered_at);

-- The notice to a school that a learner it enrolls is exempt (LPW art 15a): once per exemption and enrollment.
CREATE TABLE absence.exemption_notice (
  id uuid PRIMARY KEY,
  exemption_id uuid NOT NULL REFERENCES absence.exemption,
  enrollment_id uuid NOT NULL,
  brin6 text NOT NULL,
  issued_at timestamptz NOT NULL,
  UNIQUE (exemption_id, enrollment_id)
);
CREATE INDEX exemption_notice_school ON absence.exemption_notice (brin6, issued_at);

CREATE TABLE absence.document (
  sender text NOT NULL,
  document_id text NOT NULL,
  mutation text NOT NULL,
  fingerprint text NOT NULL,
  result jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sender, document_id)
);

CREATE TABLE absence.outbox (
  position bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type text NOT NULL,
  keys jsonb NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_order ON absence.outbox (txid, position);

CREATE TABLE absence.consumer_cursor (
  consumer text NOT NULL,
  stream text NOT NULL,
  cursor text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, stream)
);
