"""A practitioner reads the final findings of an audit of their case and disagrees, with a
reason; the moderator sees the response; the practitioner, who owns an action, adds a note
of progress and marks it done; another manager verifies it."""

from datetime import date, timedelta

import pytest
from django.db.models import Q
from playwright.sync_api import expect

from audits.models import Allocation, Audit
from audits.services.actions import action_create
from tests.browser import scenarios
from tests.builders import finished_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def final_audit_and_its_worker():
    """A final primary audit whose case's worker (a social worker with a login) held it on
    the day it was submitted."""
    scenarios.demo_council()
    cycle = finished_cycle(n=16)
    today = date.today()
    for audit in Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, status="final", assignment__role="primary"
    ).select_related("assignment__sampled_case__case"):
        held = (
            Allocation.objects.filter(
                case=audit.assignment.sampled_case.case,
                role="worker",
                staff__staff_ref__startswith="SW",
                from_date__lte=today,
            )
            .filter(Q(to_date__isnull=True) | Q(to_date__gte=today))
            .select_related("staff__user")
            .first()
        )
        if held is not None:
            return audit, held.staff
    raise AssertionError("no final audit of a case held by a social worker")


def test_a_practitioner_disagrees_and_updates_an_action_that_another_manager_verifies(browser):
    audit, worker = final_audit_and_its_worker()
    case_ref = audit.assignment.sampled_case.case.case_ref
    action = action_create(
        actor=scenarios.person(scenarios.LEAD),
        audit=audit,
        case=None,
        fields={
            "owner": worker,
            "description": "Bring the chronology up to date",
            "due_date": date.today() + timedelta(days=20),
        },
    )

    page = browser.signed_in(worker.user.username)
    page.get_by_role("link", name="My case audits").click()
    expect(page.get_by_role("link", name=f"Case {case_ref}")).to_be_visible()
    browser.check(page, "practitioner-my-case-audits")
    page.get_by_role("link", name=f"Case {case_ref}").click()
    expect(page.get_by_role("heading", name=f"Findings for case {case_ref}")).to_be_visible()
    browser.check(page, "practitioner-findings")
    page.get_by_label("Disagree").check()
    page.get_by_role("button", name="Send my response").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Say why you disagree")
    browser.check(page, "practitioner-response-errors")
    page.get_by_label("Comments or reason").fill("The plan was reviewed on time; see the record.")
    page.get_by_role("button", name="Send my response").click()
    expect(page.get_by_text("Your response to audit")).to_be_visible()
    expect(page.locator("#my-response")).to_contain_text("Disagree")
    browser.check(page, "practitioner-response-given")

    lead = browser.signed_in(scenarios.LEAD)
    lead.goto("/moderation/")
    lead.get_by_role("link", name="see the practitioners' responses").click()
    lead.get_by_label("Response", exact=True).select_option("disagree")
    lead.get_by_role("button", name="Filter").click()
    expect(lead.locator("#responses-table")).to_contain_text("The plan was reviewed on time")
    expect(lead.locator("#responses-table")).to_contain_text(case_ref)
    browser.check(lead, "moderator-practitioner-responses")

    page.get_by_role("link", name="My actions").click()
    page.get_by_role("link", name="Bring the chronology up to date").click()
    page.get_by_label("Add a note of progress").fill("Chronology started; half the years done.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("half the years done")
    page.get_by_label("What was done, and where the evidence is").fill(
        "Chronology complete in the case record."
    )
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator("#action-status")).to_have_text("Done")
    expect(page.get_by_role("button", name="Verify action")).to_have_count(0)
    browser.check(page, "practitioner-action-done")

    lead.goto(f"/actions/{action.pk}/")
    lead.get_by_role("button", name="Verify action").click()
    expect(lead.locator("#action-status")).to_have_text("Verified")
    browser.check(lead, "manager-action-verified")
    action.refresh_from_db()
    assert (action.status, action.done_by, action.verified_by) == (
        "verified",
        worker.user,
        scenarios.person(scenarios.LEAD),
    )
