"""A manager imports the register in the browser: the upload starts a job the live Celery
worker runs, the job's page follows it (the script polls the job's JSON) to its outcome;
a file with problems is listed line by line in the error summary and changes nothing."""

import pytest
from playwright.sync_api import expect

from audits.models import Case, ImportJob
from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEADER = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year"


def cases_file(tmp_path, name: str, rows: list[str]):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_a_manager_imports_the_register_and_sees_its_problems_then_its_counts(
    browser, live_worker, tmp_path
):
    scenarios.demo_council(cases=30)
    before = Case.objects.count()
    page = browser.signed_in("qa.lead")
    page.get_by_role("link", name="Import the register from a CSV file").click()
    expect(page.get_by_role("heading", name="Import the register")).to_be_visible()
    browser.check(page, "manager-register-import")

    # A file with two bad rows: nothing is written, each problem is listed in words.
    bad = cases_file(
        tmp_path,
        "bad.csv",
        [
            "IMP-1,Child Protection One,cp,2025-03-01,,,,2015",
            "IMP-2,Nowhere Team,cp,2025-03-01,,,,2015",
            "IMP-3,Child Protection One,cp,31/31/2025,,,,2015",
        ],
    )
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and import").click()
    job = ImportJob.objects.latest("pk")
    page.wait_for_url(f"**/register/imports/{job.pk}/")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible(timeout=60_000)  # the script reloads the page when it ends
    expect(summary).to_contain_text("The file was not imported: 2 problems found.")
    expect(page.locator("#import-problems li")).to_have_text(
        [
            "Line 3, team: unknown team 'Nowhere Team'",
            "Line 4, date opened: '31/31/2025' is not a date (use 2026-03-01 or 01/03/2026)",
        ]
    )
    assert Case.objects.count() == before
    browser.check(page, "manager-register-import-rejected")

    # The corrected file imports; the bar reaches 100% and the counts are in words.
    page.get_by_role("link", name="Back to importing the register").click()
    good = cases_file(
        tmp_path,
        "good.csv",
        [f"IMP-{n},Child Protection One,cp,2025-03-01,,,,2015" for n in range(1, 201)],
    )
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and import").click()
    job = ImportJob.objects.latest("pk")
    page.wait_for_url(f"**/register/imports/{job.pk}/")
    text = page.locator("#import-progress-text")
    expect(text).to_have_text("Imported 200 rows: 200 new cases, 0 updated.", timeout=60_000)
    assert int(page.locator("#import-progress-bar").evaluate("bar => bar.value")) == 100
    assert Case.objects.count() == before + 200
    browser.check(page, "manager-register-imported")
    page.get_by_role("link", name="Import another file").click()
    expect(page.locator("#recent-imports tbody tr")).to_have_count(2)
    expect(page.locator("#recent-imports")).to_contain_text("Not imported")
