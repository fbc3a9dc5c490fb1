-- One child, one learner (WPO art 40b.5; Besluit bekostiging WPO 2022 art 7: a learner counts once):
-- when a BSN replaces an onderwijsnummer and another learner already holds that BSN, the two are one
-- child, and the learner that held the BSN is folded into the one whose onderwijsnummer was
-- replaced (subgraphs/learners/merge.ts). Its id stays on record here, so that a reference by it
-- (an event, a projection's row, a stored answer) still finds the learner.
CREATE TABLE learners.merged_learner (
  id uuid PRIMARY KEY,
  into_learner_id uuid NOT NULL REFERENCES learners.learner (id),
  merged_at timestamptz NOT NULL
);
CREATE INDEX merged_learner_into ON learners.merged_learner (into_learner_id);

-- The learner a delivery was made about, when it was folded into another since: the school that
-- delivered it keeps knowing the learner by that id, so that a merge it took no part in tells it
-- nothing about other schools.
ALTER TABLE learners.delivery ADD COLUMN absorbed_from uuid;
