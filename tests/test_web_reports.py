"""Report pages and internal audit's pages: request a report, its progress page and files,
earlier versions; assurance summaries by period, a report's conditions, the sampling
record and the re-check of a sample."""

import re

import pytest
from django.test import Client

from audits.models import Report, ReportJob
from audits.services import reports
from tests.browser import scenarios
from tests.conftest import stored_path
from worker.compile import report_compile


@pytest.fixture
def reported(db):
    return scenarios.reported_cycle()


def signed_in(username):
    client = Client()
    client.force_login(scenarios.person(username))
    return client


def test_a_manager_requests_a_report_and_is_taken_to_its_progress(reported):
    cycle, _ = reported
    lead = signed_in("qa.lead")
    response = lead.post(f"/cycles/{cycle.pk}/reports/")
    job = ReportJob.objects.filter(cycle=cycle).order_by("-pk").first()
    assert job.status == "queued"
    assert response["Location"] == f"/reports/{job.pk}/"
    page = lead.get(f"/reports/{job.pk}/").content.decode()
    assert '<progress id="report-progress-bar" max="100" value="0"' in page
    assert f'data-status-url="/api/v1/reports/{job.pk}/"' in page
    assert 'id="report-ready" hidden' in page


def test_a_finished_report_shows_its_files_and_earlier_versions(reported):
    cycle, report = reported
    lead = signed_in("qa.lead")
    job = reports.report_request(cycle=cycle, actor=scenarios.person("qa.lead"))
    report_compile(job.pk, "second")
    page = lead.get(f"/cycles/{cycle.pk}/reports/").content.decode()
    assert "Version 1" in page
    assert "Version 2" in page
    assert f"/api/v1/reports/{report.job_id}/pdf" in page
    done = lead.get(f"/reports/{job.pk}/").content.decode()
    assert 'value="100"' in done
    assert "The report is ready (version 2)" in done
    assert 'id="download-pdf"' in done
    assert 'id="report-ready" hidden' not in done


def test_internal_audit_cannot_request_a_report(reported):
    cycle, _ = reported
    before = ReportJob.objects.count()
    signed_in("internal.audit").post(f"/cycles/{cycle.pk}/reports/")
    assert ReportJob.objects.count() == before


def test_assurance_summaries_by_period(reported):
    cycle, report = reported
    internal = signed_in("internal.audit")
    page = internal.get("/assurance/").content.decode()
    assert cycle.name in page
    assert report.opinion in page
    later = internal.get("/assurance/", {"period_from": "2999-01-01"}).content.decode()
    assert cycle.name not in later
    boxes = {"period_from_day": "1", "period_from_month": "1", "period_from_year": "2999"}
    assert cycle.name not in internal.get("/assurance/", boxes).content.decode()
    before = {"period_to_day": "1", "period_to_month": "1", "period_to_year": "1999"}
    assert cycle.name not in internal.get("/assurance/", before).content.decode()
    start = cycle.period_start
    within = {"period_to_day": start.day, "period_to_month": start.month}
    within["period_to_year"] = start.year
    assert cycle.name in internal.get("/assurance/", within).content.decode()
    garbage = internal.get("/assurance/", {"period_from": "soon", "period_to": "31/02/2026"})
    assert garbage.status_code == 200
    page = garbage.content.decode()
    # both mistakes at once, in the summary linked to the boxes, and the list unfiltered
    assert "<title>Error: Assurance summaries" in page
    assert '<a href="#period_from">The earliest period end must be a real date</a>' in page
    assert '<a href="#period_to">The latest period start must be a real date</a>' in page
    assert cycle.name in page
    half = internal.get("/assurance/", {"period_from_day": "3", "period_from_year": "2026"})
    assert "The earliest period end must include a month" in half.content.decode()
    backwards = {"period_from": "2026-06-30", "period_to": "2026-04-01"}
    reversed_page = internal.get("/assurance/", backwards).content.decode()
    assert "must be the same as or after the earliest period end" in reversed_page


