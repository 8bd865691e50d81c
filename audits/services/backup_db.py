"""The database half of a backup: dump and restore, PostgreSQL or SQLite.

PostgreSQL: ``pg_dump`` (custom format) and ``pg_restore`` from ``$PG_BIN`` when it is set,
else from ``PATH``; each must be at least the server's major version (``pg_dump`` refuses a
newer server; a dump from a newer ``pg_dump`` cannot be read by an older ``pg_restore``).
They connect as the owner role when DATABASE_OWNER_URL is set (backend/db_roles.py), with
the credentials in libpq's environment variables, never on the command line. The table
counts and migration state are read in a REPEATABLE READ transaction whose snapshot is
exported to ``pg_dump --snapshot``, so they describe exactly the rows in the dump even while
the service keeps writing. These are the one place the application starts programs and opens
a second database session: no Python library dumps or restores PostgreSQL.

SQLite (the embedded default): the online backup API of the standard ``sqlite3`` module,
which copies a consistent database while other processes write; counts and migrations are
read from the copy.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from audits.core.errors import DomainError

PG_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class BackupError(DomainError):
    """The backup or restore cannot go on; the message says why and what to do."""


def model_tables() -> list[tuple[str, object]]:
    """(table, model) for every table the application's models own, auto-created m2m too."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.setdefault(model._meta.db_table, model)
    return sorted(tables.items())


def counts_now() -> dict[str, int]:
    """Rows of every table, through the ORM, on the current connection and transaction."""
    return {table: model._base_manager.using("default").count() for table, model in model_tables()}


def migrations_now() -> list[list[str]]:
    rows = MigrationRecorder.Migration.objects.values_list("app", "name").order_by("app", "name")
    return [list(row) for row in rows]


def migrations_in_code() -> set[tuple[str, str]]:
    """The migrations this release ships (read from disk, no database)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# --- PostgreSQL ---------------------------------------------------------------------------
def pg_tool(name: str) -> str:
    folder = os.environ.get("PG_BIN")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).is_file():
        where = f"PG_BIN ({folder})" if folder else "PATH"
        raise BackupError(f"{name} was not found in {where}: install the PostgreSQL client tools")
    return found


def tool_major(tool: str) -> int:
    try:
        output = subprocess.run(  # noqa: S603 (the PostgreSQL tool, no shell)
            [tool, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise BackupError(f"{tool} --version failed: {error}") from None
    match = PG_VERSION.search(output)
    if match is None:
        raise BackupError(f"{tool} --version did not say its version: {output.strip()!r}")
    return int(match.group(1))


def _libpq_env(config: dict) -> dict:
    env = {**os.environ}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        env.pop(variable, None)
        if config.get(key):
            env[variable] = str(config[key])
    return env


def _run(command: list[str], config: dict, what: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603 (a list: no shell, PG_BIN or PATH tool)
            command, env=_libpq_env(config), capture_output=True, text=True
        )
    except OSError as error:
        raise BackupError(f"{what} could not start: {error}") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-5:]
        raise BackupError(f"{what} failed: " + " / ".join(detail or ["no message"]))


def server_major() -> int:
    return connection.pg_version // 10000


def _matching_tool(name: str, at_least: int) -> tuple[str, int]:
    tool = pg_tool(name)
    major = tool_major(tool)
    if major < at_least:
        raise BackupError(
            f"{name} {major} is older than PostgreSQL {at_least}: point PG_BIN at the client "
            f"tools of version {at_least} or later"
        )
    return tool, major


def postgres_dump(target: Path) -> dict:
    """Dump the database (custom format) to ``target``; the counts and migrations of the
    same snapshot. Run connected as the owner role (the caller's ``as_owner``)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, version = cursor.fetchone()
        tool, major = _matching_tool("pg_dump", server_major())
        counts, migrations = counts_now(), migrations_now()
        command = [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"]
        _run(command, connection.settings_dict, "pg_dump")
    return {
        "vendor": "postgresql",
        "server_version": version,
        "pg_dump_major": major,
        "counts": counts,
        "migrations": migrations,
    }


def target_tables() -> list[str]:
    return connection.introspection.table_names()


def postgres_restore(source: Path, dump_major: int, *, clean: bool) -> None:
    """``pg_restore`` into the configured database in one transaction (all or nothing).
    Owners and grants are not restored: the connecting role (the owner) owns everything,
    and the caller grants the runtime role its privileges as ``migrate`` does."""
    tool, _ = _matching_tool("pg_restore", max(server_major(), dump_major))
    config = connection.settings_dict
    command = [tool, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    command += [f"--dbname={config['NAME']}", str(source)]
    connection.close()  # pg_restore takes its locks; nothing of ours holds any
    _run(command, config, "pg_restore")


# --- SQLite -------------------------------------------------------------------------------
def _copy_sqlite(source: str, target: str) -> None:
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin:
        with sqlite3.connect(target) as copy:
            origin.backup(copy)
        copy.close()
    origin.close()


def sqlite_dump(target: Path) -> dict:
    connection.close()  # our own session: the backup API copies from the file
    try:
        _copy_sqlite(str(settings.DATABASES["default"]["NAME"]), str(target))
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite database could not be copied: {error}") from None
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        present = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        counts = {
            table: copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table, _ in model_tables()
            if table in present
        }
        migrations = [
            list(row)
            for row in copy.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        ]
    finally:
        copy.close()
    return {
        "vendor": "sqlite",
        "server_version": sqlite3.sqlite_version,
        "counts": counts,
        "migrations": migrations,
    }


def sqlite_restore(source: Path) -> None:
    target = str(settings.DATABASES["default"]["NAME"])
    connection.close()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        _copy_sqlite(str(source), target)
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite database could not be restored: {error}") from None
