"""A disagreeing double audit in the browser: two auditors grade one case blind (Good and
Requires improvement); each then sees the two side by side; the QA lead finds it in
moderation, meets the error summary, and records the agreed grade with the reason."""

import re

import pytest
from playwright.sync_api import expect

from audits.models import Audit, AuditSummary, Reconciliation
from audits.services import assignment, sample
from tests.browser import scenarios
from tests.browser.test_auditor import fill_every_question
from tests.builders import known_server_random

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def double_audited_case():
    cycle = scenarios.planned_cycle(name="Double audit check", n=12)
    cycle.second_share = 0.5
    cycle.save(update_fields=["second_share"])
    lead = scenarios.person(scenarios.LEAD)
    with known_server_random("web-double"):
        sample.sample_draw(cycle=cycle, actor=lead)
    assignment.cycle_assign(cycle=cycle, actor=lead)
    for first in Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, assignment__role="primary"
    ).select_related("assignment__auditor__user", "template", "assignment__sampled_case__case"):
        second = (
            Audit.objects.select_related("assignment__auditor__user")
            .filter(
                assignment__sampled_case=first.assignment.sampled_case, assignment__role="second"
            )
            .first()
        )
        # Two auditors who sign in (QA officers or peer-auditing managers), not the QA lead.
        users = [a.assignment.auditor.user for a in (first, second)] if second else [None]
        if all(user and user.username != scenarios.LEAD for user in users):
            return first, second
    raise AssertionError("no double-audited case with two auditors who sign in")


def grade_and_submit(browser, audit, grade, name):
    page = browser.signed_in(audit.assignment.auditor.user.username)
    page.goto(f"/audits/{audit.pk}/")
    fill_every_question(page, audit, grade)
    page.locator(f"#overall_grade-{grade}").check()
    page.get_by_label("Rationale for the overall grade").fill(
        "Plans drift and reviews are late." if grade == 2 else "Sound work throughout."
    )
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"Saved at"))
    if name:
        browser.check(page, name)
    page.get_by_role("button", name="Continue to check your answers").click()
    page.get_by_role("button", name="Submit audit").click()
    case_ref = audit.assignment.sampled_case.case.case_ref
    expect(page.get_by_text(f"Audit of case {case_ref} submitted.")).to_be_visible()
    return page


def test_a_disagreeing_double_audit_is_reconciled(browser):
    first, second = double_audited_case()
    case_ref = first.assignment.sampled_case.case.case_ref
    grade_and_submit(browser, first, 3, None)
    # Blind: the second auditor is told they will see the other grades later, not shown them.
    page = browser.signed_in(second.assignment.auditor.user.username)
    page.goto(f"/audits/{second.pk}/")
    expect(page.get_by_text("You will not see the other auditor's grades")).to_be_visible()
    expect(page.get_by_role("heading", name="The two audits side by side")).to_have_count(0)
    grade_and_submit(browser, second, 2, "double-audit-second-blind")

    page.goto(f"/audits/{second.pk}/")
    side = page.locator("section.side-by-side")
    expect(side).to_be_visible()
    overall = side.get_by_role("row", name=re.compile("Overall grade"))
    expect(overall).to_contain_text("3 \N{EN DASH} Good")
    expect(overall).to_contain_text("2 \N{EN DASH} Requires improvement")
    browser.check(page, "double-audit-auditor-side-by-side")

    lead = browser.signed_in(scenarios.LEAD)
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
    expect(lead.get_by_role("heading", name="Double audits to reconcile")).to_be_visible()
    browser.check(lead, "double-audit-moderation-queue")
    lead.locator("#reconciliations ~ div").get_by_role("link", name=case_ref).click()
    expect(
        lead.get_by_role("heading", name=f"Reconcile the double audit of case {case_ref}")
    ).to_be_visible()
    expect(lead.get_by_text("Plans drift and reviews are late.")).to_be_visible()
    expect(lead.get_by_text("Sound work throughout.")).to_be_visible()
    browser.check(lead, "double-audit-reconcile")

    lead.get_by_role("button", name="Record the agreed grades").click()
    summary = lead.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose the agreed overall grade")
    expect(summary).to_contain_text("Say why these are the agreed grades")
    expect(summary).not_to_contain_text("area of practice")  # each area is named
    browser.check(lead, "double-audit-reconcile-errors")

    lead.get_by_label("Agreed overall grade").select_option("2")
    for select in lead.locator("form#reconcile-form select").all()[1:]:
        if select.input_value() == "":
            select.select_option("2")
    lead.get_by_label("Reason").fill("Reviews were late twice: the second audit is right.")
    lead.get_by_role("button", name="Record the agreed grades").click()
    expect(
        lead.get_by_text(f"Agreed grades recorded for the double audit of {case_ref}.")
    ).to_be_visible()
    reconciliation = Reconciliation.objects.get(sampled_case=first.assignment.sampled_case)
    assert (reconciliation.status, reconciliation.agreed_overall_grade) == ("agreed", 2)
    assert AuditSummary.objects.get(audit=first).final_grade == 2

    page.goto(f"/audits/{second.pk}/")
    expect(page.locator("section.side-by-side")).to_contain_text(
        "Reviews were late twice: the second audit is right."
    )
    browser.check(page, "double-audit-agreed")
