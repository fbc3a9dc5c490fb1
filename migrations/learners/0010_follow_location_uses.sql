-- Boards register locations for their vestigingen (institutions migration 0004): the copy of RIO keeps
-- each use of a location by a vestiging, so that an enrollment at such a location finds its vestiging.
ALTER TABLE learners.rio_object DROP CONSTRAINT rio_object_kind_check;
ALTER TABLE learners.rio_object ADD CONSTRAINT rio_object_kind_check CHECK (kind IN ('PROVIDER', 'LOCATION', 'BRANCH', 'OFFERED_PROGRAMME', 'LOCATION_USE'));
-- A location use's vestiging; null for the other kinds.
ALTER TABLE learners.rio_object ADD COLUMN brin6 text;
CREATE INDEX rio_object_location_use ON learners.rio_object (location_code) WHERE kind = 'LOCATION_USE';
