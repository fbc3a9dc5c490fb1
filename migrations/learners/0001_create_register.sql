-- The Register onderwijsdeelnemers for po (domain.md §2.2): learners by PGN, their enrollments,
-- results and the transfer notices sent to schools.
CREATE SCHEMA learners;

-- RIO as the learners register knows it: its own copy, kept from the institutions stream, to check
-- enrollments against (architecture.md, "Ownership": no subgraph reads another's tables).
CREATE TABLE learners.rio_object (
  kind text NOT NULL CHECK (kind IN ('PROVIDER', 'LOCATION', 'BRANCH', 'OFFERED_PROGRAMME')),
  code text NOT NULL,
  provider_code text,
  location_code text,
  postcode text,
  municipality_code text,
  start_date date,
  end_date date,
  PRIMARY KEY (kind, code)
);
CREATE INDEX rio_object_place ON learners.rio_object (provider_code, location_code);

CREATE TABLE learners.learner (
  id uuid PRIMARY KEY,
  pgn text NOT NULL UNIQUE,
  pgn_kind text NOT NULL CHECK (pgn_kind IN ('BSN', 'ONDERWIJSNUMMER')),
  birth_date date NOT NULL,
  gender text NOT NULL CHECK (gender IN ('MALE', 'FEMALE', 'UNDETERMINED')),
  postcode text NOT NULL CHECK (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
  family_name text,
  given_names text,
  municipality_code text CHECK (municipality_code ~ '^[0-9]{4}$'),
  municipality_source text NOT NULL CHECK (municipality_source IN ('POSTCODE', 'OVERRIDE')),
  -- the school that asked for the onderwijsnummer: it may see the learner before enrolling them
  identified_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every PGN a learner held. A replaced onderwijsnummer stays: it still finds the learner, and is never
-- given to anyone else (WPO art 40b.5).
CREATE TABLE learners.learner_pgn (
  pgn text PRIMARY KEY,
  learner_id uuid NOT NULL REFERENCES learners.learner (id),
  kind text NOT NULL CHECK (kind IN ('BSN', 'ONDERWIJSNUMMER')),
  assigned_at timestamptz NOT NULL DEFAULT now(),
  replaced_at timestamptz
);
CREATE INDEX learner_pgn_learner ON learners.learner_pgn (learner_id);

-- Serials of the onderwijsnummers this register issues; a sequence never hands out a value twice,
-- not even after a rollback.
CREATE SEQUENCE learners.onderwijsnummer_serial MINVALUE 0 MAXVALUE 999999 START 0;

CREATE TABLE learners.enrollment (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL REFERENCES learners.learner (id),
  brin6 text NOT NULL,
  provider_code text NOT NULL,
  location_code text NOT NULL,
  offered_programme_id uuid NOT NULL,
  start_date date NOT NULL,
  end_date date,
  end_reason text CHECK (end_reason IN ('TRANSFER', 'END_OF_PRIMARY_EDUCATION', 'MOVED_ABROAD', 'DECEASED', 'OTHER')),
  school_group smallint NOT NULL CHECK (school_group BETWEEN 1 AND 8),
  school_enrollment_number text NOT NULL,
  vve boolean NOT NULL,
  educational_concept text,
  registered_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX enrollment_learner ON learners.enrollment (learner_id);
CREATE INDEX enrollment_school ON learners.enrollment (brin6, start_date, id);

CREATE TABLE learners.result (
  id uuid PRIMARY KEY,
  enrollment_id uuid NOT NULL REFERENCES learners.enrollment (id),
  school_year text NOT NULL,
  test_level text,
  no_test_reason text,
  school_advice text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (enrollment_id, school_year),
  CHECK ((test_level IS NULL) <> (no_test_reason IS NULL))
);

CREATE TABLE learners.transfer_notice (
  id uuid PRIMARY KEY,
  -- the old school's enrollment, and the new one that caused the notice
  enrollment_id uuid NOT NULL REFERENCES learners.enrollment (id),
  new_enrollment_id uuid NOT NULL REFERENCES learners.enrollment (id),
  brin6 text NOT NULL,
  new_provider_code text NOT NULL,
  new_location_code text NOT NULL,
  new_start_date date NOT NULL,
  proposed_end_date date NOT NULL,
  status text NOT NULL CHECK (status IN ('OPEN', 'HANDLED')),
  issued_at timestamptz NOT NULL DEFAULT now(),
  handled_at timestamptz
);
CREATE INDEX transfer_notice_school ON learners.transfer_notice (brin6, issued_at DESC, id);

-- Received business documents (identificatiecodeBedrijfsdocument, domain.md §9): a resend gets the
-- first answer; the same id with other content is refused.
CREATE TABLE learners.document (
  sender text NOT NULL,
  document_id text NOT NULL,
  mutation text NOT NULL,
  fingerprint text NOT NULL,
  result jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sender, document_id)
);

CREATE TABLE learners.outbox (
  position bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type text NOT NULL,
  keys jsonb NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_order ON learners.outbox (txid, position);

CREATE TABLE learners.consumer_cursor (
  consumer text NOT NULL,
  stream text NOT NULL,
  cursor text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, stream)
);
