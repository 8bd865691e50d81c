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
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from audits.models import Action, Event, Frame, Report
from audits.services.evidence import evidence_attach
from tests.backup_helpers import (
    last_json,
    manage,
    sqlite_counts,
    stored_files,
    table_digests,
)
from tests.fresh_postgres import start_cluster, stop_cluster


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
    # A dump that is not one (its hash made to match): pg_restore's own refusal, in words.
    forged = tmp_path / "forged"
    shutil.copytree(backup, forged)
    (forged / "database.dump").write_bytes(b"PGDMP but not really")
    forged_manifest = {**manifest, "database": dict(manifest["database"])}
    forged_manifest["database"]["sha256"] = hashlib.sha256(b"PGDMP but not really").hexdigest()
    forged_manifest["database"]["size"] = 20
    (forged / "manifest.json").write_text(json.dumps(forged_manifest))
    failed = manage(env, "restore", str(forged))
    assert failed.returncode == 1
    assert "CommandError: pg_restore failed" in failed.stderr
    assert "Traceback" not in failed.stderr
    nowhere = manage(
        {**env, "DATABASE_URL": env["DATABASE_URL"] + "_absent"}, "restore", str(backup)
    )
    assert nowhere.returncode == 1
    assert "the database could not be reached or read" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr
    assert fresh_cluster.tables() == []
    assert stored_files(restored) == {}

    started = time.monotonic()
    done = manage(env, "restore", str(backup), "--json")
    restore_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    result = last_json(done.stdout)
    assert result["ok"]
    assert result["problems"] == []
    assert (result["reports"], result["frames"], result["evidence"]) == (reports, frames, 1)
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

    # The verification can fail: an audit changed after the restore, a frame file lost, an
    # evidence row's hash altered.
    with fresh_cluster.connect() as db:
        db.execute(
            "UPDATE audits_audit SET version = version + 1 "
            "WHERE id = (SELECT min(id) FROM audits_audit)"
        )
        db.execute("UPDATE audits_evidence SET sha256 = repeat('0', 64)")
    frame = Frame.objects.order_by("pk").first()
    (restored / "files/frames" / frame.frame_file).unlink()
    broken = manage(env, "backup_verify", str(backup))
    assert broken.returncode == 1
    assert "NOT verified" in broken.stdout
    assert "the data have changed" in broken.stdout
    assert f"cycle {frame.cycle_id} " in broken.stdout
    assert f"frames:{frame.frame_file}: missing" in broken.stdout
    assert "its file is not in the backup with its SHA-256" in broken.stdout
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
    again = manage(target_env, "restore", str(tmp_path / "backup.tar"))
    assert again.returncode == 1
    assert "pass --replace to overwrite them" in again.stderr
    replaced = manage(target_env, "restore", str(tmp_path / "backup.tar"), "--replace", "--json")
    assert replaced.returncode == 0, replaced.stderr
    assert last_json(replaced.stdout)["ok"]
    assert stored_files(target) == stored_files(source)
