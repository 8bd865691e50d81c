"""Issue 16 items 1 and 9 in the browser: the cycle page and the sampling record read in
words (case types, strata, rules), a form with two mistakes shows both in one focused error
summary whose links land on the fields, and dates are typed as day, month and year."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from audits.models import Cycle, SampledCase, Staff
from audits.services import assignment, sample
from tests.browser import scenarios
from tests.browser.conftest import fill_date
from tests.builders import known_server_random

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DASH = "\N{EN DASH}"
CODES = re.compile(
    rf"(?<![\w/-])(cin|cp|cla|care_leaver|early_help)(?![\w/-])|\bR[1-5]\b(?! {DASH})"
)


def by_team_and_type() -> Cycle:
    cycle = scenarios.planned_cycle(name="Words audit", n=16)
    Cycle.objects.filter(pk=cycle.pk).update(stratify_by="team_case_type")
    cycle.refresh_from_db()
    lead = scenarios.person(scenarios.LEAD)
    with known_server_random("browser-words"):
        sample.sample_draw(cycle=cycle, actor=lead)
    assignment.cycle_assign(cycle=cycle, actor=lead)
    for item in SampledCase.objects.filter(cycle=cycle).select_related("case"):
        same_team = Staff.objects.filter(team=item.case.team, user__groups__name="auditor")
        if same_team.exists():
            assignment.assignment_override(
                sampled_case=item,
                auditor=same_team.first(),
                role="primary",
                actor=lead,
                reason="Only auditor trained for this case type",
            )
            break
    cycle.refresh_from_db()
    return cycle


def test_the_cycle_page_and_the_sampling_record_read_in_words(browser):
    cycle = by_team_and_type()
    strata = list(cycle.frame.strata_sizes)
    page = browser.signed_in(scenarios.LEAD)
    page.goto(f"/cycles/{cycle.pk}/")
    text = page.locator("main").inner_text()
    assert not CODES.search(text), CODES.search(text)
    assert not [label for label in strata if label in text]
    expect(page.locator("#rules-in-force")).to_contain_text(
        f"R1 {DASH} the auditor must not work in the case's current team"
    )
    browser.check(page, "words-cycle-page")
    for sub_page in ("sample", "assignment"):
        page.goto(f"/cycles/{cycle.pk}/{sub_page}/")
        text = page.locator("main").inner_text()
        assert not CODES.search(text), (sub_page, CODES.search(text))
        assert not [label for label in strata if label in text], sub_page

    internal = browser.signed_in("internal.audit")
    internal.goto(f"/assurance/cycles/{cycle.pk}/sampling/")
    text = internal.locator("main").inner_text()
    assert not CODES.search(text), CODES.search(text)
    assert not [label for label in strata if label in text]
    browser.check(internal, "words-sampling-record")


def test_two_mistakes_and_a_date_that_does_not_exist(browser):
    scenarios.demo_council()
    page = browser.signed_in(scenarios.LEAD)
    page.goto("/cycles/new/")
    expect(page.get_by_role("checkbox", name="Care leaver", exact=True)).to_be_visible()
    fill_date(page, "Period starts", date(2026, 4, 1))
    group = page.get_by_role("group", name="Period starts")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    page.get_by_label("Sample size").fill("lots")
    page.get_by_role("button", name="Create the cycle").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [
            "Enter a name for the cycle",
            "The start of the period must be a real date",
            "Enter the end of the period",
            "The sample size must be a whole number, like 60",
        ]
    )
    expect(page.locator("#period_start-error")).to_contain_text(
        "The start of the period must be a real date"
    )
    browser.check(page, "words-new-cycle-two-mistakes")
    summary.get_by_role("link", name="The start of the period must be a real date").click()
    expect(page.locator("#period_start")).to_be_focused()

    page.get_by_label("Name").fill("Spring thematic audit")
    fill_date(page, "Period starts", date(2026, 4, 1))
    fill_date(page, "Period ends", date(2026, 6, 30))
    page.get_by_label("Sample size").fill("8")
    page.get_by_role("button", name="Create the cycle").click()
    expect(page.get_by_role("heading", name="Spring thematic audit")).to_be_visible()
    cycle = Cycle.objects.get(name="Spring thematic audit")
    assert (cycle.period_start, cycle.period_end) == (date(2026, 4, 1), date(2026, 6, 30))


def test_an_action_due_on_a_day_that_does_not_exist(browser):
    cycle = scenarios.assigned_cycle(name="Actions audit", n=12)
    audit = scenarios.first_audit(cycle)
    audit.status = "submitted"
    audit.save(update_fields=["status"])
    page = browser.signed_in(scenarios.LEAD)
    page.goto(f"/actions/new/?audit={audit.pk}")
    page.get_by_label("What needs to be done").fill("Record the child's wishes and feelings")
    page.get_by_label("Owner").select_option(index=1)
    page.get_by_label("High").check()
    group = page.get_by_role("group", name="Due date")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    group.get_by_label("Year").fill("2030")
    page.get_by_role("button", name="Agree the action").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("The due date must be a real date")
    expect(group.get_by_label("Day")).to_have_value("31")
    browser.check(page, "words-action-due-date-error")


def test_internal_audit_chooses_periods_by_day_month_and_year(browser):
    cycle, _report = scenarios.reported_cycle()
    page = browser.signed_in("internal.audit")
    page.goto("/assurance/")
    expect(page.locator("#assurance-table")).to_contain_text(cycle.name)
    fill_date(page, "Periods ending on or after", date(2999, 1, 1))
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#assurance-table")).to_have_count(0)
    expect(
        page.get_by_role("group", name="Periods ending on or after").get_by_label("Year")
    ).to_have_value("2999")

    page.goto("/assurance/")
    fill_date(page, "Periods starting on or before", cycle.period_start)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#assurance-table")).to_contain_text(cycle.name)

    group = page.get_by_role("group", name="Periods ending on or after")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    group.get_by_label("Year").fill("2026")
    page.get_by_role("group", name="Periods starting on or before").get_by_label("Month").fill("")
    page.get_by_role("button", name="Show").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "The earliest period end must be a real date",
            "The latest period start must include a month",
        ]
    )
    expect(page.locator("#period_from-error")).to_contain_text("must be a real date")
    expect(group.get_by_label("Day")).to_have_value("31")
    browser.check(page, "words-assurance-period-error")
    summary.get_by_role("link", name="The earliest period end must be a real date").click()
    expect(page.locator("#period_from")).to_be_focused()
