"""`manage.py backup_verify SRC`: does the live database and storage hold the backup's data?"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from audits.management.commands.restore import report_lines
from audits.services.backup import BackupError, backup_verify


class Command(BaseCommand):
    help = (
        "Verify the database and file storages against a backup's manifest (after a "
        "restore): rows of every table, migrations, every report unchanged, every frame "
        "re-verified, every file's SHA-256. Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="the backup folder or .tar")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, source: Path, **options):
        try:
            result = backup_verify(source=source)
        except BackupError as error:
            raise CommandError(error.message) from None
        except DatabaseError as error:
            raise CommandError(f"the database could not be reached or read: {error}") from None
        except OSError as error:
            raise CommandError(f"a file could not be read: {error}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            verdict = "Verified" if result["ok"] else "NOT verified"
            self.stdout.write("\n".join([f"{verdict} against {source}:", *report_lines(result)]))
        if not result["ok"]:
            raise CommandError("the data here differ from the backup (listed above)")
