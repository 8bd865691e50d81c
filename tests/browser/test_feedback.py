"""The pages' feedback in the browser: internal audit's full menu, the 404 page with the
menu, the dashboard's empty state and its tables, an override past capacity that asks to
confirm, and the planner's errors; each checked with axe and photographed."""

import re

import pytest
from playwright.sync_api import expect

from audits.models import Assignment, SampledCase, Staff
from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_internal_audit_menu_and_the_404_page(browser):
    scenarios.demo_council()
    page = browser.signed_in("internal.audit")
    menu = page.get_by_role("navigation", name="Main")
    for label in ("Actions", "Responses", "Assurance"):
        expect(menu.get_by_role("link", name=label)).to_be_visible()
    browser.check(page, "internal-audit-home")
    response = page.goto("/no/such/page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(menu.get_by_role("link", name="Assurance")).to_be_visible()
    browser.check(page, "not-found")


def test_the_dashboard_empty_state_and_the_capacity_question(browser):
    cycle = scenarios.assigned_cycle(name="Spring case audit", n=12)
    page = browser.signed_in("qa.lead")
    page.goto(f"/dashboard/?cycle={cycle.pk}")
    expect(page.get_by_role("heading", name=re.compile("is complete yet"))).to_be_visible()
    browser.check(page, "manager-dashboard-empty")

    busy = Staff.objects.filter(
        assignments__sampled_case__cycle=cycle, user__username__startswith="auditor."
    ).first()
    load = Assignment.objects.filter(sampled_case__cycle=cycle, auditor=busy).count()
    Staff.objects.filter(pk=busy.pk).update(capacity=load)
    other = (
        SampledCase.objects.filter(cycle=cycle, status="selected")
        .exclude(assignments__auditor=busy)
        .first()
    )
    page.goto(f"/cycles/{cycle.pk}/assignment/")
    page.locator("#override_sampled_case").fill(other.case.case_ref)
    page.get_by_label("Auditor", exact=True).select_option(str(busy.pk))
    page.get_by_label("Reason").fill("Knows the family's language")
    page.get_by_role("button", name="Assign this auditor").click()
    warning = page.locator("#capacity-warning")
    expect(warning).to_be_focused()
    expect(warning).to_contain_text(f"a capacity of {load}")
    browser.check(page, "manager-override-capacity")
    page.get_by_label("Yes, assign past this auditor's capacity").check()
    page.get_by_role("button", name="Assign this auditor").click()
    expect(page.locator(".notification-banner")).to_contain_text(f"{busy.name} will audit")


def test_the_planners_errors(browser):
    cycle = scenarios.planned_cycle(n=12)
    page = browser.signed_in("qa.lead")
    page.goto(f"/cycles/{cycle.pk}/")
    page.get_by_label(re.compile("Enough to show that few cases")).check()
    page.get_by_label("Highest share that may fall short (%)").fill("5")
    page.get_by_label("Share expected to fall short (%)").fill("8")
    page.get_by_role("button", name="Save the plan").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    browser.check(page, "manager-planner-errors")
