-- A learner folded into another (learners/merge.ts: one child, one learner; WPO art 40b.5) is folded
-- here too, and each enrollment that was the absorbed learner's remembers its id: the school of the
-- enrollment keeps knowing the learner by it, as the learners register answers that school, so that
-- a merge it took no part in tells it nothing of other schools.
ALTER TABLE absence.enrollment ADD COLUMN absorbed_from uuid;
