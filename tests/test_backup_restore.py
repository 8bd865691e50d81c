"""Backup and restore, drilled (issue 21 item 3).

The drill builds a council through the real services (the demo council with two reported
cycles and a third in progress, plus an evidence file), backs it up with
``manage.py backup``, restores it with ``manage.py restore`` -- a separate process, as an
operator runs it -- into a fresh PostgreSQL cluster made with ``initdb`` and into empty
storage folders, and proves nothing was lost with checks of its own: every table's rows
(count and content) equal, every file's SHA-256 equal, every report "unchanged", every
frame re-verified. A backup with one byte changed is refused with nothing written; a
restored database that is then changed fails the verification.
"""

import copy
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from audits.core import backup_manifest as rules
from audits.models import Action, Event, Frame, Report
from audits.services.evidence import evidence_attach
from tests.fresh_postgres import start_cluster, stop_cluster

ROOT = Path(__file__).resolve().parent.parent
SHA = "0" * 64


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
STORAGE_ROOTS = sorted(
    str(
        Path(django_settings.STORAGES[name]["OPTIONS"]["location"]).relative_to(
            django_settings.DATA_DIR
        )
    )
    for name in django_settings.FILE_STORAGES
)


def stored_files(data_dir: Path) -> dict[str, str]:
    found = {}
    for relative in STORAGE_ROOTS:
        for name, digest in tree_digests(data_dir / relative).items():
            found[f"{relative}/{name}"] = digest
    return found


# --- the manifest's rules --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("cycle-1-frame.csv.gz", True),
        ("reports/cycle-1/job-2/report.pdf", True),
        ("../settings.py", False),
        ("reports/../../etc/passwd", False),
        ("/etc/passwd", False),
        ("reports\\..\\x", False),
        ("", False),
        ("a//b", True),  # PurePosixPath folds it: still inside
        ("./a", True),
        (None, False),
    ],
)
def test_only_names_inside_their_storage_are_safe(name, safe):
    assert rules.safe_name(name) is safe


def handmade_manifest(**changes) -> dict:
    manifest = {
        "format": rules.FORMAT,
        "format_version": rules.FORMAT_VERSION,
        "database": {"vendor": "sqlite", "file": "database.sqlite3", "sha256": SHA, "size": 1},
        "migrations": [],
        "counts": {"audits_case": 3},
        "files": [
            {
                "storage": "frames",
                "name": "f.csv.gz",
                "path": "storages/frames/f.csv.gz",
                "sha256": SHA,
                "size": 1,
            }
        ],
    }
    manifest.update(changes)
    return manifest


def test_a_manifest_is_refused_for_each_thing_wrong_with_it():
    storages = ("frames", "reports")
    assert rules.manifest_problems(handmade_manifest(), storages) == []
    climbing = handmade_manifest()
    climbing["files"][0].update(name="../../x", path="storages/frames/../../x")
    assert "not a safe relative name" in rules.manifest_problems(climbing, storages)[0]
    other_path = handmade_manifest()
    other_path["files"][0]["path"] = "database.sqlite3"
    assert "does not match its name" in rules.manifest_problems(other_path, storages)[0]
    unknown = handmade_manifest()
    unknown["files"][0]["storage"] = "secrets"
    assert "is not one of" in rules.manifest_problems(unknown, storages)[0]
    twice = handmade_manifest()
    twice["files"].append(dict(twice["files"][0]))
    assert rules.manifest_problems(twice, storages) == ["files[1]: listed twice"]
    assert rules.manifest_problems(handmade_manifest(format="zip"), storages)
    assert rules.manifest_problems(handmade_manifest(counts={"t": -1}), storages)
    no_hash = handmade_manifest()
    no_hash["database"]["sha256"] = "x"
    assert rules.manifest_problems(no_hash, storages) == ["the database dump has no SHA-256"]


def test_count_and_migration_differences_are_worded():
    assert rules.count_differences({"a": 1, "b": 2}, {"a": 1, "b": 2}) == []
    assert rules.count_differences({"a": 1, "b": 2}, {"a": 1, "c": 2}) == [
        "b: absent restored, 2 rows in the backup",
        "c: 2 rows restored, absent in the backup",
    ]
    assert rules.migration_differences([["audits", "0001"]], [["audits", "0002"]]) == [
        "migration audits.0001 is in the backup, not restored",
        "migration audits.0002 is applied here, not in the backup",
    ]


