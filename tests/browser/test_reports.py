"""A report is requested in the browser and its progress bar, driven by the job the live
Celery worker compiles, reaches 100%; an internal auditor reads the assurance summary,
the report's conditions, the sampling record and its re-check, and downloads the PDF."""

import pytest
from playwright.sync_api import expect

from audits.models import ReportJob
from tests.browser import scenarios
from tests.browser.conftest import ROOT, progress_seen
from tests.builders import finished_cycle

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_report_is_requested_and_its_progress_reaches_100(browser, live_worker):
    scenarios.demo_council()
    cycle = finished_cycle(n=16)
    page = browser.signed_in("qa.lead")
    page.goto(f"/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Reports").click()
    browser.check(page, "manager-reports")
    page.get_by_role("button", name="Compile a new report").click()
    job = ReportJob.objects.get(cycle=cycle)
    page.wait_for_url(f"**/reports/{job.pk}/")
    seen = progress_seen(page, "#report-progress-bar")
    assert seen[-1] == 100, f"progress stopped at {seen[-1]} (job {job.status})"
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    expect(page.locator("#report-progress-text")).to_have_text("The report is ready (version 1).")
    expect(page.get_by_role("link", name="Report (PDF)")).to_be_visible()
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    browser.check(page, "manager-report-ready")
    page.get_by_role("link", name="All reports on this cycle").click()
    expect(page.locator("#report-versions")).to_contain_text("Version 1")


def test_an_internal_auditor_downloads_the_pdf(browser):
    cycle, report = scenarios.reported_cycle()
    page = browser.signed_in("internal.audit")
    browser.check(page, "internal-home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assurance").click()
    expect(page.locator("#assurance-table")).to_contain_text(report.opinion)
    browser.check(page, "internal-assurance")
    page.get_by_role("link", name=cycle.name, exact=True).click()
    expect(page.locator("#conditions-table")).to_be_visible()
    browser.check(page, "internal-report")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Report (PDF)").click()
    download = download_info.value
    saved = ROOT / "artifacts" / "downloads" / download.suggested_filename
    saved.parent.mkdir(parents=True, exist_ok=True)
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith("report.pdf")
    # The JSON and the CSV download as files too (the JSON used to open raw in the tab).
    for link, name in (
        ("Every figure (JSON)", "data.json"),
        ("One row per audit (CSV)", "audits.csv"),
    ):
        with page.expect_download() as download_info:
            page.get_by_role("link", name=link).click()
        assert download_info.value.suggested_filename.endswith(name)

    page.get_by_role("link", name="The sampling record").click()
    expect(page.get_by_text(cycle.frame.frame_hash).first).to_be_visible()
    browser.check(page, "internal-sampling-record")
    page.get_by_role("link", name="Re-check this sample").click()
    expect(page.locator("#recheck-result")).to_contain_text("Match")
    browser.check(page, "internal-recheck")
