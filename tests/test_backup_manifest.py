"""Backup and restore: the manifest's rules, and bad input to the commands (a clear
message, nothing written)."""

import copy
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audits.core import backup_manifest as rules

SHA = "0" * 64


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


def test_backup_refuses_to_write_inside_a_storage_it_copies(tmp_path, settings):
    settings.STORAGES = copy.deepcopy(settings.STORAGES)
    settings.STORAGES["reports"]["OPTIONS"]["location"] = str(tmp_path / "files")
    (tmp_path / "files").mkdir()
    with pytest.raises(CommandError, match="inside the reports storage, so the backup would copy"):
        call_command("backup", str(tmp_path / "files/backup"), stdout=io.StringIO())
    assert list((tmp_path / "files").iterdir()) == []


def test_restore_refuses_a_backup_file_that_links_out_of_the_backup(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not for the storage")
    vendor = connection.vendor  # the backup's database must be this service's kind
    manifest = handmade_manifest()
    manifest["database"].update(vendor=vendor, file=rules.VENDORS[vendor])
    manifest["files"][0]["sha256"] = hashlib.sha256(secret.read_bytes()).hexdigest()
    manifest["files"][0]["size"] = len(secret.read_bytes())
    backup = tmp_path / "backup"
    (backup / "storages/frames").mkdir(parents=True)
    (backup / "manifest.json").write_text(json.dumps(manifest))
    (backup / "storages/frames/f.csv.gz").symlink_to(secret)
    message = _restore_refused(backup)
    assert "storages/frames/f.csv.gz: a link out of the backup folder" in message
    assert f"{rules.VENDORS[vendor]}: missing" in message


def test_restore_refuses_a_backup_of_a_newer_release(tmp_path):
    vendor = connection.vendor
    manifest = handmade_manifest(migrations=[["audits", "0001_initial"], ["audits", "9999_later"]])
    manifest["database"].update(vendor=vendor, file=rules.VENDORS[vendor])
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    message = _restore_refused(tmp_path)
    assert "taken by a newer release (migrations audits.9999_later are not in this one)" in message
