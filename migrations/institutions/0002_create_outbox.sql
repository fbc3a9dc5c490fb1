-- The institutions event stream (architecture.md, "Events and subscriptions"): every change the
-- school-file import makes is written here in the same transaction, with the object's full state, so
-- other subgraphs keep their own copy of what they need (learners checks enrollments against it).
CREATE TABLE institutions.outbox (
  position bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type text NOT NULL,
  keys jsonb NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_order ON institutions.outbox (txid, position);

CREATE TABLE institutions.consumer_cursor (
  consumer text NOT NULL,
  stream text NOT NULL,
  cursor text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, stream)
);

-- The register existed before its stream: state the current objects once, so a consumer that starts
-- from the beginning sees everything.
INSERT INTO institutions.outbox (type, keys, payload)
SELECT 'ProviderChanged', jsonb_build_object('providerCode', code),
       jsonb_build_object('code', code, 'brin4', brin4, 'boardCode', board_code, 'startDate', start_date, 'endDate', end_date)
FROM institutions.provider ORDER BY code;
INSERT INTO institutions.outbox (type, keys, payload)
SELECT 'LocationChanged', jsonb_build_object('locationCode', code),
       jsonb_build_object('code', code, 'postcode', postcode, 'municipalityCode', municipality_code, 'startDate', start_date, 'endDate', end_date)
FROM institutions.location ORDER BY code;
INSERT INTO institutions.outbox (type, keys, payload)
SELECT 'BranchChanged', jsonb_build_object('brin6', brin6),
       jsonb_build_object('brin6', brin6, 'providerCode', provider_code, 'locationCode', location_code, 'startDate', start_date, 'endDate', end_date)
FROM institutions.branch ORDER BY brin6;
INSERT INTO institutions.outbox (type, keys, payload)
SELECT 'OfferedProgrammeChanged', jsonb_build_object('offeredProgrammeId', id),
       jsonb_build_object('id', id, 'providerCode', provider_code, 'locationCode', location_code, 'kind', kind, 'startDate', start_date, 'endDate', end_date)
FROM institutions.offered_programme ORDER BY id;
