"""The QA lead's audit programme in the browser: the calendar of the year with the cycles the
programme made (linked), a skipped date with its reason, and a date moved through the form
(a move to 31 February without a reason meets both errors in the summary first)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from audits.models import ProgrammeEntry, Team
from audits.services import programme as service
from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Far enough ahead that the session cookie, set by the travelled server, is still in the
# browser's future whenever the suite runs.
TODAY = datetime(2040, 9, 15, 10, tzinfo=ZoneInfo("Europe/London"))


def programme_of_2040():
    lead = scenarios.person(scenarios.LEAD)
    team = Team.objects.exclude(name="Quality Assurance").order_by("name").first()
    entries = [
        service.programme_entry_create(
            actor=lead,
            fields={
                "year": 2040,
                "kind": "random",
                "name": "Monthly random audit",
                "frequency": "monthly",
                "month": 1,
                "day": 3,
                "teams": [team],
                "plan": {"method": "fixed", "n": 8},
            },
        ),
        service.programme_entry_create(
            actor=lead,
            fields={
                "year": 2040,
                "kind": "random",
                "name": "Quarterly file review",
                "frequency": "quarterly",
                "month": 1,
                "day": 10,
            },
        ),
        service.programme_entry_create(
            actor=lead,
            fields={
                "year": 2040,
                "kind": "themed",
                "name": "Voice of the child",
                "month": 6,
                "day": 3,
                "theme": "Voice of the child",
            },
        ),
    ]
    # As if set the December before: every date of the year counts.
    ProgrammeEntry.objects.update(starts_on=date(2039, 12, 1))
    service.programme_occurrence_skip(
        actor=lead,
        entry=entries[0],
        scheduled_on=date(2040, 3, 3),
        reason="Ofsted inspection that week",
    )
    service.programme_run()
    return entries


def test_the_qa_lead_reads_the_calendar_and_moves_a_date(browser):
    scenarios.demo_council(cases=60)
    with time_machine.travel(TODAY, tick=True):
        monthly, _, _ = programme_of_2040()
        page = browser.signed_in(scenarios.LEAD)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Programme").click()
        page.goto("/programme/?year=2040")
        expect(page.get_by_role("heading", name="Audit programme 2040")).to_be_visible()
        expect(page.get_by_text("Reason: Ofsted inspection that week")).to_be_visible()
        expect(page.get_by_role("link", name="Open the cycle").first).to_be_visible()

        row = page.locator(f"#occurrence-{monthly.pk}-2040-10-03")
        row.get_by_role("link", name="Move or skip").click()
        expect(
            page.get_by_role("heading", name="Move or skip Monthly random audit")
        ).to_be_visible()
        page.get_by_label("Move it to another day").check()
        new_date = page.get_by_role("group", name="New date (if you move it)")
        new_date.get_by_label("Day").fill("31")
        new_date.get_by_label("Month").fill("2")
        new_date.get_by_label("Year").fill("2041")
        page.get_by_role("button", name="Save the change").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        # Both mistakes at once, each linked to its field and said again beside it.
        expect(summary.get_by_role("link")).to_have_text(
            ["The new date must be a real date", "Say why the audit is moved"]
        )
        expect(page.locator("#to-error")).to_contain_text("The new date must be a real date")
        expect(new_date.get_by_label("Day")).to_have_value("31")
        browser.check(page, "programme-move-errors")
        summary.get_by_role("link", name="The new date must be a real date").click()
        expect(new_date.get_by_label("Day")).to_be_focused()
        summary.get_by_role("link", name="Say why the audit is moved").click()
        expect(page.get_by_label("Reason")).to_be_focused()

        new_date.get_by_label("Day").fill("17")
        new_date.get_by_label("Month").fill("10")
        new_date.get_by_label("Year").fill("2040")
        page.get_by_label("Reason").fill("Half term: the team is away")
        page.get_by_role("button", name="Save the change").click()
        expect(page.get_by_text("the date is moved")).to_be_visible()
        moved = page.locator(f"#occurrence-{monthly.pk}-2040-10-03")
        expect(moved).to_contain_text("17 October")
        expect(moved).to_contain_text("moved from 3 October")
        expect(moved).to_contain_text("Reason: Half term: the team is away")
        browser.check(page, "programme-calendar")

        page.get_by_role("link", name="Add an audit to the programme").click()
        page.get_by_role("button", name="Add to the programme").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Choose a recurring random audit or a themed audit")
        expect(summary).to_contain_text("Enter a name for the audit")
        browser.check(page, "programme-new-errors")
