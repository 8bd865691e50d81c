from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audits.register_csv import KINDS
from audits.services.register_import import ImportRejected, register_import


class Command(BaseCommand):
    help = "Import the case register from a CSV file (all-or-nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=sorted(KINDS), default="cases")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, file: Path, kind: str, dry_run: bool, **options):
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        with (
            file.open("rb") as stream,
            tqdm(
                desc=f"{kind}: checking, then writing",
                unit=" rows",
                disable=options["verbosity"] == 0,
            ) as bar,
        ):
            try:
                outcome = register_import(
                    kind=kind, fileobj=stream, dry_run=dry_run, progress=bar.update
                )
            except ImportRejected as rejected:
                for error in rejected.errors:
                    column = f", column {error.column}" if error.column else ""
                    self.stderr.write(f"line {error.line}{column}: {error.message}")
                raise CommandError(rejected.message) from None
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{outcome.rows} rows: {verb} {outcome.created}, "
            f"{'would update' if dry_run else 'updated'} {outcome.updated}"
        )
