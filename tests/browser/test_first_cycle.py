"""A new QA lead's first cycle, scripted end to end in the browser: sign in, start a cycle,
plan it, draw it (confirming), assign it, and moderate the first audit that comes in. The
test counts what the person does (page loads, clicks, fields typed into) and writes the
counts to artifacts/first_cycle.json, so a change that adds steps shows in CI."""

import json
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from audits.core import grading
from audits.models import Audit, Cycle
from audits.services import audits as audit_service
from tests.browser import scenarios
from tests.browser.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
COUNTS = ROOT / "artifacts" / "first_cycle.json"


class Counted:
    """The person's actions on a page, counted as they happen."""

    def __init__(self, page):
        self.page, self.loads, self.clicks, self.typed = page, 0, 0, 0
        page.on("load", self._loaded)

    def _loaded(self, _page):
        self.loads += 1

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def check(self, locator):
        self.clicks += 1
        locator.check()

    def fill(self, locator, text: str):
        self.typed += 1
        locator.fill(text)

    def fill_date(self, label: str, value: date):
        """A date as the page asks it: day, month and year boxes, or one date field."""
        group = self.page.get_by_role("group", name=label)
        if group.count() and group.get_by_label("Day").count():
            for part, number in (("Day", value.day), ("Month", value.month), ("Year", value.year)):
                self.fill(group.get_by_label(part), str(number))
        else:
            self.fill(self.page.get_by_label(label, exact=True), value.isoformat())


def _auditors_submit_until_one_awaits_moderation(cycle: Cycle) -> Audit:
    """Off the script: auditors grade and submit, until one audit is picked for moderation
    (the others go straight to final). Which "good" audits the random share picks depends on
    the draw's seed, so the last one, if none was picked, is graded inadequate: every such
    audit is moderated."""
    audits = list(
        Audit.objects.filter(
            assignment__sampled_case__cycle=cycle,
            status="assigned",
            assignment__auditor__user__username__startswith="auditor.",
        ).order_by("pk")
    )
    for number, audit in enumerate(audits, start=1):
        _submit(audit, grade=1 if number == len(audits) else 3)
        if Audit.objects.get(pk=audit.pk).status == "submitted":
            return audit
    raise AssertionError("no audit was picked for moderation")


def _submit(audit: Audit, grade: int = 3) -> None:
    answers = {}
    for question in grading.questions(audit.template.definition):
        if question["kind"] == "grade":
            answers[question["key"]] = grade
        elif question["kind"] == "yes_no_na":
            answers[question["key"]] = "yes"
        elif question["kind"] == "choice":
            answers[question["key"]] = question["choices"][0]
    user = audit.assignment.auditor.user
    saved = audit_service.audit_save(
        audit=audit,
        actor=user,
        version=audit.version,
        changes={
            "answers": answers,
            "overall_grade": grade,
            "rationale": "Good work, well recorded" if grade > 1 else "Too little recorded",
            "themes": audit.template.themes[:1],
        },
    )
    audit_service.audit_submit(audit=saved, actor=user, version=saved.version)


def test_a_new_qa_lead_runs_a_first_cycle(browser):
    scenarios.demo_council()
    page = browser.page()
    me = Counted(page)
    main_menu = page.get_by_role("navigation", name="Main")

    # Sign in.
    page.goto("/accounts/login/")
    me.loads = 1  # the address typed in
    me.fill(page.get_by_label("Username"), scenarios.LEAD)
    me.fill(page.get_by_label("Password"), scenarios.PASSWORD)
    me.click(page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{browser.base_url}/")

    # A cycle.
    me.click(main_menu.get_by_role("link", name="Cycles"))
    me.click(page.get_by_role("link", name="Start a new cycle"))
    me.fill(page.get_by_label("Name"), "First quarter audit")
    today = date.today()
    me.fill_date("Period starts", today - timedelta(days=90))
    me.fill_date("Period ends", today)
    me.fill(page.get_by_label("Sample size"), "12")
    me.click(page.get_by_role("button", name="Create the cycle"))
    expect(page.get_by_role("heading", name="First quarter audit")).to_be_visible()
    cycle = Cycle.objects.get(name="First quarter audit")
    browser.check(page, "first-cycle-created")

    # Plan: enough cases to estimate good-or-better to within 25 points.
    me.check(page.get_by_label(re.compile("Enough to estimate how many audits")))
    me.fill(page.get_by_label("Margin of error (%)"), "25")
    me.click(page.get_by_role("button", name="Save the plan"))
    expect(page.locator(".notification-banner")).to_be_focused()
    expect(page.locator("#plan-sentence")).to_contain_text("to within 25% either way")
    browser.check(page, "first-cycle-planned")

    # Draw, after the page that says what cannot be undone.
    me.click(page.get_by_role("button", name="Draw the sample"))
    expect(page.get_by_role("heading", name="What cannot be undone")).to_be_visible()
    browser.check(page, "first-cycle-draw-confirm")
    me.check(page.get_by_label(re.compile("the sample is drawn once")))
    me.click(page.get_by_role("button", name=re.compile(r"Draw \d+ cases now")))
    expect(page.locator(".notification-banner")).to_contain_text("Sample drawn")
    browser.check(page, "first-cycle-drawn")

    # Assign.
    me.click(page.get_by_role("button", name=re.compile(r"Assign \d+ cases? to auditors")))
    expect(page.locator(".notification-banner")).to_contain_text("cases assigned")
    expect(page.get_by_role("button", name=re.compile(r"Assign \d+"))).to_have_count(0)
    browser.check(page, "first-cycle-assigned")

    # The first moderation.
    audit = _auditors_submit_until_one_awaits_moderation(cycle)
    me.click(main_menu.get_by_role("link", name="Moderation"))
    case_ref = audit.assignment.sampled_case.case.case_ref
    me.click(page.locator("table").first.get_by_role("link", name=case_ref))
    me.check(page.get_by_label("Agree"))
    me.click(page.get_by_role("button", name="Record the decision"))
    expect(page.locator(".notification-banner")).to_contain_text("Moderation recorded")
    assert Audit.objects.get(pk=audit.pk).status == "final"
    browser.check(page, "first-cycle-moderated")

    counts = {"page_loads": me.loads, "clicks": me.clicks, "fields_typed": me.typed}
    COUNTS.parent.mkdir(parents=True, exist_ok=True)
    COUNTS.write_text(json.dumps(counts) + "\n")
    print("first cycle:", json.dumps(counts))
    # A ceiling, so steps added by a change are noticed (today: see the JSON above).
    assert counts["page_loads"] <= 14
    assert counts["clicks"] <= 14
