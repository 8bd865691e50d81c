"""The rework round trip in a real browser: a moderator returns an audit with a reason; the
auditor sees the unread count in the header, opens the notification, reads the reason on the
audit page, submits again; the audit's history shows the return and the resubmission."""

import re

import pytest
from playwright.sync_api import expect

from audits.core import grading
from audits.models import Audit, Notification
from audits.services import audits as audit_service
from tests.browser import scenarios
from tests.browser.conftest import fill_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Say how the child's wishes were recorded at the last review."


def submitted_for_moderation(audit: Audit) -> Audit:
    """Graded Inadequate throughout (moderated by rule), through the services."""
    answers = {}
    for question in grading.questions(audit.template.definition):
        if question["kind"] == "grade":
            answers[question["key"]] = 1
        elif question["kind"] in ("yes_no_na", "choice"):
            answers[question["key"]] = question.get("choices", ["yes"])[0]
    auditor = audit.assignment.auditor.user
    saved = audit_service.audit_save(
        audit=audit,
        actor=auditor,
        version=audit.version,
        changes={"answers": answers, "overall_grade": 1, "rationale": "Risk not reviewed"},
    )
    return audit_service.audit_submit(audit=saved, actor=auditor, version=saved.version)


def test_a_returned_audit_goes_back_with_its_reason_and_comes_back(browser):
    audit = submitted_for_moderation(scenarios.first_audit(scenarios.assigned_cycle()))
    assert audit.status == "submitted"
    case_ref = audit.assignment.sampled_case.case.case_ref

    lead = browser.signed_in(scenarios.LEAD)
    lead.goto(f"/moderation/{audit.pk}/")
    lead.get_by_label("Return for rework").check()
    lead.get_by_label(re.compile("^Reason")).fill(REASON)
    browser.check(lead, "moderator-returns-for-rework")
    lead.get_by_role("button", name="Record the decision").click()
    expect(lead.get_by_text("Moderation recorded (return for rework)")).to_be_visible()
    audit.refresh_from_db()
    assert audit.status == "returned"

    auditor = audit.assignment.auditor.user
    told = Notification.objects.filter(recipient=auditor, read_at=None)
    # Told twice: of the assignment, and now of the return.
    assert sorted(told.values_list("kind", flat=True)) == ["assigned", "returned"]
    page = browser.signed_in(auditor.username)
    expect(page.locator("#unread-count")).to_have_text("2")
    browser.check(page, "auditor-home-with-notification")
    page.locator("#notifications-link").click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    returned = f"Audit {audit.pk} was returned to you for rework"
    expect(page.locator("#notification-list")).to_contain_text(returned)
    browser.check(page, "auditor-notifications")
    page.get_by_role("button", name=f"Open {returned}").click()

    expect(page.get_by_role("heading", name=f"Audit of case {case_ref}")).to_be_visible()
    expect(page.locator("#rework-reason-text")).to_have_text(REASON)
    expect(page.locator("#unread-count")).to_have_text("1")
    browser.check(page, "auditor-returned-audit")

    page.get_by_role("button", name="Continue to check your answers").click()

    page.get_by_role("button", name="Submit audit").click()
    expect(page.get_by_text(f"Audit of case {case_ref} submitted.")).to_be_visible()
    expect(page.locator(f"#rework-{audit.pk}")).to_have_count(0)
    page.goto(f"/audits/{audit.pk}/")
    history = page.locator("#rework-history")
    expect(history).to_contain_text("Submitted on")
    expect(history).to_contain_text(f"Round 1: returned for rework by {_moderator()}")
    expect(history).to_contain_text(REASON)
    expect(history).to_contain_text("Submitted again on")
    expect(page.locator("#rework-reason")).to_have_count(0)
    browser.check(page, "auditor-rework-history")
    assert Notification.objects.get(recipient=auditor, kind="returned").read_at is not None


def _moderator() -> str:
    from audits.models import Staff

    return Staff.objects.get(user__username=scenarios.LEAD).name


def test_the_lead_extends_the_audit_window_with_a_reason(browser):
    cycle = scenarios.assigned_cycle()
    later = cycle.audit_due_date.replace(day=1).replace(month=cycle.audit_due_date.month % 12 + 1)
    if later.month == 1:
        later = later.replace(year=later.year + 1)
    page = browser.signed_in(scenarios.LEAD)
    page.goto(f"/cycles/{cycle.pk}/#window")
    expect(page.locator("#window-dates")).to_contain_text(f"{cycle.audit_due_date:%-d %B %Y}")
    expect(page.locator("#window-overdue")).to_have_text("No audit is overdue.")
    fill_date(page, "Audits due", later)
    page.get_by_role("button", name="Save the audit window").click()
    summary = page.locator(".error-summary[role=alert]").first
    expect(summary).to_contain_text("Say why the due date moves")
    browser.check(page, "manager-cycle-window-error")
    page.get_by_label("Why the due date moves").fill("Two auditors are off sick")
    page.get_by_role("button", name="Save the audit window").click()
    expect(page.locator("#window-dates")).to_contain_text(f"{later:%-d %B %Y}")
    browser.check(page, "manager-cycle-window")
    assert set(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle).values_list(
            "due_date", flat=True
        )
    ) == {later}
