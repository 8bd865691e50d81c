"""A running import's progress moves while it runs, on the row-by-row path too: another
connection (the job's page, the API) sees the rows checked grow while the import's own
transaction, which holds every row written so far, is still open."""

import io

import psycopg
import pytest
from django.core.files import File
from django.db import connection

from audits.models import Case, ImportJob
from audits.services import import_progress, register_import
from audits.services.import_jobs import import_job_run, import_job_start
from tests.test_import_jobs import HEADER, media  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

# Quoted fields: the PostgreSQL path hands the file to the row-by-row import.
ROWS = [f'"C4{n:05d}",Child Protection One,cp,2025-03-01,,,,2015' for n in range(6000)]


@pytest.mark.usefixtures("media")  # the imports storage in a temporary folder
def test_the_row_by_row_import_shows_its_progress_while_it_runs(people, teams, monkeypatch):
    monkeypatch.setattr(import_progress, "PROGRESS_EVERY", 1000)
    content = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    job = import_job_start(
        actor=people["manager_bob"],
        kind="cases",
        upload=File(io.BytesIO(content), name="register.csv"),
    )
    onlooker = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    seen = []  # (rows checked, cases) as another connection sees them, batch by batch
    write_batch = register_import.UPSERTS["cases"]

    def watched(batch, dry_run, scope):
        checked = onlooker.execute(
            "SELECT rows_checked FROM audits_importjob WHERE id = %s", [job.pk]
        ).fetchone()[0]
        cases = onlooker.execute("SELECT count(*) FROM audits_case").fetchone()[0]
        seen.append((checked, cases))
        return write_batch(batch, dry_run, scope)

    monkeypatch.setitem(register_import.UPSERTS, "cases", watched)
    try:
        done = import_job_run(job_id=job.pk, task_id="worker-1")
    finally:
        onlooker.close()
    assert (done.status, done.created, done.rows_checked) == (
        ImportJob.Status.FINISHED,
        len(ROWS),
        len(ROWS),
    )
    assert Case.objects.count() == len(ROWS)
    # Batches of 2,000 rows: the count had moved before each, and no case was visible yet.
    assert seen == [(2000, 0), (4000, 0), (6000, 0)]
