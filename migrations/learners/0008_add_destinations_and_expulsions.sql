-- Leerplicht for municipalities (issue 19; README, "Leerplicht for municipalities").
--
-- Where a learner goes when an enrollment ends (uitschrijving): another school in the Netherlands, a
-- school abroad, special education (a WEC school) or not known. The municipality follows a child of
-- compulsory school age who leaves without a destination school (LPW art 19, 22). Null while
-- enrolled, and for an enrollment that ended because the learner died. Enrollments that ended before
-- this migration get what their reason says, as deregisterLearner now defaults it.
ALTER TABLE learners.enrollment
  ADD COLUMN destination text CHECK (destination IN ('OTHER_SCHOOL', 'ABROAD', 'SPECIAL_EDUCATION', 'UNKNOWN'));
UPDATE learners.enrollment
SET destination = CASE end_reason
    WHEN 'TRANSFER' THEN 'OTHER_SCHOOL'
    WHEN 'END_OF_PRIMARY_EDUCATION' THEN 'OTHER_SCHOOL'
    WHEN 'MOVED_ABROAD' THEN 'ABROAD'
    WHEN 'DECEASED' THEN NULL
    ELSE 'UNKNOWN'
  END
WHERE end_reason IS NOT NULL;

-- An expulsion (verwijdering, WPO art 40.11) ends an enrollment with its own reason.
ALTER TABLE learners.enrollment DROP CONSTRAINT enrollment_end_reason_check;
ALTER TABLE learners.enrollment
  ADD CONSTRAINT enrollment_end_reason_check
  CHECK (end_reason IN ('TRANSFER', 'END_OF_PRIMARY_EDUCATION', 'MOVED_ABROAD', 'DECEASED', 'EXPELLED', 'OTHER'));

-- Expulsion as its steps (subgraphs/learners/expulsions.ts): the school's intention; the group
-- teacher and the parents heard (WPO art 40.11, first sentence); the decision, which the register
-- reports to the municipality of residence at once (LPW art 18.1); and the definitive expulsion once
-- another school is willing to admit the learner (WPO art 40.11, second and third sentence), which
-- ends the enrollment; or its withdrawal. At most one open (INTENDED or DECIDED) per enrollment.
CREATE TABLE learners.expulsion (
  id uuid PRIMARY KEY,
  enrollment_id uuid NOT NULL REFERENCES learners.enrollment (id),
  learner_id uuid NOT NULL REFERENCES learners.learner (id),
  brin6 text NOT NULL,
  status text NOT NULL CHECK (status IN ('INTENDED', 'DECIDED', 'EXECUTED', 'WITHDRAWN')),
  grounds text NOT NULL,
  group_teacher_heard_on date,
  parents_heard_on date,
  decided_on date,
  receiving_school text,
  receiving_destination text CHECK (receiving_destination IN ('OTHER_SCHOOL', 'SPECIAL_EDUCATION')),
  receiving_school_willing_on date,
  end_date date,
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (status NOT IN ('DECIDED', 'EXECUTED') OR decided_on IS NOT NULL),
  CHECK ((status = 'EXECUTED') = (end_date IS NOT NULL AND receiving_school IS NOT NULL))
);
CREATE UNIQUE INDEX expulsion_open ON learners.expulsion (enrollment_id) WHERE status IN ('INTENDED', 'DECIDED');
CREATE INDEX expulsion_school ON learners.expulsion (brin6, started_at DESC, id);
CREATE INDEX expulsion_enrollment ON learners.expulsion (enrollment_id);

-- A municipality reads its residents' enrollments (LPW art 19): those of learners the person source
-- places in it, and of learners it does not place whose enrollment's delivery does.
CREATE INDEX delivery_residence ON learners.delivery (municipality_code) WHERE enrollment_id IS NOT NULL;
-- ... and follows them (residentEnrollmentChanged): a replay from a cursor reads this stream by
-- municipality, in stream order.
CREATE INDEX outbox_municipality ON learners.outbox ((keys->>'municipalityCode'), txid, position);
