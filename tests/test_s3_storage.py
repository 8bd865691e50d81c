"""Every file path against a real S3-compatible server (moto's server mode on loopback,
tests/s3.py), through django-storages as in production: a draw, an import, a report compiled
by a real worker whose DATA_DIR is not the web process's, and the downloads, each checked
against its stored SHA-256. And the failures: a changed object is refused, a store that
cannot be reached gives a clean 503 and leaves a report job to be retried."""

# ruff: noqa: F811 (the S3 fixtures are imported from tests/s3.py and named as arguments)

import hashlib
import logging
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.infra.files import StorageUnavailable
from audits.models import Case, Cycle, Frame, ImportJob, Report, ReportJob
from audits.services import reports
from tests.builders import finished_cycle
from tests.conftest import service_missing, start_worker, stop_worker, wait_for
from tests.s3 import (  # noqa: F401 (fixtures)
    objects,
    on_s3,
    s3_bucket,
    s3_client,
    s3_endpoint,
    s3_env,
    use_s3,
)
from tests.test_draw_commit_reveal import new_cycle, register  # noqa: F401 (fixture)
from worker.compile import report_compile
from worker.tasks import import_register

HEADER = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year"
ROWS = [f"C4{n:05d},Child Protection One,cp,2025-03-01,,,,2015" for n in range(30)]
REGISTER = ("\n".join([HEADER, *ROWS]) + "\n").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def nothing_local(folder: Path, since: float = 0.0) -> bool:
    """No file under ``folder`` (written at or after ``since``, a time.time())."""
    return not folder.exists() or not any(
        p.is_file() and p.stat().st_mtime >= since for p in folder.rglob("*")
    )


def unreachable(settings):
    """Every storage pointed at a loopback port nobody listens on."""
    from tests.s3 import free_port

    use_s3(settings, f"http://127.0.0.1:{free_port()}", "nowhere")


@pytest.mark.django_db
def test_a_draw_stores_its_files_in_the_bucket_and_the_download_streams_them_checked(
    on_s3, s3_endpoint, people, register, client_for, settings
):
    started = time.time()
    quinn = client_for(people["qa_lead_quinn"])
    url = new_cycle(quinn)
    assert quinn.post(url + "draw/", {"witness_input": "1 2 3"}, format="json").status_code == 201
    frame = Frame.objects.get()

    stored = objects(s3_endpoint, on_s3)
    frame_key, exclusions_key = f"frames/{frame.frame_file}", f"frames/{frame.exclusions_file}"
    assert set(stored) == {frame_key, exclusions_key}
    assert sha256(stored[frame_key]) == frame.file_hashes["frame"]
    assert sha256(stored[exclusions_key]) == frame.file_hashes["exclusions"]
    assert nothing_local(Path(django_settings.DATA_DIR) / "files", since=started)

    download = client_for(people["internal_ian"]).get(url + "frame.csv")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored[frame_key]
    assert quinn.get(url + "verification/").json()["match"] is True


