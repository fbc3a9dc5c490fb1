-- The person source: the register's stand-in for the basisregistratie personen (BRP, Wet BRP), which
-- it cannot reach. ROD takes a learner's identifying data from the BRP (Besluit ROD art 4): names,
-- gender, birth date, address, date of death, residence in or departure from the Netherlands. Loaded
-- by npm run persons:import (subgraphs/learners/persons.ts); each change of a person is written with
-- its event on the learners stream. A learner is linked to a person by its PGN, when that is a BSN.
CREATE TABLE learners.person (
  bsn text PRIMARY KEY CHECK (bsn ~ '^[0-9]{9}$'),
  family_name text NOT NULL,
  given_names text,
  birth_date date NOT NULL,
  gender text NOT NULL CHECK (gender IN ('MALE', 'FEMALE', 'UNDETERMINED')),
  -- The address: null for one who emigrated.
  postcode text CHECK (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
  house_number integer CHECK (house_number BETWEEN 1 AND 99999),
  house_number_addition text,
  municipality_code text CHECK (municipality_code ~ '^[0-9]{4}$'),
  deceased_on date,
  emigrated_on date,
  updated_at timestamptz NOT NULL
);
-- Children of compulsory school age living in a municipality (LPW art 3): what the leerplicht work
-- that follows asks for.
CREATE INDEX person_residence ON learners.person (municipality_code, birth_date);
