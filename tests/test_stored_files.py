"""Stored files are checked when read (issue 21): each file's SHA-256 is kept beside its row
when it is written, and a download is refused, logged, when the file on the storage is not
that file any more: never a changed or half file handed out as the record. Here on the file
system; tests/test_s3_storage.py runs the same paths against an S3 server."""

import gzip
import hashlib
import logging

import pytest
from django.contrib.auth.models import User

from audits.services import reports
from tests.browser import scenarios
from tests.conftest import stored_path, use_local_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(settings, tmp_path):
    use_local_files(settings, tmp_path)
    return scenarios.reported_cycle()


def lead_client(client_for):
    return client_for(User.objects.get(username="qa.lead"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_each_report_file_is_stored_with_the_sha256_of_its_bytes(reported):
    _, report = reported
    assert set(report.file_hashes) == {"pdf", "json", "csv"}
    for kind, name in reports.FILES.items():
        on_disk = stored_path("reports", f"{report.folder}/{name}").read_bytes()
        assert report.file_hashes[kind] == sha256(on_disk), kind
    assert report.folder == f"reports/cycle-{report.cycle_id}/job-{report.job_id}"


def test_a_tampered_report_file_is_refused_and_logged_not_downloaded(reported, client_for, caplog):
    _, report = reported
    pdf = stored_path("reports", f"{report.folder}/report.pdf")
    original = pdf.read_bytes()
    pdf.write_bytes(original.replace(b"Substantial", b"Reasonable!"))  # same length or not
    if pdf.read_bytes() == original:
        pdf.write_bytes(original + b"%% appended")
    client = lead_client(client_for)

    with caplog.at_level(logging.ERROR, logger="audits.infra.files"):
        response = client.get(f"/api/v1/reports/{report.job_id}/pdf/")

    assert response.status_code == 409
    assert "has changed since it was written" in response.json()["detail"]
    assert not hasattr(response, "streaming_content")
    assert any("does not match its SHA-256" in r.getMessage() for r in caplog.records)
    # The untouched files of the same report still download, whole.
    data = client.get(f"/api/v1/reports/{report.job_id}/data.json/")
    assert data.status_code == 200
    assert sha256(b"".join(data.streaming_content)) == report.file_hashes["json"]


def test_a_missing_report_file_is_a_clear_refusal(reported, client_for, caplog):
    _, report = reported
    stored_path("reports", f"{report.folder}/audits.csv").unlink()
    with caplog.at_level(logging.ERROR, logger="audits.infra.files"):
        response = lead_client(client_for).get(f"/api/v1/reports/{report.job_id}/audits.csv/")
    assert response.status_code == 409
    assert "cannot be found" in response.json()["detail"]
    assert any("is missing" in r.getMessage() for r in caplog.records)


def test_a_tampered_frame_is_refused_for_download_but_the_recheck_names_the_mismatch(
    reported, client_for
):
    cycle, _ = reported
    frame = cycle.frame
    path = stored_path("frames", frame.frame_file)
    assert frame.file_hashes["frame"] == sha256(path.read_bytes())
    exclusions = stored_path("frames", frame.exclusions_file).read_bytes()
    assert frame.file_hashes["exclusions"] == sha256(exclusions)
    client = client_for(User.objects.get(username="internal.audit"))
    url = f"/api/v1/cycles/{cycle.pk}/"
    whole = client.get(url + "frame.csv")
    assert whole.status_code == 200
    assert sha256(b"".join(whole.streaming_content)) == frame.file_hashes["frame"]

    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines[1] = lines[1].replace(",", "9,", 1)  # one case reference changed
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))

    refused = client.get(url + "frame.csv")
    assert refused.status_code == 409
    assert "sampling frame has changed" in refused.json()["detail"]
    # The re-check still reads it, recomputes, and says what differs.
    recheck = client.get(url + "verification/").json()
    assert recheck["match"] is False
