"""Assurance reports: compiled once per job, immutable versions, a stable hash, files that
open, and a CSV and figures that count the audits on record."""

import csv
import io
import json
import re
from collections import Counter

import pytest
from django.contrib.auth.models import User
from pypdf import PdfReader
from rest_framework.test import APIClient

from audits.models import Audit, Report, ReportJob
from audits.services import reports
from tests.builders import finished_cycle
from worker.compile import report_compile


@pytest.fixture
def cycle(db):
    return finished_cycle()


@pytest.fixture
def lead(cycle):
    return User.objects.get(username="qa.lead")


def request_and_compile(client, cycle, task_id="task-1"):
    response = client.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json")
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert ReportJob.objects.get(pk=job_id).status in ("queued", "running", "done")
    report_compile(job_id, task_id)
    return job_id


def download(client, job_id, name):
    response = client.get(f"/api/v1/reports/{job_id}/{name}")
    assert response.status_code == 200, name
    return b"".join(response.streaming_content)


def test_a_compiled_report_opens_and_shows_the_opinion_seed_and_hashes(cycle, lead, client_for):
    client = client_for(lead)
    job_id = request_and_compile(client, cycle)
    job = client.get(f"/api/v1/reports/{job_id}/").json()
    assert (job["status"], job["progress"], job["version"]) == ("done", 100, 1)
    figures = job["figures"]
    pdf = PdfReader(io.BytesIO(download(client, job_id, "pdf/")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = text.replace("\n", "")
    assert figures["opinion"]["level"] in text
    assert cycle.frame.seed in flat
    assert cycle.frame.frame_hash in flat
    assert job["report_hash"] in flat
    for page in pdf.pages:
        assert job["report_hash"][:16] in page.extract_text().replace("\n", "")


def on_record(cycle) -> dict[str, tuple[str, int]]:
    """What the estimate should count, read from the audits themselves: for each case of the
    random sample (no follow-up), its completed first audit, as (team, final grade), the
    final grade being the moderator's when moderated. Nothing of the report's build."""
    counted = {}
    for audit in Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, status__in=["submitted", "final"]
    ).select_related("assignment__sampled_case__case__team"):
        sampled = audit.assignment.sampled_case
        if audit.assignment.role == "primary" and not sampled.is_follow_up:
            grade = audit.moderated_overall_grade or audit.overall_grade
            counted[sampled.case.case_ref] = (sampled.case.team.name, grade)
    return counted


def test_the_csv_and_the_figures_count_the_audits_on_record(cycle, lead, client_for):
    client = client_for(lead)
    job_id = request_and_compile(client, cycle)
    figures = json.loads(download(client, job_id, "data.json"))
    rows = list(csv.DictReader(io.StringIO(download(client, job_id, "audits.csv").decode())))
    expected = on_record(cycle)
    assert expected
    assert len(rows) == Audit.objects.filter(status__in=["submitted", "final"]).count()
    # The CSV marks exactly those audits as counted, one row each, with their final grade.
    counted = [row for row in rows if row["counts_in_estimate"] == "yes"]
    assert len(counted) == len(expected)
    assert {
        row["case_ref"]: (row["team_at_completion"], int(row["final_grade"])) for row in counted
    } == expected
    # The figures count the same audits.
    grades = Counter(grade for _, grade in expected.values())
    assert figures["summary"]["audited"] == len(expected)
    assert figures["findings"]["grade_distribution"] == {
        str(g): grades.get(g, 0) for g in (1, 2, 3, 4)
    }
    teams = Counter(team for team, _ in expected.values())
    good = Counter(team for team, grade in expected.values() if grade >= 3)
    assert {
        t["team"]: (t["audited"], t["good_or_better"]) for t in figures["findings"]["by_team"]
    } == {team: (teams[team], good[team]) for team in teams}
    # The appendix is in the PDF (and the CSV), not in the figures.
    assert "appendix" not in figures
    pdf = PdfReader(io.BytesIO(download(client, job_id, "pdf/")))
    pages = [page.extract_text() for page in pdf.pages]
    appendix = " ".join(pages[next(i for i, t in enumerate(pages) if "Appendix:" in t) :])
    assert set(expected) <= set(re.findall(r"\bC\d{6}\b", appendix))


def test_compiling_twice_on_unchanged_data_gives_the_same_hash_and_a_new_version(
    cycle, lead, client_for
):
    client = client_for(lead)
    first = request_and_compile(client, cycle, "task-a")
    job = ReportJob.objects.get(pk=first)
    # A second job with the same as-of moment (same data, same moment) hashes the same.
    again = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=job.as_of)
    report_compile(again.pk, "task-b")
    one, two = Report.objects.order_by("version")
    assert (one.version, two.version) == (1, 2)
    assert one.report_hash == two.report_hash
    assert client.get(f"/api/v1/reports/{first}/changed/").json()["changed"] is False
    audit = Audit.objects.filter(status="final").first()
    audit.moderated_overall_grade = 1 if audit.final_grade != 1 else 2
    audit.save()
    assert client.get(f"/api/v1/reports/{first}/changed/").json()["changed"] is True


def test_the_same_job_delivered_twice_makes_one_version(cycle, lead):
    job = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=cycle.frame.drawn_at)
    assert report_compile(job.pk, "delivery-1") is not None
    assert report_compile(job.pk, "delivery-2") is None
    assert report_compile(job.pk, "delivery-1") is None
    assert Report.objects.count() == 1


def test_a_job_held_by_a_live_task_is_not_taken_by_another(cycle, lead):
    job = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=cycle.frame.drawn_at)
    assert reports.job_claim(job.pk, "first")
    assert not reports.job_claim(job.pk, "second")
    assert reports.job_claim(job.pk, "first")  # the same message, redelivered after a crash


def test_internal_audit_pulls_summaries_with_a_token_and_outsiders_get_404(cycle, lead, client_for):
    request_and_compile(client_for(lead), cycle)
    token = (
        client_for(None)
        .post(
            "/api/v1/auth/token/",
            {"username": "internal.audit", "password": "caseassure-demo-2026"},
        )
        .json()["token"]
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    summaries = api.get("/api/v1/assurance-summaries/").json()["results"]
    assert len(summaries) == 1
    summary = summaries[0]
    assert summary["opinion"] in ("Substantial", "Reasonable", "Limited", "No assurance")
    assert {c["opinion"] for c in summary["conditions"]} >= {"Substantial", "Reasonable"}
    assert summary["key_figures"]["audited"] > 0
    assert api.get(summary["files"]["pdf"]).status_code == 200
    assert api.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json").status_code == 403
    later = api.get("/api/v1/assurance-summaries/?period_from=2999-01-01").json()["results"]
    assert later == []
    auditor = User.objects.get(username="auditor.1")
    job_id = ReportJob.objects.first().pk
    assert client_for(auditor).get(f"/api/v1/reports/{job_id}/").status_code == 404
    outsider_eve = User.objects.create_user("outsider_eve")
    assert client_for(outsider_eve).get("/api/v1/assurance-summaries/").status_code == 404
