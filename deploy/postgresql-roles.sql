-- casemgr: the PostgreSQL roles (run once, as a superuser, before the database is created).
--
--   psql -v ON_ERROR_STOP=1 -U postgres -f deploy/postgresql-roles.sql
--   psql -U postgres -c 'CREATE DATABASE casemgr OWNER casemgr_owner'
--   psql -U postgres -d casemgr -c 'REVOKE ALL ON DATABASE casemgr FROM PUBLIC'
--   psql -U postgres -d casemgr -c 'GRANT CONNECT ON DATABASE casemgr TO casemgr_app, casemgr_audit_maint'
-- then `casemgr init` as casemgr_owner, then the grants, as casemgr_owner, after every upgrade
-- too (they cover only the tables that exist), printed from casemgr/audit/pgroles.py by
--   flask --app wsgi casemgr audit grant-sql --app-role casemgr_app \
--       --maintenance-role casemgr_audit_maint > grants.sql
--   psql -v ON_ERROR_STOP=1 -U casemgr_owner -d casemgr -f grants.sql
-- tests/ops/test_deploy.py runs this file and those grants on PostgreSQL and shows that the app
-- role's UPDATE and DELETE on audit rows are refused.
--
-- casemgr_owner  owns the schema and runs migrations; the app never connects as it.
-- casemgr_app    the app servers (CASEMGR_DATABASE_URL): no DDL, no UPDATE/DELETE of audit rows.
-- casemgr_audit_maint  runs `casemgr audit archive` only.
-- Give each a password with psql's \password (or use certificate authentication in
-- pg_hba.conf); none is written here. Running this file again changes nothing.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casemgr_owner') THEN
        CREATE ROLE casemgr_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casemgr_app') THEN
        CREATE ROLE casemgr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
            CONNECTION LIMIT 200;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casemgr_audit_maint') THEN
        CREATE ROLE casemgr_audit_maint LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$roles$;
