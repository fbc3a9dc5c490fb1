-- Leerplicht for municipalities (issue 19; docs/domain.md §6). How each enrollment ended (its reason
-- and, since issue 19, its destination) and the birth date its school delivered, from the learners
-- stream: whether a child left for another school, and the compulsory school age of a learner the
-- person source does not know.
ALTER TABLE absence.enrollment ADD COLUMN end_reason text, ADD COLUMN destination text, ADD COLUMN birth_date date;
-- The copy held neither, so it reads the learners stream again from the start. Taking an event in
-- twice changes nothing (projection.ts: upserts of last states, folds by id, a notice once per
-- exemption and enrollment).
DELETE FROM absence.consumer_cursor WHERE consumer = 'absence.learners' AND stream = 'learners';

-- An exemption is for a child, enrolled or not (LPW art 5, 5a): it is registered by the PGN the
-- municipality names (a BSN of the person source for a child never enrolled), and holds the learner
-- once the register knows one by that PGN. The day the parents' notice reached the municipality, and
-- whether a yearly claim (art 5 under b and c) came after 1 July preceding its school year (art 6).
ALTER TABLE absence.exemption ALTER COLUMN learner_id DROP NOT NULL,
  ADD COLUMN pgn text,
  ADD COLUMN noticed_on date,
  ADD COLUMN late_notice boolean NOT NULL DEFAULT false;
UPDATE absence.exemption x SET pgn = l.pgn FROM absence.learner l WHERE l.id = x.learner_id;
ALTER TABLE absence.exemption ALTER COLUMN pgn SET NOT NULL;
CREATE INDEX exemption_pgn ON absence.exemption (pgn);

-- Absolute absence (absoluut verzuim): a resident of compulsory school age (LPW art 3, 4) whom no
-- school enrolls and no exemption frees, signalled to the municipality where it lives once that has
-- lasted more than the configured number of school days. One per resident, municipality and episode
-- (`since`: the first day without school or exemption); the register resolves it once the child is
-- enrolled, exempt, or no longer the municipality's to follow.
CREATE TABLE absence.absolute_absence_signal (
  id uuid PRIMARY KEY,
  bsn text NOT NULL,
  municipality_code text NOT NULL,
  birth_date date NOT NULL,
  reason text NOT NULL CHECK (reason IN ('NEVER_ENROLLED', 'DEREGISTERED', 'EXEMPTION_ENDED')),
  since date NOT NULL,
  due_on date NOT NULL CHECK (due_on >= since),
  last_enrollment_id uuid,
  status text NOT NULL CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
  resolution text CHECK ((status = 'RESOLVED') = (resolution IS NOT NULL)),
  issued_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_note text,
  resolved_at timestamptz,
  UNIQUE (bsn, municipality_code, since)
);
CREATE INDEX absolute_absence_signal_inbox ON absence.absolute_absence_signal (municipality_code, issued_at);
CREATE INDEX absolute_absence_signal_by_status ON absence.absolute_absence_signal (municipality_code, status, issued_at);
CREATE INDEX absolute_absence_signal_unresolved ON absence.absolute_absence_signal (bsn) WHERE status <> 'RESOLVED';

-- The residents to look at again, noted by the change that concerns them (an enrollment, a move, an
-- exemption) and by the periodic sweep, taken in the order they were noted.
CREATE TABLE absence.leerplicht_pending (
  bsn text PRIMARY KEY,
  noted bigserial NOT NULL
);
CREATE INDEX leerplicht_pending_order ON absence.leerplicht_pending (noted);
-- The sweep picks residents by age.
CREATE INDEX resident_birth_date ON absence.resident (birth_date);
