"""Take a backup, and restore one into an empty database and empty storages.

A backup is a folder (or the same folder in one ``.tar``)::

    manifest.json              format, time, database (file, SHA-256, size, versions),
                               migrations applied, rows of every table, and every file
                               with its storage, name, SHA-256 and size
    database.dump              pg_dump --format=custom   (database.sqlite3 on SQLite)
    storages/<storage>/<name>  every object of every storage in settings.FILE_STORAGES

``backup_take`` records a ``backup.taken`` Event with the manifest's SHA-256 after the
backup is whole (the snapshot in the backup predates it). ``backup_restore`` checks every
hash before it writes anything, refuses a target that is not empty unless told to replace
it, restores the database then the files, verifies the result (``backup_check``) and
records a ``backup.restored`` Event in the restored database.
"""

import json
import os
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audits.core import backup_manifest as manifest_rules
from audits.services import backup_db, backup_files
from audits.services.backup_check import backup_check
from audits.services.history import event_record
from backend import db_roles

BackupError = backup_db.BackupError


def _database_dump(folder: Path) -> dict:
    vendor = connection.vendor
    if vendor not in manifest_rules.VENDORS:
        raise BackupError(f"backing up a {vendor} database is not supported")
    target = folder / manifest_rules.VENDORS[vendor]
    if vendor == "postgresql":
        with db_roles.as_owner():
            info = backup_db.postgres_dump(target)
    else:
        info = backup_db.sqlite_dump(target)
    sha256, size = backup_files.file_sha256(target)
    return {**info, "file": target.name, "sha256": sha256, "size": size}


def _files_dump(folder: Path) -> list[dict]:
    entries = []
    for storage in settings.FILE_STORAGES:
        for name in backup_files.storage_names(storage):
            path = manifest_rules.backup_path(storage, name)
            copied = backup_files.copy_out(storage, name, folder / path)
            entries.append({"storage": storage, "name": name, "path": path, **copied})
    return entries


def _prepare_destination(destination: Path) -> tuple[Path, bool]:
    as_tar = destination.suffix == ".tar"
    if destination.exists() and (as_tar or not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty folder")
    if not destination.parent.is_dir():
        raise BackupError(f"the folder {destination.parent} does not exist")
    inside = backup_files.storage_holding(destination)
    if inside:
        raise BackupError(
            f"{destination} is inside the {inside} storage, so the backup would copy itself: "
            "write it elsewhere (best on another machine)"
        )
    return destination, as_tar


def backup_take(*, destination: Path, actor=None) -> dict:
    """Write a backup to ``destination`` (a new folder, or a new ``.tar``); its manifest
    with the manifest's own SHA-256."""
    destination, as_tar = _prepare_destination(Path(destination))
    started = timezone.now()
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".backup-") as work:
        folder = Path(work) / "backup"
        folder.mkdir()
        database = _database_dump(folder)
        counts, migrations = database.pop("counts"), database.pop("migrations")
        manifest = {
            "format": manifest_rules.FORMAT,
            "format_version": manifest_rules.FORMAT_VERSION,
            "created_at": started.isoformat(),
            "storages": list(settings.FILE_STORAGES),
            "database": database,
            "migrations": migrations,
            "counts": counts,
            "files": _files_dump(folder),
        }
        text = json.dumps(manifest, indent=1, sort_keys=True)
        (folder / manifest_rules.MANIFEST).write_text(text, encoding="utf-8")
        manifest_sha256, _ = backup_files.file_sha256(folder / manifest_rules.MANIFEST)
        if as_tar:
            with tarfile.open(destination, "x") as archive:
                for item in sorted(folder.rglob("*")):
                    archive.add(item, arcname=str(item.relative_to(folder)), recursive=False)
        else:
            destination.mkdir(exist_ok=True)
            for item in folder.iterdir():
                os.replace(item, destination / item.name)
    summary = {
        "manifest_sha256": manifest_sha256,
        "rows": sum(counts.values()),
        "files": len(manifest["files"]),
        "bytes": sum(entry["size"] for entry in manifest["files"]) + database["size"],
    }
    with transaction.atomic():
        event_record(
            actor=actor,
            verb=manifest_rules.TAKEN,
            object_type="backup",
            object_id=manifest_sha256,
            after={
                "destination": str(destination),
                "created_at": manifest["created_at"],
                **summary,
            },
        )
    return {**summary, "manifest": manifest, "destination": str(destination)}


# --- restore ------------------------------------------------------------------------------
@contextmanager
def opened_backup(source: Path):
    """The backup's folder: ``source`` itself, or a ``.tar`` unpacked into a temporary one."""
    source = Path(source)
    if source.is_dir():
        yield source
        return
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise BackupError(f"{source} is neither a backup folder nor a backup .tar")
    with tempfile.TemporaryDirectory(prefix=".restore-") as work:
        try:
            with tarfile.open(source) as archive:
                archive.extractall(work, filter="data")  # refuses links and names that climb
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"{source} could not be unpacked: {error}") from None
        yield Path(work)