def test_a_report_with_its_conditions(reported):
    _cycle, report = reported
    page = signed_in("internal.audit").get(f"/assurance/reports/{report.pk}/").content.decode()
    for condition in report.figures["opinion"]["conditions"]:
        assert condition["text"].replace("'", "&#x27;") in page
    assert report.report_hash in page
    assert f"/api/v1/reports/{report.job_id}/pdf" in page


def test_checking_whether_the_data_have_changed(reported):
    _, report = reported
    page = signed_in("internal.audit").get(f"/assurance/reports/{report.pk}/?check=1")
    assert b"Unchanged" in page.content


def test_the_sampling_record_and_the_recheck(reported):
    cycle, _ = reported
    internal = signed_in("internal.audit")
    record = internal.get(f"/assurance/cycles/{cycle.pk}/sampling/").content.decode()
    for part in ("seed", "frame_hash", "server_random"):
        assert getattr(cycle.frame, part) in record
    recheck = internal.get(f"/assurance/cycles/{cycle.pk}/recheck/").content.decode()
    assert "<strong>Match</strong>" in recheck
    assert "python3 -I verify_sample.py" in recheck
    assert "Seed recomputed from its parts" in recheck


def test_the_recheck_reports_a_tampered_frame(reported, settings):
    cycle, _ = reported
    stored_path("frames", cycle.frame.frame_file).write_bytes(b"not a gzip file")
    page = signed_in("internal.audit").get(f"/assurance/cycles/{cycle.pk}/recheck/")
    assert page.status_code == 200
    assert b"<strong>Mismatch</strong>" in page.content


def test_a_cycle_without_a_sample_has_no_sampling_record(reported):
    cycle = scenarios.planned_cycle(name="Not drawn yet")
    internal = signed_in("internal.audit")
    assert internal.get(f"/assurance/cycles/{cycle.pk}/sampling/").status_code == 404
    assert internal.get(f"/assurance/cycles/{cycle.pk}/recheck/").status_code == 404
    assert Report.objects.count() == 1


def test_agreement_on_the_report_page_is_a_value_with_its_evidence_or_not_measured(reported):
    _cycle, report = reported
    page = signed_in("internal.audit").get(f"/assurance/reports/{report.pk}/").content.decode()
    reliability = report.figures["reliability"]
    alpha = reliability["alpha_overall"]
    if alpha is None:
        assert "Agreement of double audits (alpha)</dt><dd>not measured</dd>" in page
    else:
        assert f"{reliability['alpha_pairs']} cases audited twice" in page
    report.figures["reliability"].update(
        alpha_overall=0.0, alpha_interval=[-0.2, 0.3], alpha_pairs=12, kappa_quadratic=0.0
    )
    Report.objects.filter(pk=report.pk).update(figures=report.figures)
    page = signed_in("internal.audit").get(f"/assurance/reports/{report.pk}/").content.decode()
    # An agreement of exactly 0 was shown as "not measured" by a falsy default.
    assert "(95% interval -0.200 to 0.300, 12 cases audited twice)" in page
    assert "not blind" in page


def test_the_report_files_download_as_files_with_their_names(reported):
    """The JSON opened raw in the browser (issue 16): every file the page links to now
    downloads, named after the cycle, the version and what it holds."""
    _, report = reported
    lead = signed_in("qa.lead")
    page = lead.get(f"/reports/{report.job_id}/").content.decode()
    for kind, name in (("pdf", "report.pdf"), ("json", "data.json"), ("csv", "audits.csv")):
        link = f"/api/v1/reports/{report.job_id}/"
        assert link in page
        url = next(
            u for u in re.findall(r'href="([^"]+)"', page) if u.startswith(link) and kind in u
        )
        response = lead.get(url)
        assert response.status_code == 200, kind
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment; filename="), (kind, disposition)
        assert disposition.endswith(f'-v{report.version}-{name}"'), (kind, disposition)
