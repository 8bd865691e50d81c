"""`manage.py backup DEST`: the database and every stored file, with a manifest of hashes."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from audits.services.backup import BackupError, backup_take


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format; SQLite: its online backup) and every "
        "object of every file storage into DEST, a new folder (or DEST.tar, one file), with "
        "manifest.json: each file's SHA-256 and size, the dump's SHA-256, the migrations "
        "applied and the rows of every table. Records a backup.taken Event."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="a new folder, or a new .tar file")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, destination: Path, **options):
        started = time.monotonic()
        try:
            outcome = backup_take(destination=destination)
        except BackupError as error:
            raise CommandError(error.message) from None
        except DatabaseError as error:
            raise CommandError(f"the database could not be reached or read: {error}") from None
        except OSError as error:
            raise CommandError(f"the backup could not be written: {error}") from None
        summary = {key: outcome[key] for key in ("destination", "manifest_sha256", "rows", "files")}
        summary["bytes"] = outcome["bytes"]
        summary["seconds"] = round(time.monotonic() - started, 2)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"Backup written to {summary['destination']}: {summary['rows']} rows, "
            f"{summary['files']} files, {summary['bytes']} bytes in {summary['seconds']} s.\n"
            f"Manifest SHA-256 {summary['manifest_sha256']} (keep it apart from the backup: "
            "restore --manifest-sha256 checks it)."
        )
