-- A report goes to the municipality where the learner lives (LPW art 21a; Besluit ROD art 46.2). The
-- register's residence comes from the person source (standing in for the BRP, Besluit ROD art 4),
-- kept here by BSN from the learners stream; for a learner it does not know (no BSN, or one the
-- source lacks: Wro art 9.4), from what the reporting school delivered with its enrollment. The
-- copy held one municipality per learner, from whichever school delivered last; it becomes each
-- enrollment's, and the residents start empty.
CREATE TABLE absence.resident (
  bsn text PRIMARY KEY,
  municipality_code text,
  birth_date date NOT NULL,
  deceased_on date,
  emigrated_on date
);
CREATE INDEX resident_municipality ON absence.resident (municipality_code);

ALTER TABLE absence.enrollment ADD COLUMN municipality_code text;
UPDATE absence.enrollment e SET municipality_code = l.municipality_code FROM absence.learner l WHERE l.id = e.learner_id;
ALTER TABLE absence.learner DROP COLUMN municipality_code;
