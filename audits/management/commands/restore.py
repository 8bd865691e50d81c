"""`manage.py restore SRC`: a backup into an empty database and empty storages, verified."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from audits.services.backup import BackupError, backup_restore


def report_lines(result: dict) -> list[str]:
    lines = [
        f"{result['rows']} rows in {result['tables']} tables, {result['files']} files "
        f"({result['bytes']} bytes), {result['reports']} reports, {result['frames']} frames, "
        f"{result['evidence']} evidence rows checked."
    ]
    lines += [f"  - {problem}" for problem in result["problems"]]
    return lines


class Command(BaseCommand):
    help = (
        "Restore a backup (a folder or .tar made by `manage.py backup`) into the database of "
        "DATABASE_URL and the file storages. Every hash is checked first (a damaged backup: "
        "nothing is written); the target must be empty unless --replace; afterwards row "
        "counts, reports, frames and files are verified against the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="the backup folder or .tar")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a database and storages that are not empty (their data are lost)",
        )
        parser.add_argument(
            "--manifest-sha256",
            help="the manifest's SHA-256 printed by the backup: refuse a manifest that differs",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, source: Path, replace: bool, **options):
        started = time.monotonic()
        try:
            result = backup_restore(
                source=source, replace=replace, manifest_sha256=options["manifest_sha256"]
            )
        except BackupError as error:
            raise CommandError(error.message) from None
        except DatabaseError as error:
            raise CommandError(f"the database could not be reached or read: {error}") from None
        except OSError as error:
            raise CommandError(f"the restore could not read or write a file: {error}") from None
        result["seconds"] = round(time.monotonic() - started, 2)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            verdict = "Restored and verified" if result["ok"] else "Restored, but NOT verified"
            self.stdout.write("\n".join([f"{verdict} from {source}:", *report_lines(result)]))
            if result["pending_migrations"]:
                self.stdout.write(
                    f"This release has {result['pending_migrations']} migrations the backup "
                    "had not: run `manage.py migrate` before starting the service."
                )
        if not result["ok"]:
            raise CommandError("the restored data differ from the backup (listed above)")
