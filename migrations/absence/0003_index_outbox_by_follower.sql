-- Subscribers follow their own school's events (kernel/feed.ts): a replay from a cursor reads this
-- stream by school, in stream order.
CREATE INDEX outbox_brin6 ON absence.outbox ((keys->>'brin6'), txid, position);
-- And a municipality those of the reports routed to it.
CREATE INDEX outbox_municipality ON absence.outbox ((keys->>'municipalityCode'), txid, position);