# --- bad input: a clear message, nothing written -------------------------------------------
def _restore_refused(source: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(source), *extra, stdout=io.StringIO())
    return str(refused.value)


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    assert "neither a backup folder nor a backup .tar" in _restore_refused(tmp_path / "none")
    (tmp_path / "plain.tar").write_bytes(b"not a tar")
    assert "neither a backup folder" in _restore_refused(tmp_path / "plain.tar")
    assert "has no manifest.json" in _restore_refused(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    assert "is not valid JSON" in _restore_refused(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps(handmade_manifest(format="zip")))
    assert "not a CaseAssure backup" in _restore_refused(tmp_path)


def test_restore_refuses_a_manifest_that_writes_outside_a_storage(tmp_path, settings):
    settings.STORAGES = copy.deepcopy(settings.STORAGES)
    settings.STORAGES["frames"]["OPTIONS"]["location"] = str(tmp_path / "frames")
    climbing = handmade_manifest()
    climbing["files"][0].update(name="../escaped.txt", path="storages/frames/../escaped.txt")
    backup = tmp_path / "backup"
    (backup / "storages").mkdir(parents=True)
    (backup / "manifest.json").write_text(json.dumps(climbing))
    (backup / "storages/escaped.txt").write_text("x")
    assert "is not a safe relative name" in _restore_refused(backup)
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "frames").exists()


def test_restore_refuses_a_manifest_other_than_the_one_named(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(handmade_manifest()))
    message = _restore_refused(tmp_path, "--manifest-sha256", "ab" * 32)
    assert "it is not the backup you named, or it was altered" in message


def test_backup_refuses_a_destination_that_is_not_new(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full/x").write_text("x")
    (tmp_path / "old.tar").write_text("x")
    for destination, words in [
        (tmp_path / "full", "already exists and is not an empty folder"),
        (tmp_path / "old.tar", "already exists"),
        (tmp_path / "no/such/folder", "does not exist"),
    ]:
        with pytest.raises(CommandError, match=words):
            call_command("backup", str(destination), stdout=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "old.tar"]


# --- the drill: PostgreSQL into a fresh cluster ---------------------------------------------
@pytest.fixture
def source_storages(settings, tmp_path):
    """The file storages of this test in a folder of its own, laid out as under DATA_DIR."""
    root = tmp_path / "source"
    settings.STORAGES = copy.deepcopy(settings.STORAGES)
    for name in settings.FILE_STORAGES:
        options = settings.STORAGES[name]["OPTIONS"]
        options["location"] = str(root / Path(options["location"]).relative_to(settings.DATA_DIR))
    settings.MEDIA_ROOT = root / "files"
    return root


@pytest.fixture
def fresh_cluster():
    cluster = start_cluster()
    yield cluster
    stop_cluster(cluster)


def table_digests(cursor, tables) -> dict[str, tuple[int, str]]:
    """Rows and an MD5 over every row's text, per table (the backup's own Events aside)."""
    cursor.execute("SET TIME ZONE 'UTC'")
    digests = {}
    for table in tables:
        where = " WHERE t.verb NOT LIKE 'backup.%%'" if table == "audits_event" else ""
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f"FROM {table} t{where}"
        )
        digests[table] = tuple(cursor.fetchone())
    return digests


def council_with_reports() -> None:
    call_command("seed_demo", cases=120, stdout=io.StringIO())
    lead = User.objects.get(username="qa.lead")
    note = SimpleUploadedFile("note.pdf", b"%PDF-1.7\n% drill\n%%EOF\n")
    action = Action.objects.filter(status=Action.Status.OPEN).order_by("pk").first()
    evidence_attach(actor=lead, action=action, upload=note)


