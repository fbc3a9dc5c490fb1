-- Each school delivers its own birth date with its enrollment, and one school's delivery must not
-- change another's funding (domain.md, last section, "Personal data"). So the birth date the rules
-- read is the registered one (the person source, standing in for the BRP; Besluit ROD art 4) where
-- the register has it, and else the one delivered with that enrollment: the enrollment keeps its
-- delivered birth date, the learner the registered one. The copy held one birth date per learner,
-- the last delivered; it becomes every enrollment's delivered birth date, and nothing is registered
-- yet.
ALTER TABLE funding.enrollment ADD COLUMN birth_date date;
UPDATE funding.enrollment e SET birth_date = l.birth_date FROM funding.learner l WHERE l.id = e.learner_id;
ALTER TABLE funding.enrollment ALTER COLUMN birth_date SET NOT NULL;

ALTER TABLE funding.learner RENAME COLUMN birth_date TO registered_birth_date;
ALTER TABLE funding.learner ALTER COLUMN registered_birth_date DROP NOT NULL;
UPDATE funding.learner SET registered_birth_date = NULL;
