"""The smaller forms in the browser (issue 16 item 1): replacing a case with no reason and
acknowledging an escalation with too long a response meet the error summary, linked to the
box, with what was typed kept."""

import pytest
from playwright.sync_api import expect

from audits.models import SampledCase
from audits.services import escalations, sample
from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_replacing_a_case_without_a_reason_says_why_by_the_box(browser):
    cycle = scenarios.planned_cycle(name="Winter case audit", n=12)
    sample.sample_draw(cycle=cycle, actor=scenarios.person(scenarios.LEAD))
    item = SampledCase.objects.filter(cycle=cycle, status="selected").order_by("pk").first()
    page = browser.signed_in("qa.lead")
    page.goto(f"/cycles/{cycle.pk}/sample/")
    page.get_by_text(f"Replace case {item.case.case_ref}").click()
    page.locator(f"#replace-reason-{item.pk}").fill("   ")
    page.locator(f"#replace-reason-{item.pk} ~ button").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Say why the case is replaced")
    browser.check(page, "manager-cycle-replace-errors")
    summary.get_by_role("link", name="Say why the case is replaced").click()
    expect(page.locator(f"#replace-reason-{item.pk}")).to_be_focused()


def test_a_too_long_acknowledgement_is_said_and_kept(browser):
    cycle = scenarios.assigned_cycle(name="Winter case audit", n=12)
    audit = scenarios.first_audit(cycle)
    escalation = escalations.escalation_raise(
        audit=audit, actor=audit.assignment.auditor.user, concern="The child was not seen."
    )
    page = browser.signed_in("qa.lead")
    page.goto("/escalations/")
    box = page.locator(f"#response-{escalation.pk}")
    box.fill("Visited. " * 1_200)
    page.get_by_role("button", name="Acknowledge").first.click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    message = "What has been done must be 10,000 characters or fewer"
    expect(summary).to_contain_text(message)
    browser.check(page, "manager-escalation-acknowledge-errors")
    summary.get_by_role("link", name=message).click()
    expect(box).to_be_focused()
    expect(box).to_have_value("Visited. " * 1_200)
