-- A learner's personal data is what each school delivered, kept with that school's enrollment: the
-- register keeps every delivery, and one school's delivery never changes what another school
-- delivered or sees (domain.md, last section, "Personal data"). Until now learners.learner held one
-- copy, overwritten by whichever school wrote last; this moves it into deliveries.
--
-- What a school delivers (Besluit ROD art 18.1.a -> 4.1 c, e, f: geslacht, postcode, geboortedatum;
-- the names it records at admission, WPO art 40b.1-2), with the municipality of residence the
-- delivery gives: the school's explicit override, else the one derived from the postcode
-- (subgraphs/learners/residence.ts), and the PGN it was delivered under, which a replacement
-- (WPO art 40b.5) leaves as it was. A delivery belongs to an enrollment, or, with enrollment_id null,
-- to the identification a school asked for (WPO art 40b.3).
CREATE TABLE learners.delivery (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL REFERENCES learners.learner (id),
  brin6 text NOT NULL,
  enrollment_id uuid UNIQUE REFERENCES learners.enrollment (id),
  pgn text NOT NULL,
  birth_date date NOT NULL,
  gender text NOT NULL CHECK (gender IN ('MALE', 'FEMALE', 'UNDETERMINED')),
  postcode text NOT NULL CHECK (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
  family_name text,
  given_names text,
  municipality_override text CHECK (municipality_override ~ '^[0-9]{4}$'),
  municipality_code text CHECK (municipality_code ~ '^[0-9]{4}$'),
  delivered_at timestamptz NOT NULL
);
CREATE INDEX delivery_learner ON learners.delivery (learner_id, brin6);
-- Identification looks for a child the register knows by what schools delivered (identify.ts).
CREATE INDEX delivery_birth ON learners.delivery (birth_date, gender);
-- One identification per learner and school: asking again corrects it.
CREATE UNIQUE INDEX delivery_identification ON learners.delivery (learner_id, brin6) WHERE enrollment_id IS NULL;

-- Every enrollment gets the learner's one record as its delivery: it is what the register held when
-- the enrollment was last written. Its PGN is the one the learner held when the enrollment was
-- registered: an onderwijsnummer replaced after that, else the learner's PGN now.
INSERT INTO learners.delivery (id, learner_id, brin6, enrollment_id, pgn, birth_date, gender, postcode, family_name, given_names,
    municipality_override, municipality_code, delivered_at)
  SELECT gen_random_uuid(), e.learner_id, e.brin6, e.id, coalesce(former.pgn, l.pgn), l.birth_date, l.gender, l.postcode, l.family_name, l.given_names,
    CASE WHEN l.municipality_source = 'OVERRIDE' THEN l.municipality_code END, l.municipality_code, e.registered_at
  FROM learners.enrollment e JOIN learners.learner l ON l.id = e.learner_id
  LEFT JOIN LATERAL (SELECT p.pgn FROM learners.learner_pgn p WHERE p.learner_id = l.id AND p.replaced_at > e.registered_at
    ORDER BY p.replaced_at LIMIT 1) former ON true;

-- And the school that identified a learner keeps that identification as its delivery.
INSERT INTO learners.delivery (id, learner_id, brin6, enrollment_id, pgn, birth_date, gender, postcode, family_name, given_names,
    municipality_override, municipality_code, delivered_at)
  SELECT gen_random_uuid(), l.id, l.identified_by, NULL, coalesce(former.pgn, l.pgn), l.birth_date, l.gender, l.postcode, l.family_name, l.given_names,
    CASE WHEN l.municipality_source = 'OVERRIDE' THEN l.municipality_code END, l.municipality_code, l.created_at
  FROM learners.learner l
  LEFT JOIN LATERAL (SELECT p.pgn FROM learners.learner_pgn p WHERE p.learner_id = l.id AND p.replaced_at > l.created_at
    ORDER BY p.replaced_at LIMIT 1) former ON true
  WHERE l.identified_by IS NOT NULL;

-- A learner's record is dropped only where a delivery holds it: a learner with neither an enrollment
-- nor an identification (none is made so) stops the migration instead of losing its data.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM learners.learner l WHERE NOT EXISTS (SELECT 1 FROM learners.delivery d WHERE d.learner_id = l.id)) THEN
    RAISE EXCEPTION 'learners.learner holds learners without an enrollment or identification; their data has no delivery to move to';
  END IF;
END $$;

-- What is left of a learner is the register's own: the PGN and its history (learner_pgn).
ALTER TABLE learners.learner
  DROP COLUMN birth_date,
  DROP COLUMN gender,
  DROP COLUMN postcode,
  DROP COLUMN family_name,
  DROP COLUMN given_names,
  DROP COLUMN municipality_code,
  DROP COLUMN municipality_source,
  DROP COLUMN identified_by;
