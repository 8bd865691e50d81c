"""Bench of `manage.py backup` and `manage.py restore` against the bare tools.

    DATABASE_URL=postgres://postgres@host:port/scratch_db DATA_DIR=/tmp/bench-backup \\
        .venv/bin/python bench/backup.py [--cases 1500] [--files 200] [--file-kb 256]

It EMPTIES the database it is given (a scratch database only) and makes, then drops, a
second database ``<name>_restore`` beside it (the role needs CREATEDB). The council is the
demo (``seed_demo``: reported cycles, frames) plus ``--files`` objects of ``--file-kb``
each in the imports storage, so files weigh as they do in a council with evidence.

- backup: ``backup_take`` (pg_dump in the counted snapshot, every object through the
  storage API, SHA-256 of each, the manifest, the Event).
- floor: the best known way to copy the same data: ``pg_dump --format=custom`` and a
  plain copy of the storage folders (``shutil.copytree``), no hashes, no manifest.
- restore: ``manage.py restore --json`` in a child process into the empty second database
  and an empty DATA_DIR (hash check first, pg_restore, files, then the verification).
- floor: ``pg_restore`` into another empty database and ``copytree`` of the folders.

One JSON line out (ratios against the floor of the same run); progress on stderr. A run
on the shared 2-core development machine (1,500 cases, 212 files, 53 MB):
backup_over_floor 1.18 (0.97 s against 0.83 s); restore 8.99 s against 1.12 s, of which
6.7 s the child process starting Django; the restore's own work (hash check, pg_restore in
one transaction, files, then the whole verification) 2.24 s, 2.0 x the floor.
"""

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import check, empty_database, libpq_env, setup_django
from bench._common import log as _log

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    _log("backup", message)


def run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    check(done.returncode == 0, f"{command[0]} failed: {done.stderr[-2000:]}")


def tool(name: str) -> str:
    folder = os.environ.get("PG_BIN")
    return str(Path(folder) / name) if folder else shutil.which(name) or name


def make_council(cases: int, files: int, file_kb: int) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages
    from django.core.management import call_command

    log(f"seed_demo --cases {cases}")
    call_command("seed_demo", cases=cases, stdout=io.StringIO())
    block = os.urandom(file_kb * 1024)
    for number in range(files):
        storages["imports"].save(f"bench/file-{number:05}.bin", ContentFile(block))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--file-kb", type=int, default=256)
    options = parser.parse_args()
    environment = setup_django("backup")
    from django.conf import settings
    from django.db import connection

    from audits.services.backup import backup_take

    empty_database("backup")
    data_dir = Path(settings.DATA_DIR)
    for folder in ("files", "imports", "evidence", "packs"):
        shutil.rmtree(data_dir / folder, ignore_errors=True)
    make_council(options.cases, options.files, options.file_kb)
    libpq = {**os.environ, **libpq_env()}
    name = connection.settings_dict["NAME"]
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    try:
        log("backup")
        started = time.perf_counter()
        taken = backup_take(destination=work / "backup")
        backup_s = time.perf_counter() - started
        log("floor: pg_dump and copytree")
        started = time.perf_counter()
        run([tool("pg_dump"), "--format=custom", f"--file={work / 'floor.dump'}"], libpq)
        for folder in ("files", "imports"):
            shutil.copytree(data_dir / folder, work / "floor" / folder)
        floor_backup_s = time.perf_counter() - started

        target = f"{name}_restore"
        admin = {**libpq, "PGDATABASE": "postgres"}
        restore_env = {**os.environ, **environment, "DATA_DIR": str(work / "restored")}
        restore_env["DATABASE_URL"] = environment["DATABASE_URL"].rsplit("/", 1)[0] + f"/{target}"
        restore_env.pop("DATABASE_OWNER_URL", None)
        for database in (target, f"{target}_floor"):
            run([tool("dropdb"), "--if-exists", database], admin)
            run([tool("createdb"), database], admin)
        log("restore (child process)")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "restore", str(work / "backup"), "--json"],
            env=restore_env,
            capture_output=True,
            text=True,
        )
        restore_s = time.perf_counter() - started
        check(done.returncode == 0, f"restore failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        check(result["ok"], f"restore not verified: {result['problems'][:5]}")
        log("floor: pg_restore and copytree")
        started = time.perf_counter()
        run([tool("pg_restore"), f"--dbname={target}_floor", str(work / "floor.dump")], libpq)
        for folder in ("files", "imports"):
            shutil.copytree(work / "floor" / folder, work / "floor-restored" / folder)
        floor_restore_s = time.perf_counter() - started
        for database in (target, f"{target}_floor"):
            run([tool("dropdb"), "--if-exists", database], admin)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "backup",
                "cases": options.cases,
                "rows": taken["rows"],
                "files": taken["files"],
                "mb": round(taken["bytes"] / 1e6, 1),
                "backup_s": round(backup_s, 2),
                "floor_backup_s": round(floor_backup_s, 2),
                "backup_over_floor": round(backup_s / floor_backup_s, 2),
                "restore_s": round(restore_s, 2),
                "restore_in_process_s": result["seconds"],
                "floor_restore_s": round(floor_restore_s, 2),
                "restore_over_floor": round(restore_s / floor_restore_s, 2),
                # Without the child's start-up (Django and the app imported): the work itself.
                "restore_work_over_floor": round(result["seconds"] / floor_restore_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
