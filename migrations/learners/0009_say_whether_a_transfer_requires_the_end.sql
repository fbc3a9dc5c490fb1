-- A transfer notice says whether the old school must end its enrollment the day before the new start
-- (Besluit bekostiging WPO 2022 art 10.2, read from the notice's receipt: docs/domain.md §14), and why.
-- Notices issued before were sent when the new start fell within four weeks after the old
-- enrollment's last day, and asked the old school to end it: they keep that meaning.
ALTER TABLE learners.transfer_notice
  ADD COLUMN end_required boolean NOT NULL DEFAULT true,
  ADD COLUMN end_required_reason text NOT NULL
    DEFAULT 'Issued before the register read Besluit bekostiging WPO 2022 art 10.2 from the notice''s receipt: the school ends its enrollment on the day before the new start.';
ALTER TABLE learners.transfer_notice ALTER COLUMN end_required DROP DEFAULT, ALTER COLUMN end_required_reason DROP DEFAULT;
