-- RIO as a register that boards maintain (domain.md §2.1, §7(d) [S:11, S:13, S:39]): a board, or a
-- vendor it mandated for RIO, registers locations for its vestigingen, the programmes it offers there,
-- its providers' names and their board. An object a board changed is maintained by that board from
-- then on: the monthly school file reports where it differs instead of overwriting it (README, "RIO
-- changes by boards").

-- Who maintains an object: null for the school file, else the board (`board/<code>`).
ALTER TABLE institutions.provider ADD COLUMN maintainer text;
ALTER TABLE institutions.location ADD COLUMN maintainer text;
ALTER TABLE institutions.offered_programme ADD COLUMN maintainer text;

-- The provider's name in use beside its official name (OnderwijsaanbiederPeriode, S:9).
ALTER TABLE institutions.provider ADD COLUMN name_in_use text;

-- A programme may be offered again at a place after it ended: one per provider, location and kind
-- at a time, which the register checks, rather than one ever.
ALTER TABLE institutions.offered_programme DROP CONSTRAINT offered_programme_provider_code_location_code_kind_key;
CREATE INDEX offered_programme_place ON institutions.offered_programme (provider_code, location_code, kind);

-- Onderwijslocatiegebruik (S:9, S:11): a vestiging (BRIN6) teaching at a location other than its
-- address in the school file, for a period. In po a location is registered for a BRIN6.
CREATE TABLE institutions.location_use (
  id uuid PRIMARY KEY,
  brin6 text NOT NULL REFERENCES institutions.branch (brin6),
  location_code text NOT NULL REFERENCES institutions.location (code),
  start_date date NOT NULL,
  end_date date,
  maintainer text NOT NULL,
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX location_use_location ON institutions.location_use (location_code);
CREATE INDEX location_use_branch ON institutions.location_use (brin6);

-- Every change to an RIO object, whoever made it: the school file (with its run), a board (itself or
-- through a vendor), or the operator's correction with its reason. `effective_on` is the day the
-- change took effect; null where it holds for every day (the first load, a correction). `actor` is
-- `file/<file name>`, `board/<code>` (also when a vendor acted, then in `vendor_oin`) or `operator`.
CREATE TABLE institutions.change (
  id bigserial PRIMARY KEY,
  entity text NOT NULL,
  key text NOT NULL,
  change text NOT NULL,
  before jsonb,
  after jsonb,
  effective_on date,
  run_id integer REFERENCES institutions.import_run (id),
  actor text NOT NULL,
  vendor_oin text,
  reason text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_object ON institutions.change (entity, key);

INSERT INTO institutions.change (entity, key, change, before, after, effective_on, run_id, actor, recorded_at)
SELECT c.entity, c.key, c.change, c.before, c.after,
  CASE WHEN r.id = (SELECT min(id) FROM institutions.import_run) THEN NULL ELSE r.reference_date END,
  c.run_id, 'file/' || r.file_name, r.imported_at
FROM institutions.import_change c JOIN institutions.import_run r ON r.id = c.run_id
ORDER BY r.id;

DROP TABLE institutions.import_change;
