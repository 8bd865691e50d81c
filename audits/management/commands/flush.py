"""`flush`, run as the owner role when DATABASE_OWNER_URL is set (see backend/db_roles.py).

Emptying every table (TRUNCATE) is a maintenance step the runtime role may not take: it may
not empty the history. The test suite flushes after each transactional test this way.
"""

from django.core.management.commands import flush

from backend import db_roles


class Command(flush.Command):
    def handle(self, **options):
        with db_roles.as_owner(options["database"]):
            super().handle(**options)
