"""A backup's manifest, checked: its shape, the names it may write, and what a restored
database and storage must show against it. Pure: plain data in, plain data out.

The manifest (``manifest.json`` at the top of a backup) lists the database dump and every
stored file with its SHA-256 and size, the migrations applied and the rows of every table at
the moment of the dump. A restore trusts nothing in it until this module has checked it: a
name that climbs out of its storage (``../``), an absolute name or a missing hash is refused.
"""

import re
from pathlib import PurePosixPath

FORMAT = "caseassure-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STORAGE_FOLDER = "storages"
SHA256 = re.compile(r"[0-9a-f]{64}")
VENDORS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# Verbs of the Events the backup commands record.
TAKEN = "backup.taken"
RESTORED = "backup.restored"


def safe_name(name) -> bool:
    """A relative POSIX name inside its folder: no climbing, no absolute path, no oddities."""
    if not isinstance(name, str) or not name or len(name) > 1000:
        return False
    if "\\" in name or "\0" in name or name.startswith("/"):
        return False
    parts = PurePosixPath(name).parts
    return bool(parts) and all(part not in ("", ".", "..") for part in parts)


def backup_path(storage: str, name: str) -> str:
    """Where a storage's file lies inside the backup folder."""
    return f"{STORAGE_FOLDER}/{storage}/{name}"


def _file_problems(entry, storages: tuple[str, ...], index: int) -> list[str]:
    where = f"files[{index}]"
    if not isinstance(entry, dict):
        return [f"{where} is not an object"]
    problems = []
    if entry.get("storage") not in storages:
        problems.append(f"{where}: storage {entry.get('storage')!r} is not one of {storages}")
    if not safe_name(entry.get("name")):
        problems.append(f"{where}: the name {entry.get('name')!r} is not a safe relative name")
    elif entry.get("path") != backup_path(str(entry.get("storage")), entry["name"]):
        problems.append(f"{where}: the path {entry.get('path')!r} does not match its name")
    if not isinstance(entry.get("sha256"), str) or not SHA256.fullmatch(entry["sha256"]):
        problems.append(f"{where}: no SHA-256")
    if not isinstance(entry.get("size"), int) or entry["size"] < 0:
        problems.append(f"{where}: no size")
    return problems


def manifest_problems(manifest, storages: tuple[str, ...]) -> list[str]:
    """Everything wrong with a manifest's shape (empty: it may be used)."""
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    if manifest.get("format") != FORMAT:
        return [f"this is not a CaseAssure backup (format {manifest.get('format')!r})"]
    if manifest.get("format_version") != FORMAT_VERSION:
        return [f"backup format version {manifest.get('format_version')!r} is not supported"]
    problems = []
    database = manifest.get("database")
    if not isinstance(database, dict) or database.get("vendor") not in VENDORS:
        problems.append("the database entry is missing or names an unknown database")
    else:
        if database.get("file") != VENDORS[database["vendor"]]:
            problems.append(f"the database file is not {VENDORS[database['vendor']]}")
        if not isinstance(database.get("sha256"), str) or not SHA256.fullmatch(database["sha256"]):
            problems.append("the database dump has no SHA-256")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(
        isinstance(value, int) and value >= 0 for value in counts.values()
    ):
        problems.append("the table counts are missing or not whole numbers")
    if not isinstance(manifest.get("migrations"), list):
        problems.append("the migration state is missing")
    files = manifest.get("files")
    if not isinstance(files, list):
        return [*problems, "the file list is missing"]
    seen = set()
    for index, entry in enumerate(files):
        problems += _file_problems(entry, storages, index)
        key = (entry.get("storage"), entry.get("name")) if isinstance(entry, dict) else index
        if key in seen:
            problems.append(f"files[{index}]: listed twice")
        seen.add(key)
    return problems


def count_differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """Each table whose rows differ from the manifest, in words."""
    differences = []
    for table in sorted(set(expected) | set(found)):
        want, have = expected.get(table), found.get(table)
        if want != have:
            want_words = "absent" if want is None else f"{want} rows"
            have_words = "absent" if have is None else f"{have} rows"
            differences.append(f"{table}: {have_words} restored, {want_words} in the backup")
    return differences


def migration_differences(expected: list, found: list) -> list[str]:
    want = {tuple(item) for item in expected}
    have = {tuple(item) for item in found}
    missing = sorted(want - have)
    extra = sorted(have - want)
    differences = [
        f"migration {app}.{name} is in the backup, not restored" for app, name in missing
    ]
    differences += [
        f"migration {app}.{name} is applied here, not in the backup" for app, name in extra
    ]
    return differences
