-- Signals (terugmelding): what the register tells a school about its delivery, when it differs from
-- the person source or a change of the person affects the school's enrollment (Wro art 14.1: the
-- register returns the data as it means to record them). A signal closes itself when a corrected
-- delivery no longer differs (RESOLVED), or the school acknowledges it (ACKNOWLEDGED).
CREATE TABLE learners.signal (
  id uuid PRIMARY KEY,
  enrollment_id uuid NOT NULL REFERENCES learners.enrollment (id),
  learner_id uuid NOT NULL REFERENCES learners.learner (id),
  brin6 text NOT NULL,
  code text NOT NULL CHECK (code IN ('UNKNOWN_BSN', 'DIFFERS', 'DECEASED', 'EMIGRATED', 'PGN_REPLACED')),
  field text,
  delivered_value text,
  registered_value text,
  status text NOT NULL CHECK (status IN ('OPEN', 'RESOLVED', 'ACKNOWLEDGED')),
  issued_at timestamptz NOT NULL,
  closed_at timestamptz,
  CHECK ((status = 'OPEN') = (closed_at IS NULL))
);
CREATE INDEX signal_school ON learners.signal (brin6, issued_at DESC, id);
CREATE INDEX signal_enrollment ON learners.signal (enrollment_id);
