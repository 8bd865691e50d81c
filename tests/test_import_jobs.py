"""A register import is a job: the upload is stored, the worker imports it all or nothing,
a crash leaves nothing half-written and the job is tried again, and only the person who
uploaded it (or an administrator) sees it."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audits.models import Case, Event, ImportJob
from audits.services import register_import, register_import_sql
from worker.tasks import import_register

URL = "/api/v1/cases/import/"
HEADER = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year"
ROWS = [f"C3{n:05d},Child Protection One,cp,2025-03-01,,,,2015" for n in range(50)]
CONTENT = ("\n".join([HEADER, *ROWS]) + "\n").encode()

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "imports")},
        },
    }
    storages._storages.pop("imports", None)
    yield tmp_path / "imports"
    storages._storages.pop("imports", None)


def post(client):
    response = client.post(
        URL, {"file": SimpleUploadedFile("register.csv", CONTENT)}, format="multipart"
    )
    assert response.status_code == 202, response.content
    return response.json()


def test_the_upload_is_stored_with_its_hash_and_imported_by_the_worker(
    people, teams, client_for, media
):
    bob = client_for(people["manager_bob"])
    job = post(bob)
    assert job["status"] == "queued"
    assert job["total_rows"] == len(ROWS)
    assert job["file_sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert list(media.iterdir()), "the upload is kept for the worker"
    assert not Case.objects.exists(), "nothing is written inside the request"
    assert Event.objects.filter(verb="register.import_requested").count() == 1

    import_register.apply(args=(job["id"],), task_id="worker-1")

    done = bob.get(job["url"]).json()
    assert (done["status"], done["percent"], done["created"]) == ("finished", 100, len(ROWS))
    assert Case.objects.count() == len(ROWS)
    assert Event.objects.filter(verb="register.imported").count() == 1
    assert not list(media.iterdir()), "the file is deleted once imported"


def crashing(monkeypatch, times: int) -> None:
    """The case writer crashes the worker after writing its batch, ``times`` times."""
    real = register_import.UPSERTS["cases"]
    calls = []

    def crash_after_writing(batch, dry_run, scope):
        calls.append(1)
        written = real(batch, dry_run, scope)  # rows written inside the transaction...
        if len(calls) <= times:
            raise MemoryError("the worker ran out of memory")  # ... then the crash
        return written

    monkeypatch.setitem(register_import.UPSERTS, "cases", crash_after_writing)
    # On PostgreSQL the file is written in one statement (register_import_sql): the same crash
    # right after it.
    real_write = register_import_sql.CasesLoaded.write

    def crash_after_the_statement(self, **options):
        calls.append(1)
        written = real_write(self, **options)
        if len(calls) <= times:
            raise MemoryError("the worker ran out of memory")
        return written

    monkeypatch.setattr(register_import_sql.CasesLoaded, "write", crash_after_the_statement)


def test_a_worker_crash_mid_write_leaves_no_row_and_the_job_is_tried_again(
    people, teams, client_for, media, monkeypatch
):
    bob = client_for(people["manager_bob"])
    job = post(bob)
    crashing(monkeypatch, times=1)
    import_register.apply(args=(job["id"],), task_id="worker-1")  # retried (here at once)
    done = bob.get(job["url"]).json()
    assert (done["status"], done["attempts"], done["created"]) == ("finished", 2, len(ROWS))
    assert Case.objects.count() == len(ROWS)


def test_a_job_that_always_crashes_fails_with_nothing_written(
    people, teams, client_for, media, monkeypatch
):
    bob = client_for(people["manager_bob"])
    job = post(bob)
    crashing(monkeypatch, times=99)
    import_register.apply(args=(job["id"],), task_id="worker-1")
    failed = bob.get(job["url"]).json()
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert "ran out of memory" in failed["message"]
    assert not Case.objects.exists(), "no attempt left a row behind"


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(people, teams, client_for, media):
    job = post(client_for(people["manager_bob"]))
    ImportJob.objects.filter(pk=job["id"]).update(
        status="running", claimed_by="dead-worker", lease_until=timezone.now() - timedelta(1)
    )
    import_register.apply(args=(job["id"],), task_id="worker-2")
    assert ImportJob.objects.get(pk=job["id"]).status == "finished"
    assert Case.objects.count() == len(ROWS)


def test_a_running_job_is_not_taken_by_a_second_worker(people, teams, client_for, media):
    job = post(client_for(people["manager_bob"]))
    ImportJob.objects.filter(pk=job["id"]).update(
        status="running", claimed_by="worker-1", lease_until=timezone.now() + timedelta(1)
    )
    import_register.apply(args=(job["id"],), task_id="worker-2")
    assert ImportJob.objects.get(pk=job["id"]).status == "running"
    assert not Case.objects.exists()


@pytest.mark.parametrize("other", ["qa_lead_quinn", "auditor_alice", "outsider_eve"])
def test_only_the_uploader_and_administrators_see_the_job(people, teams, client_for, media, other):
    job = post(client_for(people["manager_bob"]))
    assert client_for(people[other]).get(job["url"]).status_code == 404
    assert client_for(people["admin_ada"]).get(job["url"]).status_code == 200
    listed = client_for(people["manager_bob"]).get("/api/v1/import-jobs/").json()
    assert [row["id"] for row in listed["results"]] == [job["id"]]
