-- Subscribers follow their own school's events (kernel/feed.ts): a replay from a cursor reads this
-- stream by school, in stream order.
CREATE INDEX outbox_brin6 ON learners.outbox ((keys->>'brin6'), txid, position);
