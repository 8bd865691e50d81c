"""The register import pages: the upload form starts a job and redirects to its page; the
page says in words how far the job got, lists every problem of a rejected file in the
error summary, and is 404 to anyone but the person who uploaded it and administrators."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audits.models import Case, Event, ImportJob
from tests.test_register_import import GOOD_ROW, csv_of
from worker.tasks import import_register

pytestmark = pytest.mark.django_db
PAGE = "/register/import/"
ROW = GOOD_ROW.replace(",SW-ONE,MANAGER_BOB", ",,")


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def upload(client, content: str, **fields):
    data = {"kind": "cases", "file": SimpleUploadedFile("register.csv", content.encode())}
    return client.post(PAGE, {**data, **fields})


def run(job: ImportJob) -> None:
    import_register.apply(args=(job.pk,), task_id=f"import-{job.pk}")


def test_the_upload_starts_a_job_and_its_page_shows_progress_then_the_counts(
    people, teams, client_for
):
    bob = client_for(people["manager_bob"])
    assert bob.get(PAGE).status_code == 200
    response = upload(bob, csv_of(ROW))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/register/imports/{job.pk}/"
    waiting = bob.get(response["Location"]).content.decode()
    assert "Waiting for the import service to start." in waiting
    assert 'http-equiv="refresh"' in waiting, "no JavaScript: the page refreshes itself"
    assert "job-progress.js" in waiting
    run(job)
    done = bob.get(response["Location"]).content.decode()
    assert "Imported 1 rows: 1 new cases, 0 updated." in done
    assert 'http-equiv="refresh"' not in done
    assert Case.objects.filter(case_ref="C100001").exists()


def test_a_rejected_file_lists_every_problem_in_words_and_writes_nothing(people, teams, client_for):
    bob = client_for(people["manager_bob"])
    bad = [ROW.replace(",cp,", ",zzz,"), ROW.replace("C100001", "C100002").replace("2025", "31/31")]
    upload(bob, csv_of(*bad))
    job = ImportJob.objects.get()
    run(job)
    page = bob.get(f"/register/imports/{job.pk}/").content.decode()
    assert "There is a problem" in page
    assert "The file was not imported: 2 problems found. Nothing was changed." in page
    assert "Line 2, case type: unknown case type" in page
    assert "Line 3, date opened: " in page
    assert "case_type" not in page.split('id="import-problems"')[1].split("</ul>")[0]
    assert not Case.objects.exists()
    assert Event.objects.filter(verb="register.import_rejected").count() == 1


def test_form_errors_are_listed_and_nothing_is_started(people, teams, client_for):
    bob = client_for(people["manager_bob"])
    response = bob.post(PAGE, {"kind": "cases"})
    assert response.status_code == 400
    assert "Choose a CSV file to upload" in response.content.decode()
    # A manager may not import staff: said on the form, not a 500 or a job.
    response = upload(bob, "staff_ref,name\n", kind="staff")
    assert response.status_code == 400
    assert "Only an administrator can import staff" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_job_page_is_404_to_other_people_and_roles(people, teams, client_for):
    upload(client_for(people["manager_bob"]), csv_of(ROW))
    job = ImportJob.objects.get()
    url = f"/register/imports/{job.pk}/"
    assert client_for(people["qa_lead_quinn"]).get(url).status_code == 404  # another manager
    assert client_for(people["auditor_alice"]).get(url).status_code == 404
    assert client_for(people["auditor_alice"]).get(PAGE).status_code == 404
    assert client_for(people["admin_ada"]).get(url).status_code == 200
    assert client_for(people["manager_bob"]).get(url).status_code == 200


def test_a_running_job_says_how_far_it_got(people, teams, client_for):
    bob = client_for(people["manager_bob"])
    upload(bob, csv_of(*[ROW.replace("C100001", f"C1{n:05d}") for n in range(40)]))
    job = ImportJob.objects.get()
    url = f"/register/imports/{job.pk}/"
    ImportJob.objects.filter(pk=job.pk).update(status="running", rows_checked=10)
    page = bob.get(url).content.decode()
    assert "Checked 10 of 40 rows." in page
    assert 'value="25"' in page
    ImportJob.objects.filter(pk=job.pk).update(rows_checked=40)
    assert "All 40 rows checked: writing them." in bob.get(url).content.decode()