@pytest.mark.django_db
def test_a_changed_object_in_the_bucket_is_refused_and_logged(
    on_s3, s3_endpoint, people, register, client_for, caplog
):
    quinn = client_for(people["qa_lead_quinn"])
    url = new_cycle(quinn)
    quinn.post(url + "draw/", {"witness_input": "1 2 3"}, format="json")
    frame = Frame.objects.get()
    key = f"frames/{frame.frame_file}"
    original = objects(s3_endpoint, on_s3, key)[key]
    s3_client(s3_endpoint).put_object(Bucket=on_s3, Key=key, Body=original[:-8] + b"\0" * 8)

    with caplog.at_level(logging.ERROR, logger="audits.infra.files"):
        response = client_for(people["internal_ian"]).get(url + "frame.csv")
    assert response.status_code == 409
    assert "has changed since it was written" in response.json()["detail"]
    assert any("does not match its SHA-256" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_an_unreachable_store_refuses_a_draw_with_503_and_draws_nothing(
    settings, people, register, client_for
):
    unreachable(settings)
    quinn = client_for(people["qa_lead_quinn"])
    url = new_cycle(quinn)
    response = quinn.post(url + "draw/", {"witness_input": "1 2 3"}, format="json")
    assert response.status_code == 503
    assert "file storage cannot be reached" in response.json()["detail"]
    assert not Frame.objects.exists()
    assert Cycle.objects.get().status == "planned"


@pytest.mark.django_db
def test_an_import_is_stored_in_the_bucket_read_back_checked_and_removed(
    on_s3, s3_endpoint, people, teams, client_for
):
    bob = client_for(people["manager_bob"])
    response = bob.post(
        "/api/v1/cases/import/",
        {"file": SimpleUploadedFile("register.csv", REGISTER)},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    stored = objects(s3_endpoint, on_s3, "imports/")
    assert stored == {f"imports/{job.file_name}": REGISTER}
    assert job.file_sha256 == sha256(REGISTER)

    import_register.apply(args=(job.pk,), task_id="s3-import")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FINISHED, job.message
    assert Case.objects.filter(case_ref__startswith="C4").count() == len(ROWS)
    assert objects(s3_endpoint, on_s3, "imports/") == {}  # deleted once imported


@pytest.mark.django_db
def test_an_unreachable_store_refuses_an_upload_with_503_and_queues_nothing(
    settings, people, teams, client_for
):
    unreachable(settings)
    response = client_for(people["manager_bob"]).post(
        "/api/v1/cases/import/",
        {"file": SimpleUploadedFile("register.csv", REGISTER)},
        format="multipart",
    )
    assert response.status_code == 503
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_an_unreachable_store_leaves_the_report_job_to_be_retried_and_it_then_compiles(
    settings, s3_endpoint, s3_bucket
):
    use_s3(settings, s3_endpoint, s3_bucket)
    cycle = finished_cycle(n=16)  # drawn into the bucket
    job = reports.report_request(cycle=cycle, actor=User.objects.get(username="qa.lead"))

    unreachable(settings)
    with pytest.raises(StorageUnavailable):
        report_compile(job.pk, "attempt-1")
    # What the task does with any failure (worker/tasks.py): recorded, and tried again.
    assert reports.job_failed(job.pk, "attempt-1", "StorageUnavailable") is True
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ReportJob.Status.QUEUED, 1)
    assert not Report.objects.exists()

    use_s3(settings, s3_endpoint, s3_bucket)
    report = report_compile(job.pk, "attempt-2")
    assert report is not None
    stored = objects(s3_endpoint, s3_bucket, "reports/")
    for kind, name in reports.FILES.items():
        assert sha256(stored[f"reports/{report.folder}/{name}"]) == report.file_hashes[kind]


@pytest.mark.worker
def test_a_worker_on_its_own_data_dir_compiles_into_the_bucket_and_the_web_serves_it(
    transactional_db, on_s3, s3_endpoint, client_for, tmp_path, settings
):
    if not django_settings.REDIS_URL:
        # The filesystem broker lives under DATA_DIR: a worker on another DATA_DIR needs a
        # broker it can reach, as on another host.
        service_missing("Redis is not configured (REDIS_URL)")
    started = time.time()
    cycle = finished_cycle(n=16)
    worker_data = tmp_path / "worker-data"
    worker = start_worker({**s3_env(s3_endpoint, on_s3), "DATA_DIR": str(worker_data)})
    try:
        lead = client_for(User.objects.get(username="qa.lead"))
        response = lead.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json")
        assert response.status_code == 202
        job_id = response.json()["id"]

        def done():
            return ReportJob.objects.filter(pk=job_id, status="done").exists()

        wait_for(done, timeout=180)
    finally:
        stop_worker(worker)
    report = Report.objects.get(job_id=job_id)
    stored = objects(s3_endpoint, on_s3, "reports/")
    assert sorted(stored) == sorted(
        f"reports/{report.folder}/{name}" for name in reports.FILES.values()
    )
    for kind, path in (("pdf", "pdf/"), ("json", "data.json/"), ("csv", "audits.csv/")):
        download = lead.get(f"/api/v1/reports/{job_id}/{path}")
        assert download.status_code == 200, kind
        body = b"".join(download.streaming_content)
        assert body == stored[f"reports/{report.folder}/{reports.FILES[kind]}"]
        assert sha256(body) == report.file_hashes[kind]
    assert body.count(b"\n") > 10  # the CSV, whole
    # Neither process kept a file on its own disk: the worker's DATA_DIR holds none, and
    # the web process's DATA_DIR none written during the test.
    assert worker_data.is_dir()  # the worker ran with it
    assert nothing_local(worker_data / "files")
    assert nothing_local(Path(django_settings.DATA_DIR) / "files", since=started)


def test_the_environment_puts_every_storage_in_one_private_bucket_under_its_own_prefix():
    import json
    import os
    import subprocess
    import sys

    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({n: [settings.STORAGES[n]['BACKEND'], settings.STORAGES[n]['OPTIONS']] "
        "for n in settings.FILE_STORAGES}, default=lambda o: getattr(o, '__dict__', repr(o))))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        **s3_env("http://127.0.0.1:9", "council-files"),
        "S3_PREFIX": "council-a/",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(result.stdout)
    assert set(found) == {"frames", "reports", "imports", "evidence", "packs"}
    for name, (backend, options) in found.items():
        assert backend == "storages.backends.s3.S3Storage"
        assert options["bucket_name"] == "council-files"
        assert options["location"] == f"council-a/{name}"
        assert options["default_acl"] == "private"
        assert options["querystring_auth"] is True
        assert options["file_overwrite"] is True
        assert options.get("custom_domain") is None  # no public host for the objects
        assert options["transfer_config"]["multipart_threshold"] >= 2**32  # one PUT a file


@pytest.mark.django_db
def test_evidence_is_kept_in_the_bucket_and_a_changed_object_is_not_served(on_s3, s3_endpoint):
    from django.test import Client

    from audits.core import grading
    from audits.models import Evidence
    from tests.browser import scenarios
    from tests.test_evidence_sniffing import PDF_BYTES

    audit = scenarios.first_audit(scenarios.assigned_cycle())
    auditor, lead = Client(), Client()
    auditor.force_login(audit.assignment.auditor.user)
    lead.force_login(scenarios.person(scenarios.LEAD))
    question_key = grading.questions(audit.template.definition)[0]["key"]
    file = SimpleUploadedFile("letter.pdf", PDF_BYTES, content_type="application/pdf")
    response = auditor.post(
        "/api/v1/evidence/", {"audit": audit.pk, "question_key": question_key, "file": file}
    )
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    key = f"evidence/{evidence.stored_name}"
    assert objects(s3_endpoint, on_s3, "evidence/") == {key: PDF_BYTES}
    download = lead.get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert (download.status_code, download.content) == (200, PDF_BYTES)

    s3_client(s3_endpoint).put_object(Bucket=on_s3, Key=key, Body=PDF_BYTES + b"%%")
    assert lead.get(f"/api/v1/evidence/{evidence.pk}/download/").status_code == 409


@pytest.mark.worker
def test_a_worker_that_cannot_reach_the_store_leaves_the_job_for_another_worker(
    transactional_db, on_s3, s3_endpoint, client_for, tmp_path
):
    """A real worker whose store is unreachable fails the attempt cleanly (recorded, queued
    again, no report row, no file); a worker that can reach it then finishes the job once."""
    from tests.s3 import free_port

    if not django_settings.REDIS_URL:
        service_missing("Redis is not configured (REDIS_URL)")
    cycle = finished_cycle(n=16)
    cut_off = {**s3_env(f"http://127.0.0.1:{free_port()}", on_s3), "DATA_DIR": str(tmp_path / "a")}
    worker = start_worker(cut_off)
    try:
        lead = client_for(User.objects.get(username="qa.lead"))
        response = lead.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json")
        assert response.status_code == 202
        job_id = response.json()["id"]

        def failed_once():
            job = ReportJob.objects.get(pk=job_id)
            return job.attempts >= 1 and "StorageUnavailable" in job.error and job

        job = wait_for(failed_once, timeout=120)
        assert job.status in (ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
    finally:
        stop_worker(worker)  # a warm shutdown hands its retry message back to the broker
    job.refresh_from_db()
    assert not Report.objects.filter(job_id=job_id).exists()
    assert objects(s3_endpoint, on_s3, "reports/") == {}
    if job.status == ReportJob.Status.FAILED:
        pytest.fail(f"all attempts were spent before the worker stopped: {job.error}")

    worker = start_worker({**s3_env(s3_endpoint, on_s3), "DATA_DIR": str(tmp_path / "b")})
    try:

        def done():
            return ReportJob.objects.filter(pk=job_id, status="done").exists()

        wait_for(done, timeout=180)
    finally:
        stop_worker(worker)
    job.refresh_from_db()
    assert job.attempts >= 2
    assert Report.objects.filter(job_id=job_id).count() == 1
    report = Report.objects.get(job_id=job_id)
    stored = objects(s3_endpoint, on_s3, "reports/")
    assert sha256(stored[f"reports/{report.folder}/report.pdf"]) == report.file_hashes["pdf"]
