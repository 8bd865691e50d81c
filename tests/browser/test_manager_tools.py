"""A manager extends a drawn sample from the cycle's page in the browser: a size below the
number drawn meets an error summary that links to the stratum's box; a larger size brings in
the next cases by rank, and the page says so."""

import re
from collections import Counter
from datetime import date

import pytest
from playwright.sync_api import expect

from audits.core.display import stratum_words
from audits.models import Action, Assignment, Audit, SampledCase, Staff
from tests.browser import scenarios
from tests.browser.conftest import fill_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_extends_the_sample_of_a_stratum(browser):
    cycle = scenarios.assigned_cycle(name="Winter case audit", n=12)
    drawn = Counter(
        SampledCase.objects.filter(cycle=cycle, status="selected").values_list("stratum", flat=True)
    )
    sizes = cycle.frame.strata_sizes
    stratum = next(s for s in sorted(sizes) if sizes[s] >= drawn[s] + 2 and drawn[s] >= 1)
    rows_before = SampledCase.objects.filter(cycle=cycle, status="selected").count()

    page = browser.signed_in("qa.lead")
    page.goto(f"/cycles/{cycle.pk}/")
    expect(page.get_by_role("heading", name="Extend the sample")).to_be_visible()
    words = stratum_words(stratum)  # the boxes are labelled in words: "Child in need"
    size = page.get_by_label(words, exact=True)
    size.fill("0")
    page.get_by_role("button", name="Extend the sample").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    message = f"The new size of {words} must be a whole number of at least {drawn[stratum]}"
    expect(summary).to_contain_text(message)
    browser.check(page, "manager-cycle-extend-errors")
    summary.get_by_role("link", name=message).click()
    expect(page.get_by_label(words, exact=True)).to_be_focused()

    page.get_by_label(words, exact=True).fill(str(drawn[stratum] + 2))
    page.get_by_label("Why the sample is extended").fill("Too few to say anything")
    page.get_by_role("button", name="Extend the sample").click()
    expect(page.get_by_text("2 cases added to the sample")).to_be_visible()
    expect(page.locator("#sample-heading")).to_have_text(
        f"The sample: {rows_before + 2} case files"
    )
    expect(page.get_by_role("button", name="Assign 2 cases to auditors")).to_be_visible()
    browser.check(page, "manager-cycle-extended")


def test_a_manager_agrees_an_action_and_moves_an_absent_auditors_audits(browser):
    cycle = scenarios.assigned_cycle(name="Winter case audit", n=12)
    audit = scenarios.first_audit(cycle)
    Audit.objects.filter(pk=audit.pk).update(status="submitted")
    page = browser.signed_in("qa.lead")
    page.goto("/actions/")
    page.get_by_role("link", name="Agree an action").click()
    page.get_by_role("button", name="Agree the action").click()
    expect(page.locator(".error-summary")).to_be_focused()
    browser.check(page, "manager-action-new-errors")
    # The audit is found by its case: a reference box that suggests cases as you type.
    case_ref = audit.assignment.sampled_case.case.case_ref
    page.get_by_label("Case reference").fill(case_ref[:-1])
    expect(page.locator(f"#action-case-refs option[value='{case_ref}']")).to_have_count(1)
    page.get_by_label("Case reference").fill(case_ref)
    page.get_by_label("Owner").select_option(index=1)
    page.get_by_label("What needs to be done").fill("Record the child's wishes and feelings")
    page.get_by_label("High").check()
    fill_date(page, "Due date", date(2030, 1, 31))
    page.get_by_role("button", name="Agree the action").click()
    expect(page.get_by_text("Record the child's wishes and feelings")).to_be_visible()

    away = audit.assignment.auditor
    page.goto(f"/cycles/{cycle.pk}/assignment/")
    page.get_by_label("Auditor who is unavailable").select_option(str(away.pk))
    page.get_by_role("button", name="Move their unstarted audits").click()
    expect(page.get_by_text(f"{away.name} is marked unavailable.")).to_be_visible()
    assert page.url.endswith(f"/cycles/{cycle.pk}/assignment/")  # back on the form's page
    browser.check(page, "manager-cycle-auditor-unavailable")


def test_a_case_with_two_audits_asks_which_one_the_action_follows(browser):
    cycle = scenarios.assigned_cycle(name="Winter case audit", n=12)
    audit = scenarios.first_audit(cycle)
    Audit.objects.filter(pk=audit.pk).update(status="submitted")
    other_auditor = (
        Staff.objects.filter(user__groups__name="auditor")
        .exclude(pk=audit.assignment.auditor_id)
        .first()
    )
    second, _ = Assignment.objects.get_or_create(
        sampled_case=audit.assignment.sampled_case,
        role="second",
        defaults={"auditor": other_auditor},
    )
    Audit.objects.update_or_create(
        assignment=second, defaults={"template": audit.template, "status": "in_progress"}
    )
    page = browser.signed_in("qa.lead")
    page.goto("/actions/new/")
    page.get_by_label("Case reference").fill(audit.assignment.sampled_case.case.case_ref)
    page.get_by_label("What needs to be done").fill("Record the child's wishes and feelings")
    fill_date(page, "Due date", date(2030, 1, 31))
    page.get_by_role("button", name="Agree the action").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(
        page.get_by_text("has 2 audits: choose the one the action follows from").first
    ).to_be_visible()
    browser.check(page, "manager-action-new-which-audit")
    page.get_by_label(re.compile("second audit by")).check()
    page.get_by_role("button", name="Agree the action").click()
    expect(page.get_by_text("Record the child's wishes and feelings")).to_be_visible()
    assert Action.objects.get().audit.assignment == second
