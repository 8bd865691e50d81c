"""`migrate`, run as the owner role when DATABASE_OWNER_URL is set (see backend/db_roles.py).

The owner creates and alters the tables; afterwards the runtime role (DATABASE_URL) is granted
what the application needs, and no more on the history tables. Without DATABASE_OWNER_URL this
is Django's own command.
"""

from django.core.management.commands import migrate

from backend import db_roles


class Command(migrate.Command):
    def handle(self, *args, **options):
        with db_roles.as_owner(options["database"]):
            super().handle(*args, **options)
            if not (options["plan"] or options["check_unapplied"]):  # these only report
                db_roles.grant_runtime_privileges(options["database"])