@pytest.mark.postgres
def test_drill_a_backup_restored_into_a_fresh_postgresql_loses_nothing(
    transactional_db, source_storages, fresh_cluster, tmp_path
):
    council_with_reports()
    reports, frames = Report.objects.count(), Frame.objects.count()
    assert reports >= 2
    assert frames >= 3
    backup = tmp_path / "backup"
    started = time.monotonic()
    out = io.StringIO()
    call_command("backup", str(backup), "--json", stdout=out)
    backup_seconds = time.monotonic() - started
    taken = json.loads(out.getvalue())
    manifest = json.loads((backup / "manifest.json").read_text())
    assert (
        taken["manifest_sha256"]
        == hashlib.sha256((backup / "manifest.json").read_bytes()).hexdigest()
    )
    assert (
        Event.objects.filter(verb="backup.taken", object_id=taken["manifest_sha256"]).count() == 1
    )
    assert {entry["storage"] for entry in manifest["files"]} == {"frames", "reports", "evidence"}
    assert manifest["counts"]["audits_report"] == reports
    assert (
        manifest["database"]["sha256"]
        == hashlib.sha256((backup / "database.dump").read_bytes()).hexdigest()
    )

    restored = tmp_path / "restored"
    env = {
        **os.environ,
        "DATABASE_URL": fresh_cluster.url(fresh_cluster.app),
        "DATABASE_OWNER_URL": fresh_cluster.url(fresh_cluster.owner),
        "DATA_DIR": str(restored),
    }
    # One byte changed in one report file: refused, and nothing written anywhere.
    tampered = tmp_path / "tampered"
    shutil.copytree(backup, tampered)
    victim = next(e for e in manifest["files"] if e["name"].endswith("report.pdf"))
    data = bytearray((tampered / victim["path"]).read_bytes())
    data[len(data) // 2] ^= 0x01
    (tampered / victim["path"]).write_bytes(bytes(data))
    refused = manage(env, "restore", str(tampered))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "the backup is damaged, nothing was restored" in refused.stderr
    assert victim["path"] in refused.stderr
    assert fresh_cluster.tables() == []
    assert stored_files(restored) == {}

    started = time.monotonic()
    done = manage(env, "restore", str(backup), "--json")
    restore_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    result = last_json(done.stdout)
    assert result["ok"]
    assert result["problems"] == []
    assert (result["reports"], result["frames"]) == (reports, frames)
    assert result["files"] == len(manifest["files"])

    # The test's own checks: every row of every table, every file.
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = sorted(row[0] for row in cursor.fetchall())
        before = table_digests(cursor, tables)
    assert fresh_cluster.tables() == tables
    with fresh_cluster.connect() as db, db.cursor() as cursor:
        after = table_digests(cursor, tables)
        cursor.execute("SELECT verb FROM audits_event WHERE verb LIKE 'backup.%'")
        assert [row[0] for row in cursor.fetchall()] == ["backup.restored"]
        cursor.execute(
            "SELECT bool_or(has_table_privilege(%s, t, p)) FROM unnest(ARRAY['audits_event', "
            "'audits_accesslog']) t, unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p",
            [fresh_cluster.app],
        )
        assert cursor.fetchone()[0] is False  # the runtime role still cannot rewrite history
    assert after == before
    source_files = stored_files(source_storages)
    assert stored_files(restored) == source_files
    assert len(source_files) == len(manifest["files"])

    verified = manage(env, "backup_verify", str(backup), "--json")
    assert verified.returncode == 0, verified.stderr
    assert last_json(verified.stdout)["ok"]
    again = manage(env, "restore", str(backup))
    assert again.returncode == 1
    assert "the target is not empty" in again.stderr

    # The verification can fail: an audit changed after the restore, a frame file lost.
    with fresh_cluster.connect() as db:
        db.execute(
            "UPDATE audits_audit SET version = version + 1 "
            "WHERE id = (SELECT min(id) FROM audits_audit)"
        )
    frame = Frame.objects.order_by("pk").first()
    (restored / "files/frames" / frame.frame_file).unlink()
    broken = manage(env, "backup_verify", str(backup))
    assert broken.returncode == 1
    assert "NOT verified" in broken.stdout
    assert "the data have changed" in broken.stdout
    assert f"cycle {frame.cycle_id} " in broken.stdout
    assert f"frames:{frame.frame_file}: missing" in broken.stdout
    print(
        json.dumps(
            {
                "drill": "postgresql",
                "tables": len(tables),
                "rows": result["rows"],
                "files": result["files"],
                "bytes": result["bytes"] + manifest["database"]["size"],
                "reports": reports,
                "frames": frames,
                "backup_seconds": round(backup_seconds, 2),
                "restore_seconds": round(restore_seconds, 2),
            }
        )
    )


# --- SQLite, the embedded default ---------------------------------------------------------------
def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        counts["audits_event"] = db.execute(
            "SELECT count(*) FROM audits_event WHERE verb NOT LIKE 'backup.%'"
        ).fetchone()[0]
    db.close()
    return counts


def test_sqlite_backup_in_one_tar_restores_into_a_new_data_folder(tmp_path):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL")
    }
    source, target = tmp_path / "source", tmp_path / "target"
    source_env, target_env = {**base, "DATA_DIR": str(source)}, {**base, "DATA_DIR": str(target)}
    for args in (["migrate", "-v0"], ["seed_demo", "--cases", "60"]):
        assert manage(source_env, *args).returncode == 0
    made = manage(source_env, "backup", str(tmp_path / "backup.tar"), "--json")
    assert made.returncode == 0, made.stderr
    assert manage(source_env, "backup", str(tmp_path / "folder")).returncode == 0

    folder = tmp_path / "folder"
    data = bytearray((folder / "database.sqlite3").read_bytes())
    data[100] ^= 0x01
    (folder / "database.sqlite3").write_bytes(bytes(data))
    refused = manage(target_env, "restore", str(folder))
    assert refused.returncode == 1
    assert "database.sqlite3: SHA-256" in refused.stderr
    assert not (target / "caseassure.sqlite3").exists()

    done = manage(target_env, "restore", str(tmp_path / "backup.tar"), "--json")
    assert done.returncode == 0, done.stderr
    result = last_json(done.stdout)
    assert result["ok"]
    assert result["reports"] >= 1
    assert result["frames"] >= 1
    assert result["rows"] == last_json(made.stdout)["rows"]
    assert sqlite_counts(target / "caseassure.sqlite3") == sqlite_counts(
        source / "caseassure.sqlite3"
    )
    assert stored_files(target) == stored_files(source) != {}
