from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audits.core.errors import DomainError
from audits.core.register_csv import KINDS
from audits.services.register_import import ImportRejected, register_import


class Command(BaseCommand):
    help = (
        "Import the case register from a CSV file (all-or-nothing), as a named person: the "
        "import has that person's scope (an administrator: everything, staff included; a "
        "manager: cases and allocations of the teams they manage) and the Events name them."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=sorted(KINDS), default="cases")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="the person importing (required): their role decides what the file may change",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, file: Path, kind: str, dry_run: bool, username: str | None, **options):
        if not username:
            raise CommandError(
                "Say who is importing with --as USERNAME (an administrator, or a manager for "
                "the cases of their teams)."
            )
        actor = get_user_model().objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"There is no user {username!r} (or the account is disabled).")
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        with (
            file.open("rb") as stream,
            tqdm(
                desc=f"{kind}: checking and writing",
                unit=" rows",
                disable=options["verbosity"] == 0,
            ) as bar,
        ):
            try:
                outcome = register_import(
                    kind=kind, fileobj=stream, actor=actor, dry_run=dry_run, progress=bar.update
                )
            except ImportRejected as rejected:
                for error in rejected.errors:
                    column = f", column {error.column}" if error.column else ""
                    self.stderr.write(f"line {error.line}{column}: {error.message}")
                raise CommandError(rejected.message) from None
            except DomainError as refused:
                raise CommandError(refused.message) from None
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{outcome.rows} rows: {verb} {outcome.created}, "
            f"{'would update' if dry_run else 'updated'} {outcome.updated}"
        )
