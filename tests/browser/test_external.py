"""External reviewers in the browser: the administrator gives an inspector read access to a
case records review of three cases (an empty form first: every error in the summary), then
the inspector signs in, sees the banner saying until when, the three cases with their audits
in words, and one audit read-only. Every page is checked with axe and photographed."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from audits.models import ExternalAccess
from tests.browser import scenarios
from tests.browser.conftest import fill_date
from tests.builders import finished_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_gives_access_and_the_inspector_reads_the_review(browser):
    scenarios.demo_council()
    cycle = finished_cycle(n=16)
    inspector = User.objects.create_user(
        "inspector.ian", password=scenarios.PASSWORD, first_name="Ian", last_name="Inspector"
    )
    page = browser.signed_in("admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="External access").click()
    expect(page.get_by_role("heading", name="External access")).to_be_visible()
    page.get_by_role("link", name="Give external access").click()
    page.get_by_role("button", name="Give access").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose the person to give access to")
    expect(summary).to_contain_text("Enter the first day of access")
    browser.check(page, "external-access-new-errors")

    page.get_by_label("Person").select_option("inspector.ian")
    page.get_by_label("Organisation").fill("Ofsted")
    page.get_by_label("Inspection").check()
    page.get_by_label("Audit cycle").select_option(str(cycle.pk))
    page.get_by_label("A case records review", exact=True).check()
    page.get_by_label("Number of cases (a case records review)").fill("3")
    today = date.today()
    last = today + timedelta(days=6)
    fill_date(page, "First day of access", today)
    fill_date(page, "Last day of access", last)
    page.get_by_role("button", name="Give access").click()
    expect(page.get_by_text("Ian Inspector can read")).to_be_visible()
    access = ExternalAccess.objects.get(person=inspector)
    expect(page.locator(f"#grant-{access.pk}")).to_contain_text("A case records review of 3")
    browser.check(page, "external-accesses")

    reviewer = browser.signed_in("inspector.ian")
    reviewer.get_by_role("link", name=cycle.name).click()
    banner = reviewer.locator("#external-banner")
    expect(banner).to_contain_text(f"until the end of {last.day} {last:%B %Y}")
    expect(reviewer.locator("#external-cases tbody tr")).to_have_count(3)
    browser.check(reviewer, "external-review")
    opened = reviewer.locator("#external-cases a").first
    if opened.count():
        opened.click()
        expect(reviewer.get_by_role("heading", name="Overall judgement")).to_be_visible()
        expect(reviewer.locator("#external-banner")).to_be_visible()
        expect(reviewer.get_by_role("button")).to_have_count(1)  # signing out, nothing else
        browser.check(reviewer, "external-audit")
