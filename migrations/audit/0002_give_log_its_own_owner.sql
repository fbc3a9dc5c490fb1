-- The audit log belongs to a role of its own, so that the register's role may add and read lines
-- but neither change nor remove one: the owner of a table can always switch its triggers off
-- (ALTER TABLE ... DISABLE TRIGGER) and then update, delete or drop. Two roles, without login:
--   register_graph_audit  owns the audit schema, the log, its sequence and its trigger function;
--   register_graph        the register's role: may INSERT and SELECT lines, nothing else.
-- The role that runs this migration (the one the register connects as) becomes a member of
-- register_graph. This holds against the register only when that role is no superuser, cannot
-- create roles and is no member of register_graph_audit: the README says how to set it up.
--
-- Roles belong to the whole cluster, and several databases on one server may run this at once
-- (test files, replicas, several registers): each role is made only when missing, and a concurrent
-- creation by another database (duplicate_object, or unique_violation on the catalogue) is fine.
-- Made already (by an operator, beforehand), nothing here needs the right to create roles.
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['register_graph_audit', 'register_graph'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
  IF NOT pg_has_role(current_user, 'register_graph', 'MEMBER') THEN
    BEGIN
      GRANT register_graph TO CURRENT_USER;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END;
$$;

GRANT USAGE ON SCHEMA audit TO register_graph;
GRANT SELECT, INSERT ON audit.log TO register_graph;
GRANT USAGE ON SEQUENCE audit.log_seq_seq TO register_graph;

-- The sequence and the index go with the table.
ALTER SCHEMA audit OWNER TO register_graph_audit;
ALTER TABLE audit.log OWNER TO register_graph_audit;
ALTER FUNCTION audit.log_is_append_only() OWNER TO register_graph_audit;
