-- Protocollering (domain.md §10; kernel/audit.ts): one line per read or change of data carrying a
-- PGN, and per refused attempt, from every subgraph. Like the migrations table, it belongs to the
-- kernel, not to one register. `object` is a keyed hash of the PGN, never the PGN itself. Lines are
-- only ever added: the triggers refuse every change and removal, also by the register's own code.
CREATE SCHEMA audit;

CREATE TABLE audit.log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- the subgraph that served the access
  register text NOT NULL,
  actor_role text NOT NULL,
  actor text NOT NULL,
  school text,
  action text NOT NULL,
  object text,
  result text NOT NULL CHECK (result IN ('ALLOWED', 'REFUSED')),
  origin text
);
CREATE INDEX log_object ON audit.log (object, seq);

CREATE FUNCTION audit.log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit.log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON audit.log
  FOR EACH ROW EXECUTE FUNCTION audit.log_is_append_only();
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON audit.log
  FOR EACH STATEMENT EXECUTE FUNCTION audit.log_is_append_only();
