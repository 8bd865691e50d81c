"""How far a running register import got (rows checked), recorded on its job where the
job's page (``/register/imports/<id>/``) and the API read it while the import runs.

The row-by-row import checks and writes inside one transaction (all or nothing), and an
UPDATE of the job made inside it is seen by nobody before the commit: the bar stood still
until the end. On PostgreSQL the count is therefore written, while a transaction is open,
through a connection of the job's own in autocommit: one connection per import and one
UPDATE per 10,000 rows checked. Measured on this shared 2-core machine, a 100,000-row file
read row by row (quoted fields) as a job: 37 ms for the connection and its ten UPDATEs,
against 9.9 s for the import. tests/test_import_progress.py watches the count move from
another connection while no row is visible yet.
The write's transaction never touches the job's row, so neither waits for the other.
SQLite has one writer at a time and the import holds it: there the count stays in the
import's transaction, seen when it ends (as before).
"""

import psycopg
from django.db import connection

from audits.models import ImportJob

PROGRESS_EVERY = 10_000  # rows checked between two updates of the job row
_UPDATE = (
    f"UPDATE {ImportJob._meta.db_table} SET rows_checked = %s "  # noqa: S608 - the model's table
    "WHERE id = %s AND claimed_by = %s"
)


class JobProgress:
    """The ``progress`` callback of ``register_import`` for one job run; ``close`` it."""

    def __init__(self, job: ImportJob, task_id: str) -> None:
        self.job, self.task_id, self.checked = job, task_id, 0
        self._own: psycopg.Connection | None = None

    def __call__(self, rows: int) -> None:
        before, self.checked = self.checked, self.checked + rows
        if (
            self.checked <= self.job.total_rows
            and self.checked // PROGRESS_EVERY > before // PROGRESS_EVERY
        ):
            self._record()

    def _record(self) -> None:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            if self._own is None:
                params = connection.get_connection_params()
                self._own = psycopg.connect(**params, autocommit=True)
            self._own.execute(_UPDATE, (self.checked, self.job.pk, self.task_id))
        else:
            ImportJob.objects.filter(pk=self.job.pk, claimed_by=self.task_id).update(
                rows_checked=self.checked
            )

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None
