-- RIO for po (domain.md §2.1): boards, providers, locations, recognised branches (BRIN6) and the
-- programmes offered, loaded from DUO's "Alle schoolvestigingen basisonderwijs" file. Rows are never
-- deleted: a closed object gets an end date (the last day it was active).
CREATE SCHEMA institutions;

CREATE TABLE institutions.board (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{3}B[0-9]{3}$'),
  competent_authority_number text NOT NULL UNIQUE CHECK (competent_authority_number ~ '^[0-9]{5}$'),
  name text,
  start_date date,
  end_date date,
  CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date - 1)
);

CREATE TABLE institutions.provider (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{3}A[0-9]{3}$'),
  brin4 text NOT NULL UNIQUE CHECK (brin4 ~ '^[0-9]{2}[A-Z]{2}$'),
  name text NOT NULL,
  board_code text NOT NULL REFERENCES institutions.board (code),
  start_date date,
  end_date date,
  CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date - 1)
);
CREATE INDEX provider_board_code ON institutions.provider (board_code);

CREATE TABLE institutions.location (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{3}X[0-9]{3}$'),
  -- postcode and house number: what makes two schools share one location
  address_key text NOT NULL UNIQUE,
  street text NOT NULL,
  house_number text NOT NULL,
  postcode text NOT NULL CHECK (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
  city text NOT NULL,
  municipality_code text NOT NULL CHECK (municipality_code ~ '^[0-9]{4}$'),
  municipality_name text,
  start_date date,
  end_date date,
  CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date - 1)
);
CREATE INDEX location_municipality_code ON institutions.location (municipality_code);

CREATE TABLE institutions.branch (
  brin6 text PRIMARY KEY CHECK (brin6 ~ '^[0-9]{2}[A-Z]{2}[0-9]{2}$'),
  provider_code text NOT NULL REFERENCES institutions.provider (code),
  location_code text NOT NULL REFERENCES institutions.location (code),
  name text NOT NULL,
  denomination text,
  phone text,
  website text,
  start_date date,
  end_date date,
  CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date - 1)
);
CREATE INDEX branch_provider_code ON institutions.branch (provider_code);
CREATE INDEX branch_location_code ON institutions.branch (location_code);

CREATE TABLE institutions.offered_programme (
  id uuid PRIMARY KEY,
  provider_code text NOT NULL REFERENCES institutions.provider (code),
  location_code text NOT NULL REFERENCES institutions.location (code),
  kind text NOT NULL CHECK (kind IN ('BASISONDERWIJS', 'SPECIAAL_BASISONDERWIJS')),
  name text NOT NULL,
  start_date date,
  end_date date,
  UNIQUE (provider_code, location_code, kind),
  CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date - 1)
);
CREATE INDEX offered_programme_location_code ON institutions.offered_programme (location_code);

-- One row per applied school file: which file, for which date, and what it changed.
CREATE TABLE institutions.import_run (
  id serial PRIMARY KEY,
  file_name text NOT NULL,
  sha256 text NOT NULL,
  reference_date date NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now(),
  counts jsonb NOT NULL
);

-- The history behind those counts: every object an import created, closed, reopened or changed.
CREATE TABLE institutions.import_change (
  run_id integer NOT NULL REFERENCES institutions.import_run (id),
  entity text NOT NULL,
  key text NOT NULL,
  change text NOT NULL,
  before jsonb,
  after jsonb
);
CREATE INDEX import_change_key ON institutions.import_change (entity, key);
