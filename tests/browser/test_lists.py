"""Lists that scale, in the browser: a cycle of 60 cases paged 50 at a time, searched by
case reference, the cases no auditor could take summarised by reason with a total, a
picker that searches as you type and shows each person's team; and the other list pages,
each checked with axe and photographed."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits.models import Audit, Staff
from audits.services import assignment, sample
from tests.browser import scenarios
from tests.builders import known_server_random

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _crowded_cycle():
    """60 cases drawn; the auditors' capacity cut so that some cannot be assigned."""
    cycle = scenarios.planned_cycle("Winter case audit", n=60)
    Staff.objects.filter(user__groups__name="auditor").update(capacity=2)
    with known_server_random("lists"):
        sample.sample_draw(cycle=cycle, actor=scenarios.person("qa.lead"))
    assignment.cycle_assign(cycle=cycle, actor=scenarios.person("qa.lead"))
    cycle.refresh_from_db()
    return cycle


def test_the_cycle_page_pages_searches_and_summarises(browser):
    cycle = _crowded_cycle()
    unassignable = len(cycle.assignment_summary["unassignable"])
    assert unassignable > 0
    page = browser.signed_in("qa.lead")
    page.goto(f"/cycles/{cycle.pk}/")
    browser.check(page, "lists-cycle-hub")
    page.get_by_role("navigation", name="Cycle steps").get_by_role("link", name="Sample").click()
    expect(page.locator("#sample .list-count")).to_have_text(
        re.compile(r"Showing 1 to 50 of 6\d cases")
    )
    expect(page.locator("#sample-table tbody tr")).to_have_count(50)
    browser.check(page, "lists-cycle-page-1")

    page.locator("#sample").get_by_role("link", name="Next").click()
    expect(page.locator("#sample .list-count")).to_have_text(
        re.compile(r"Showing 51 to 6\d of 6\d")
    )
    browser.check(page, "lists-cycle-page-2")

    ref = cycle.sampled_cases.order_by("rank").first().case.case_ref
    page.get_by_label("Case reference").first.fill(ref)
    page.get_by_role("button", name="Show cases").first.click()
    expect(page.locator("#sample-table tbody tr")).to_have_count(1)
    expect(page.locator("#sample-table")).to_contain_text(ref)

    # The assignment's page: the cases no auditor could take, their total first.
    steps = page.get_by_role("navigation", name="Cycle steps")
    steps.get_by_role("link", name="Assignment").click()
    expect(page.locator("#unassignable-total")).to_contain_text(
        f"{unassignable} case{'s' if unassignable != 1 else ''} could not be assigned"
    )
    browser.check(page, "lists-cycle-assignment")

    # The auditor picker: typing part of a name keeps only the matching people, each
    # shown with their team.
    person = Staff.objects.filter(user__username="auditor.1").select_related("team").get()
    page.goto(f"/cycles/{cycle.pk}/assignment/#override")
    search = page.get_by_label("Search by name, team or staff reference")
    search.fill(person.name.split()[-1])
    options = page.locator("#override_auditor option:not([value=''])")
    expect(options.first).to_contain_text(person.team.name)
    assert options.count() < Staff.objects.filter(user__groups__name="auditor").count()
    browser.check(page, "lists-cycle-override-picker")


def test_the_other_list_pages_pass_axe(browser):
    cycle = scenarios.assigned_cycle("Spring case audit", n=30)
    audits = Audit.objects.filter(assignment__sampled_case__cycle=cycle).order_by("pk")
    Audit.objects.filter(pk__in=[a.pk for a in audits[:8]]).update(
        status="submitted", submitted_at=timezone.now(), overall_grade=2
    )
    lead = browser.signed_in("qa.lead")
    for path, name in (
        ("/cycles/", "lists-cycles"),
        ("/moderation/", "lists-moderation"),
        ("/actions/", "lists-actions"),
        ("/actions/new/", "lists-action-new"),
        ("/escalations/", "lists-escalations"),
        ("/responses/", "lists-responses"),
        (f"/cycles/{cycle.pk}/reports/", "lists-cycle-reports"),
    ):
        lead.goto(path)
        expect(lead.locator("h1")).to_be_visible()
        browser.check(lead, name)
    lead.goto("/moderation/?page=1&q=C")
    expect(lead.locator(".list-count").first).to_be_visible()
    auditor = browser.signed_in("auditor.1")
    auditor.goto("/audits/")
    browser.check(auditor, "lists-my-audits")
    reader = browser.signed_in("internal.audit")
    reader.goto("/assurance/")
    browser.check(reader, "lists-assurance")
    reader.goto(f"/assurance/cycles/{cycle.pk}/sampling/")
    browser.check(reader, "lists-sampling-record")