def manifest_read(folder: Path) -> dict:
    path = folder / manifest_rules.MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} has no {manifest_rules.MANIFEST}: it is not a backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"{manifest_rules.MANIFEST} is not valid JSON: {error}") from None
    problems = manifest_rules.manifest_problems(manifest, tuple(settings.FILE_STORAGES))
    if problems:
        raise BackupError("the manifest is not usable: " + "; ".join(problems[:10]))
    return manifest


def backup_damage(folder: Path, manifest: dict) -> list[str]:
    """Every file of the backup whose bytes are not the manifest's (missing, resized,
    altered), the database dump first."""
    database = manifest["database"]
    expected = [(database["file"], database["sha256"], database.get("size"))]
    expected += [(entry["path"], entry["sha256"], entry["size"]) for entry in manifest["files"]]
    damage = []
    inside = folder.resolve()
    for relative, sha256, size in expected:
        path = folder / relative
        if not path.resolve().is_relative_to(inside):
            damage.append(f"{relative}: a link out of the backup folder")
            continue
        if not path.is_file():
            damage.append(f"{relative}: missing")
            continue
        found_sha256, found_size = backup_files.file_sha256(path)
        if found_sha256 != sha256 or (size is not None and found_size != size):
            damage.append(f"{relative}: SHA-256 {found_sha256} is not the manifest's {sha256}")
    return damage


def _refuse_a_newer_release(manifest: dict) -> None:
    unknown = sorted(
        f"{app}.{name}"
        for app, name in map(tuple, manifest["migrations"])
        if (app, name) not in backup_db.migrations_in_code()
    )
    if unknown:
        raise BackupError(
            f"the backup was taken by a newer release (migrations {', '.join(unknown[:5])} "
            "are not in this one): restore with the release that took it, or a later one"
        )


def pending_migrations(manifest: dict) -> int:
    """Migrations of this release the backup's database has not had (run migrate after)."""
    taken = {tuple(item) for item in manifest["migrations"]}
    return len(backup_db.migrations_in_code() - taken)


def _refuse_non_empty_target() -> None:
    if connection.vendor == "sqlite" and not Path(settings.DATABASES["default"]["NAME"]).exists():
        tables = []  # nothing to open: an empty target
    else:
        with db_roles.as_owner():
            tables = backup_db.target_tables()
    filled = backup_files.storages_with_files()
    if tables or filled:
        found = []
        if tables:
            found.append(f"the database has {len(tables)} tables")
        if filled:
            found.append(f"the storages {', '.join(filled)} hold files")
        raise BackupError(
            "the target is not empty (" + "; ".join(found) + "): restore into a new, empty "
            "database and storage, or pass --replace to overwrite them"
        )


def _manifest_checked(folder: Path, expected_sha256: str | None) -> tuple[dict, str]:
    path = folder / manifest_rules.MANIFEST
    manifest = manifest_read(folder)
    manifest_sha256, _ = backup_files.file_sha256(path)
    if expected_sha256 and expected_sha256.strip().lower() != manifest_sha256:
        raise BackupError(
            f"the manifest's SHA-256 is {manifest_sha256}, not {expected_sha256.strip()}: "
            "it is not the backup you named, or it was altered"
        )
    return manifest, manifest_sha256


def backup_verify(*, source: Path) -> dict:
    """``backup_check`` of the live database and storages against the backup at ``source``."""
    with opened_backup(source) as folder:
        manifest, manifest_sha256 = _manifest_checked(folder, None)
    return {
        **backup_check(manifest, manifest_sha256=manifest_sha256),
        "manifest_sha256": manifest_sha256,
    }


def backup_restore(
    *, source: Path, replace: bool = False, manifest_sha256: str | None = None
) -> dict:
    """Restore the backup at ``source`` into the configured database and storages."""
    with opened_backup(source) as folder:
        manifest, manifest_sha256 = _manifest_checked(folder, manifest_sha256)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                f"the backup holds a {vendor} database; this service is configured for "
                f"{connection.vendor} (DATABASE_URL)"
            )
        _refuse_a_newer_release(manifest)
        damage = backup_damage(folder, manifest)
        if damage:
            raise BackupError(
                "the backup is damaged, nothing was restored: " + "; ".join(damage[:10])
            )
        if not replace:
            _refuse_non_empty_target()
        dump = folder / manifest["database"]["file"]
        if vendor == "postgresql":
            with db_roles.as_owner():
                backup_db.postgres_restore(
                    dump, manifest["database"].get("pg_dump_major", 0), clean=replace
                )
                db_roles.grant_runtime_privileges()
        else:
            backup_db.sqlite_restore(dump)
        for entry in manifest["files"]:
            backup_files.copy_in(
                entry["storage"], entry["name"], folder / entry["path"], replace=replace
            )
    check = backup_check(manifest, manifest_sha256=manifest_sha256)
    with transaction.atomic():
        event_record(
            actor=None,
            verb=manifest_rules.RESTORED,
            object_type="backup",
            object_id=manifest_sha256,
            after={"source": str(source), "manifest_sha256": manifest_sha256, "ok": check["ok"]},
        )
    return {
        **check,
        "manifest_sha256": manifest_sha256,
        "pending_migrations": pending_migrations(manifest),
    }
