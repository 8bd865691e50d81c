#!/bin/sh
# Create CaseAssure's two PostgreSQL roles and its database; run as a superuser. Safe to run
# again. Used by docker-compose (as an init script of the postgres image) and by .ci/run.
#   owner role   owns the database and every table; `manage.py migrate` connects as it
#                (DATABASE_OWNER_URL) and grants the runtime role its privileges.
#   runtime role the web, worker and beat processes (DATABASE_URL): ordinary DML, but only
#                SELECT and INSERT on the history (Event, AccessLog); owns nothing.
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER; the local socket and
# POSTGRES_USER inside the postgres image). Settings, all optional:
#   CASEASSURE_DB (default $POSTGRES_DB or caseassure), CASEASSURE_OWNER_ROLE
#   (caseassure_owner), CASEASSURE_APP_ROLE (caseassure_app), CASEASSURE_OWNER_PASSWORD and
#   CASEASSURE_APP_PASSWORD (none: no password, e.g. with trust on a CI loopback), and
#   CASEASSURE_OWNER_CREATEDB=1 to let the owner create the test database (CI only).
set -eu

export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
db="${CASEASSURE_DB:-${POSTGRES_DB:-caseassure}}"
owner="${CASEASSURE_OWNER_ROLE:-caseassure_owner}"
app="${CASEASSURE_APP_ROLE:-caseassure_app}"
createdb=NOCREATEDB
[ "${CASEASSURE_OWNER_CREATEDB:-0}" = 1 ] && createdb=CREATEDB

run() {
  psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v owner="$owner" -v app="$app" \
    -v createdb="$createdb" -v owner_password="${CASEASSURE_OWNER_PASSWORD:-}" \
    -v app_password="${CASEASSURE_APP_PASSWORD:-}" "$@"
}

# psql's :'name' and :"name" quote each value as a literal or an identifier.
run --dbname=postgres <<'SQL'
SELECT format('CREATE ROLE %I', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEROLE :createdb;
-- The runtime role can become no other role and write no table beyond what it is granted.
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOINHERIT NOBYPASSRLS;
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', NULLIF(:'owner_password', '')) \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', NULLIF(:'app_password', '')) \gexec
SELECT format('REVOKE %I FROM %I', :'owner', :'app')
 WHERE pg_has_role(:'app', :'owner', 'MEMBER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"owner", :"app";
SQL

# Inside the database: the owner holds the public schema and, after an install that ran as
# one role, every table and function in it; nobody else may create there. Then run
# `manage.py migrate` with DATABASE_OWNER_URL set: it grants the runtime role its privileges.
run --dbname="$db" <<'SQL'
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'owner')
  FROM pg_tables WHERE schemaname = 'public' AND tableowner <> :'owner' \gexec
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
   AND pg_get_userbyid(p.proowner) <> :'owner' \gexec
SQL
echo "roles $owner (owner) and $app (runtime) ready for database $db"
