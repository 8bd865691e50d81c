"""Versioning (issue 18, point 5): the figures say which layout they follow, and a report's
files carry their identity (ETag: the report hash; Last-Modified: when the report was
stored), so a client re-fetching unchanged files gets 304 and no body."""

import json

import pytest
from django.contrib.auth.models import User
from django.utils.http import http_date

from audits.models import Report
from tests.builders import finished_cycle
from worker.compile import report_compile

FILES = ("pdf/", "data.json", "audits.csv")


@pytest.fixture
def compiled(db, client_for):
    cycle = finished_cycle(n=20)
    lead = client_for(User.objects.get(username="qa.lead"))
    job_id = lead.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json").json()["id"]
    report_compile(job_id, "task-1")
    return job_id, Report.objects.get(job_id=job_id)


@pytest.fixture
def analyst(compiled, client_for):
    return client_for(User.objects.get(username="internal.audit"))


def test_the_figures_carry_their_schema_version(compiled, analyst):
    job_id, _report = compiled
    data = json.loads(
        b"".join(analyst.get(f"/api/v1/reports/{job_id}/data.json").streaming_content)
    )
    assert data["schema_version"] == "1.1"
    assert analyst.get(f"/api/v1/reports/{job_id}/").json()["figures"]["schema_version"] == "1.1"
    [summary] = analyst.get("/api/v1/assurance-summaries/").json()["results"]
    assert summary["report"]["figures_schema_version"] == "1.1"


@pytest.mark.parametrize("name", FILES)
def test_a_file_carries_the_report_hash_and_when_it_was_stored(compiled, analyst, name):
    job_id, report = compiled
    response = analyst.get(f"/api/v1/reports/{job_id}/{name}")
    assert response.status_code == 200
    assert response["ETag"] == f'"{report.report_hash}"'  # strong: no W/
    assert response["Last-Modified"] == http_date(int(report.created_at.timestamp()))


@pytest.mark.parametrize("name", FILES)
def test_an_unchanged_file_is_304_with_no_body(compiled, analyst, name):
    job_id, report = compiled
    url = f"/api/v1/reports/{job_id}/{name}"
    first = analyst.get(url)
    again = analyst.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    since = analyst.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    other = analyst.get(url, HTTP_IF_NONE_MATCH='"0000"')
    assert other.status_code == 200
    older = http_date(int(report.created_at.timestamp()) - 3600)
    assert analyst.get(url, HTTP_IF_MODIFIED_SINCE=older).status_code == 200


def test_a_conditional_request_outside_scope_is_still_404(compiled, client_for, make_person):
    job_id, report = compiled
    outsider_eve = make_person("outsider_eve")
    response = client_for(outsider_eve).get(
        f"/api/v1/reports/{job_id}/data.json", HTTP_IF_NONE_MATCH=f'"{report.report_hash}"'
    )
    assert response.status_code == 404
    auditor = client_for(User.objects.get(username="auditor.1"))
    response = auditor.get(
        f"/api/v1/reports/{job_id}/pdf/", HTTP_IF_NONE_MATCH=f'"{report.report_hash}"'
    )
    assert response.status_code == 404
