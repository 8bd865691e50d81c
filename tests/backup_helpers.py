"""Helpers of the backup tests: run manage.py as an operator would, and the tests' own
walks of the stored files and of the tables, independent of the code under test."""

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def last_json(output: str) -> dict:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def tree_digests(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` by relative path (the test's own walk)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# Each file storage's folder relative to DATA_DIR, as the settings lay them out (read before
# any test overrides them).
def _folder(name: str) -> str | None:
    location = django_settings.STORAGES[name].get("OPTIONS", {}).get("location")
    return str(Path(location).relative_to(django_settings.DATA_DIR)) if location else None


# Each file-system storage's folder relative to DATA_DIR (read before any test overrides it).
STORAGE_ROOTS = sorted(
    folder for folder in map(_folder, django_settings.FILE_STORAGES) if folder is not None
)


def stored_files(data_dir: Path) -> dict[str, str]:
    found = {}
    for relative in STORAGE_ROOTS:
        for name, digest in tree_digests(data_dir / relative).items():
            found[f"{relative}/{name}"] = digest
    return found


def table_digests(cursor, tables) -> dict[str, tuple[int, str]]:
    """Rows and an MD5 over every row's text, per table (the backup's own Events aside, and
    the token of the data mark, which those Events move: infra/data_mark.py)."""
    cursor.execute("SET TIME ZONE 'UTC'")
    digests = {}
    for table in tables:
        where = " WHERE t.verb NOT LIKE 'backup.%%'" if table == "audits_event" else ""
        row = "t.name" if table == "audits_datamark" else "t::text"
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg({row}, '|' ORDER BY {row}), '')) "
            f"FROM {table} t{where}"
        )
        digests[table] = tuple(cursor.fetchone())
    return digests


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        counts["audits_event"] = db.execute(
            "SELECT count(*) FROM audits_event WHERE verb NOT LIKE 'backup.%'"
        ).fetchone()[0]
    db.close()
    return counts
