"""The owner and runtime roles on PostgreSQL.

The web, worker and beat processes connect as the runtime role (DATABASE_URL). It holds
ordinary DML on every table but only SELECT and INSERT on the history tables, owns nothing,
and so can neither change nor delete history, truncate it, alter its tables or switch off
their triggers. Schema changes and flushes run as the owner role (DATABASE_OWNER_URL): the
`migrate` and `flush` commands switch to it, and `migrate` then grants the runtime role its
privileges, with default privileges so tables made by later migrations are covered too. The
retention purge reaches old history through one SECURITY DEFINER function (migration
0002_postgresql).
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

HISTORY_TABLES = ("audits_event", "audits_accesslog")
PURGE_FUNCTION = "caseassure_retention_purge(boolean, date)"
_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_configured(alias: str = "default") -> bool:
    return bool(settings.DATABASE_OWNER) and alias == "default"


def switch_credentials(alias: str, credentials: dict) -> dict:
    """Reconnect ``alias`` with other credentials (same database); return the old ones."""
    connection = connections[alias]
    previous = {key: connection.settings_dict[key] for key in _CREDENTIALS}
    connection.close()
    connection.settings_dict.update(credentials)
    if settings.DATABASES[alias] is not connection.settings_dict:
        settings.DATABASES[alias].update(credentials)
    return previous


@contextmanager
def as_owner(alias: str = "default"):
    """Run the block connected as the owner role, when one is configured."""
    if not owner_configured(alias):
        yield
        return
    previous = switch_credentials(alias, settings.DATABASE_OWNER)
    try:
        yield
    finally:
        switch_credentials(alias, previous)


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _refuse_unsafe_runtime_role(cursor, runtime: str) -> None:
    # Each of these would let the runtime role act as the owner, or write to any table.
    cursor.execute(
        "SELECT rolsuper OR rolcreaterole OR pg_has_role(rolname, current_user, 'MEMBER') "
        "OR pg_has_role(rolname, 'pg_write_all_data', 'MEMBER') FROM pg_roles WHERE rolname = %s",
        [runtime],
    )
    found = cursor.fetchone()
    if found is None:
        raise ImproperlyConfigured(f"the runtime role {runtime!r} does not exist; create it first")
    if found[0]:
        raise ImproperlyConfigured(
            f"the runtime role {runtime!r} is a superuser, may create roles, is a member of the "
            "owner role or of pg_write_all_data, so it could rewrite history: give it none of these"
        )


def grant_runtime_privileges(alias: str = "default") -> None:
    """As the owner: let the runtime role use every table, but only read and add history."""
    if not owner_configured(alias):
        return
    connection = connections[alias]
    runtime = _quote(connection, settings.DATABASE_RUNTIME_ROLE)
    history = ", ".join(HISTORY_TABLES)
    with connection.cursor() as cursor:
        _refuse_unsafe_runtime_role(cursor, settings.DATABASE_RUNTIME_ROLE)
        cursor.execute(
            "SELECT current_schema(), to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL, "
            "to_regprocedure(%s) IS NOT NULL",
            [*HISTORY_TABLES, PURGE_FUNCTION],
        )
        schema, has_history, has_purge = cursor.fetchone()
        schema = _quote(connection, schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {schema} TO {runtime}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {runtime}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {runtime}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {runtime}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {runtime}",
        ]
        if has_history:
            statements += [
                f"REVOKE ALL ON {history} FROM PUBLIC",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {history} FROM {runtime}",
            ]
        if has_purge:
            statements += [
                f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION} FROM PUBLIC",
                f"GRANT EXECUTE ON FUNCTION {PURGE_FUNCTION} TO {runtime}",
            ]
        for statement in statements:
            cursor.execute(statement)
