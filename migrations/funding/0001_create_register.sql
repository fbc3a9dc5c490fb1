-- Funding for po (po-bekostigen, domain.md §5): the status of every enrollment for each count date,
-- kept from the learners and institutions streams, and the overviews of the count-date runs.
CREATE SCHEMA funding;

-- RIO as funding knows it, kept from the institutions stream (architecture.md, "Ownership"): the
-- periods of locations and offered programmes the rules check, and the board of each provider.
CREATE TABLE funding.rio_object (
  kind text NOT NULL CHECK (kind IN ('PROVIDER', 'LOCATION', 'OFFERED_PROGRAMME')),
  code text NOT NULL,
  board_code text,
  start_date date,
  end_date date,
  PRIMARY KEY (kind, code)
);

-- The learners and enrollments funding evaluates, kept from the learners stream. No PGN: the rules
-- do not need it (domain.md §10, data minimisation).
CREATE TABLE funding.learner (
  id uuid PRIMARY KEY,
  birth_date date NOT NULL
);

CREATE TABLE funding.enrollment (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL,
  brin6 text NOT NULL,
  provider_code text NOT NULL,
  location_code text NOT NULL,
  offered_programme_id uuid NOT NULL,
  start_date date NOT NULL,
  end_date date,
  -- when the register stored it, and that day in the Netherlands, which the 4-week rule reads
  registered_at timestamptz NOT NULL,
  registered_on date NOT NULL
);
CREATE INDEX enrollment_learner ON funding.enrollment (learner_id);
CREATE INDEX enrollment_branch ON funding.enrollment (brin6);
CREATE INDEX enrollment_provider ON funding.enrollment (provider_code);
CREATE INDEX enrollment_location ON funding.enrollment (location_code);
CREATE INDEX enrollment_programme ON funding.enrollment (offered_programme_id);

-- Each count date funding keeps statuses for: PROVISIONAL while they follow every change, FINAL
-- once the count-date run has fixed them.
CREATE TABLE funding.count_date (
  count_date date PRIMARY KEY CHECK (extract(month FROM count_date) = 2 AND extract(day FROM count_date) = 1),
  phase text NOT NULL CHECK (phase IN ('PROVISIONAL', 'FINAL')),
  opened_at timestamptz NOT NULL DEFAULT now(),
  finalised_at timestamptz
);

-- One row per enrollment assessed for a count date; no reasons means fundable. No foreign key to
-- count_date: a count date's statuses are written 1.4 million at a time, where the check costs
-- seconds (bench/countDate.ts), and only funding/countDates.ts opens count dates, row first.
CREATE TABLE funding.status (
  count_date date NOT NULL,
  enrollment_id uuid NOT NULL,
  reasons text[] NOT NULL,
  evaluated_at timestamptz NOT NULL,
  PRIMARY KEY (count_date, enrollment_id)
);

-- The overview per board that a count-date run fixes (DUO sends it to the board within 8 weeks,
-- Besluit bekostiging WPO 2022 art 7 [S:34]).
CREATE TABLE funding.count_overview (
  count_date date NOT NULL REFERENCES funding.count_date,
  board_code text NOT NULL,
  counted integer NOT NULL,
  not_counted integer NOT NULL,
  -- enrollments per reason; one with several reasons is in each
  by_reason jsonb NOT NULL,
  PRIMARY KEY (count_date, board_code)
);

CREATE TABLE funding.outbox (
  position bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type text NOT NULL,
  keys jsonb NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_order ON funding.outbox (txid, position);

CREATE TABLE funding.consumer_cursor (
  consumer text NOT NULL,
  stream text NOT NULL,
  cursor text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, stream)
);
