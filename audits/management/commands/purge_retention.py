import json

from django.core.management.base import BaseCommand

from audits.services.retention import retention_due_soon, retention_purge


class Command(BaseCommand):
    help = "Delete records past their retention period (legal holds respected)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report counts, delete nothing")

    def handle(self, *args, dry_run: bool, **options):
        report = retention_purge(dry_run=dry_run)
        summary = {"dry_run": dry_run, "purge": report, "due_within_30_days": retention_due_soon()}
        self.stdout.write(json.dumps(summary, indent=1))
