"""A manager runs a cycle in the browser: frame and plan, the draw (seed, frame hash, the
sample), assignment (load per auditor); then moderation, actions, escalations and the
dashboard's charts."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from audits.models import Assignment, Audit, Cycle, SampledCase
from tests.browser import scenarios
from tests.browser.conftest import TABLET, fill_date
from tests.builders import finished_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_draws_a_sample_and_assigns_it(browser):
    cycle = scenarios.planned_cycle(name="Autumn case audit", n=12)
    page = browser.signed_in("qa.lead")
    browser.check(page, "manager-home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cycles").click()
    browser.check(page, "manager-cycles")
    page.get_by_role("link", name="Autumn case audit", exact=True).click()
    expect(page.get_by_role("heading", name="2. Plan: sample size per stratum")).to_be_visible()
    expect(page.get_by_text("Cases a draw would take now: 12 in all")).to_be_visible()
    browser.check(page, "manager-cycle-plan")

    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("heading", name="What cannot be undone")).to_be_visible()
    page.get_by_label("Witness input").fill("3 6 1 4 2 5")
    page.get_by_role("button", name="Draw 12 cases now").click()
    expect(page.locator("#draw_confirm-error")).to_be_visible()  # drawing cannot be undone
    browser.check(page, "manager-cycle-draw-errors")
    page.get_by_label(re.compile("the sample is drawn once")).check()
    page.get_by_role("button", name="Draw 12 cases now").click()
    cycle.refresh_from_db()
    expect(page.get_by_text(f"Its seed is {cycle.frame.seed}.")).to_be_visible()
    expect(page.locator("#draw-seed")).to_have_text(cycle.frame.seed)
    expect(page.locator("#draw-witness-input")).to_have_text("3 6 1 4 2 5")
    expect(page.locator("#draw-server-random")).to_have_text(cycle.frame.server_random)
    expect(page.locator("#draw-frame-hash")).to_have_text(cycle.frame.frame_hash)
    drawn = SampledCase.objects.filter(cycle=cycle).count()
    expect(page.locator("#sample-heading")).to_have_text(f"The sample: {drawn} case files")
    browser.check(page, "manager-cycle-drawn")

    # The sample is a page of its own, linked from the draw's step, with breadcrumbs back.
    page.locator("#sample-link").click()
    expect(page.get_by_role("heading", name=f"{cycle.name}: the sample")).to_be_visible()
    expect(page.locator("#sample-table tbody tr")).to_have_count(drawn)
    expect(page.locator("#step-sample")).to_have_attribute("aria-current", "page")
    browser.check(page, "manager-cycle-sample")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=cycle.name).click()

    page.get_by_role("button", name=re.compile(r"Assign \d+ cases to auditors")).click()
    expect(page.get_by_text(re.compile(r"\d+ cases assigned"))).to_be_visible()
    expect(page.locator("#assignment-counts")).to_contain_text("with a first auditor")
    page.locator("#assignment-link").click()
    expect(page.get_by_role("heading", name=f"{cycle.name}: assignment")).to_be_visible()
    expect(page.locator("#loads-table")).to_be_visible()
    assert Assignment.objects.filter(sampled_case__cycle=cycle).count() >= drawn
    assert Cycle.objects.get(pk=cycle.pk).status == "assigned"
    browser.check(page, "manager-cycle-assigned")


def test_a_manager_starts_a_cycle_and_meets_an_error_summary(browser):
    scenarios.demo_council()
    page = browser.signed_in("qa.lead", viewport=TABLET)
    page.goto("/cycles/new/")
    page.get_by_label("Name").fill("Thematic audit: neglect")
    page.get_by_role("button", name="Create the cycle").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    browser.check(page, "manager-new-cycle-errors")
    fill_date(page, "Period starts", date(2026, 1, 1))
    fill_date(page, "Period ends", date(2026, 3, 31))
    page.get_by_label("Sample size").fill("8")
    page.get_by_role("button", name="Create the cycle").click()
    expect(page.get_by_role("heading", name="Thematic audit: neglect")).to_be_visible()


def test_the_managers_other_pages(browser):
    scenarios.demo_council()
    cycle = finished_cycle(n=16)
    # One audit has just come in for moderation.
    audit = Audit.objects.filter(assignment__sampled_case__cycle=cycle, status="final").first()
    Audit.objects.filter(pk=audit.pk).update(status="submitted", moderated_overall_grade=None)
    page = browser.signed_in("qa.lead")
    for name, heading in [
        ("Moderation", "Moderation"),
        ("Actions", "Actions"),
        ("Escalations", "Safeguarding escalations"),
        ("Dashboard", "Dashboard"),
    ]:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        browser.check(page, f"manager-{name.lower()}")
    expect(page.locator("figure.chart svg")).to_have_count(4)
    page.goto("/moderation/")
    # The first table: audits to moderate (a double audit to reconcile may name the case too).
    moderate = page.locator("table").first
    moderate.get_by_role("link", name=audit.assignment.sampled_case.case.case_ref).click()
    browser.check(page, "manager-moderate")
    page.get_by_label("Agree").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text(f"Moderation recorded (agree) for audit {audit.pk}.")).to_be_visible()
    page.goto("/actions/?overdue=1")
    browser.check(page, "manager-actions-overdue", screenshot=False)
