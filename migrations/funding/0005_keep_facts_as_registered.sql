-- Facts as registered by the deadline (Besluit bekostiging WPO 2022 art 7.2; domain.md §5, "Timing"):
-- a count date is assessed on each enrollment as the register held it at the end of the registration
-- deadline, so the copy keeps when its current state was stored, and each state it replaced.
ALTER TABLE funding.enrollment ADD COLUMN updated_at timestamptz;
ALTER TABLE funding.enrollment ADD COLUMN updated_on date;
-- The copy kept only the last state of each enrollment: it is taken as stored when the enrollment
-- was first registered. For an enrollment changed since, that is earlier than the change reached the
-- register; a count date already run is FINAL and not assessed again, and a change from now on is
-- kept with its own moment.
UPDATE funding.enrollment SET updated_at = registered_at, updated_on = registered_on;
ALTER TABLE funding.enrollment ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE funding.enrollment ALTER COLUMN updated_on SET NOT NULL;

-- The states an enrollment's current one replaced, each with the moment the register stored it (the
-- moment of its learners event) and that day in the Netherlands, which the deadline reads.
CREATE TABLE funding.enrollment_version (
  enrollment_id uuid NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_on date NOT NULL,
  birth_date date NOT NULL,
  location_code text NOT NULL,
  offered_programme_id uuid NOT NULL,
  start_date date NOT NULL,
  end_date date,
  PRIMARY KEY (enrollment_id, updated_at)
);

-- A provider's BRIN4 (its school: Besluit bekostiging WPO 2022 art 8.5), from the institutions
-- stream, so that funding knows the schools an extension can be granted to and which are a board's.
-- A provider with enrollments gets it from them now; any other from its next ProviderChanged event.
ALTER TABLE funding.rio_object ADD COLUMN brin4 text;
UPDATE funding.rio_object p SET brin4 = e.brin4
  FROM (SELECT DISTINCT provider_code, left(brin6, 4) AS brin4 FROM funding.enrollment) e
  WHERE p.kind = 'PROVIDER' AND p.code = e.provider_code;
CREATE INDEX rio_object_brin4 ON funding.rio_object (brin4) WHERE brin4 IS NOT NULL;

-- Extensions of the registration term the minister grants a school under art 7.3, as the operator
-- records them: every grant with its reason; for a school and count date the last one granted is in
-- force.
CREATE TABLE funding.registration_extension (
  id uuid PRIMARY KEY,
  count_date date NOT NULL,
  brin4 text NOT NULL,
  until date NOT NULL,
  reason text NOT NULL,
  document_id text NOT NULL,
  granted_at timestamptz NOT NULL
);
CREATE INDEX registration_extension_school ON funding.registration_extension (count_date, brin4, granted_at);

-- Received business documents (domain.md §9): a resend of a grant gets the first answer again.
CREATE TABLE funding.document (
  sender text NOT NULL,
  document_id text NOT NULL,
  mutation text NOT NULL,
  fingerprint text NOT NULL,
  result jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sender, document_id)
);
