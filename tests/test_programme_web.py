"""The programme's pages: the QA lead adds an audit, moves and skips dates with a reason,
and the calendar shows the year (made cycles linked, moves and skips with their reasons)."""

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audits.models import Event, ProgrammeEntry, ProgrammeOccurrence
from audits.services import programme as service
from tests.test_programme import at, cases_in_both_teams
from worker.tasks import run_programme

NEW = {
    "kind": "random",
    "name": "Monthly random audit",
    "year": "2027",
    "frequency": "monthly",
    "month": "1",
    "day": "3",
    "teams": ["Child Protection One"],
    "stratify_by": "none",
    "n": "12",
}


@pytest.fixture
def council(people, teams):
    cases_in_both_teams(teams)
    return people


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lead(council):
    # Signed in afresh on each travelled day: a session left idle for days has expired.
    return lambda: signed_in(council["qa_lead_quinn"])


@pytest.fixture
def entry(lead):
    with time_machine.travel(at(date(2026, 12, 20)), tick=False):
        response = lead().post("/programme/new/", NEW)
    assert response.status_code == 302
    assert response["Location"] == "/programme/?year=2027"
    return ProgrammeEntry.objects.get()


def test_the_qa_lead_adds_an_audit_from_the_page(entry):
    assert entry.plan["n"] == 12
    assert list(entry.teams.values_list("name", flat=True)) == ["Child Protection One"]
    assert Event.objects.filter(verb="programme.entry_added", actor__username="qa_lead_quinn")


def test_a_bad_entry_shows_every_problem_and_adds_nothing(lead):
    lead = lead()
    bad = {**NEW, "kind": "themed", "day": "30", "n": "none", "name": ""}
    response = lead.post("/programme/new/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert '<a href="#name">Enter a name for the audit</a>' in page
    assert '<a href="#n">The sample size must be a whole number, like 20</a>' in page
    assert 'id="name-error"><span class="visually-hidden">Error:</span> Enter a name' in page
    assert not ProgrammeEntry.objects.exists()
    # With the types right, the rules speak: the day, and a themed audit's theme.
    response = lead.post("/programme/new/", {**NEW, "kind": "themed", "day": "30"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "so it falls in every month" in page
    assert "Name the theme" in page


def test_moving_needs_a_reason_then_the_calendar_shows_it(entry, lead):
    change = f"/programme/{entry.pk}/change/"
    with time_machine.travel(at(date(2027, 1, 10)), tick=False):
        lead = lead()
        form = lead.get(change + "?on=2027-02-03")
        assert form.status_code == 200
        assert re.search(r'value="2027-02-03" id="[\w-]+" checked', form.content.decode())
        body = {"scheduled_on": "2027-02-03", "change": "move"}
        body |= {"to_day": "12", "to_month": "2", "to_year": "2027"}
        refused = lead.post(change, body)
        assert refused.status_code == 400
        assert '<a href="#reason">Say why the audit is moved</a>' in refused.content.decode()
        assert not ProgrammeOccurrence.objects.exclude(moved_to=None).exists()
        moved = lead.post(change, {**body, "reason": "Half term"})
        assert moved.status_code == 302
        skipped = lead.post(change, {"scheduled_on": "2027-03-03", "change": "skip"})
        assert skipped.status_code == 400
        assert '<a href="#reason">Say why the audit is skipped</a>' in skipped.content.decode()
        body = {"scheduled_on": "2027-03-03", "change": "skip", "reason": "Ofsted"}
        assert lead.post(change, body).status_code == 302
        run_programme()
        calendar = lead.get("/programme/?year=2027").content.decode()
    made = ProgrammeOccurrence.objects.get(scheduled_on=date(2027, 1, 3))
    assert f'href="/cycles/{made.cycle_id}/"' in calendar
    assert "moved from 3 February" in calendar
    assert "Reason: Half term" in calendar
    assert "Skipped" in calendar
    assert "Reason: Ofsted" in calendar
    assert Event.objects.filter(verb="programme.moved", reason="Half term").exists()
    assert Event.objects.filter(verb="programme.skipped", reason="Ofsted").exists()


@pytest.mark.parametrize("who", ["manager_bob", "auditor_alice", "internal_ian", "outsider_eve"])
def test_no_one_else_changes_the_programme_from_the_pages(entry, council, who):
    client = signed_in(council[who])
    assert client.get("/programme/new/").status_code == 404
    assert client.post("/programme/new/", NEW).status_code == 404
    body = {"scheduled_on": "2027-02-03", "change": "skip", "reason": "x"}
    assert client.post(f"/programme/{entry.pk}/change/", body).status_code == 404
    assert ProgrammeEntry.objects.count() == 1
    assert not ProgrammeOccurrence.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager_bob", 200), ("internal_ian", 200), ("admin_ada", 200), ("auditor_alice", 404)],
)
def test_the_calendar_is_for_managers_internal_audit_and_administrators(
    entry, council, who, status
):
    response = signed_in(council[who]).get("/programme/?year=2027")
    assert response.status_code == status
    if status == 200:
        assert "Monthly random audit" in response.content.decode()
        assert ("Move or skip" in response.content.decode()) == (who == "admin_ada")


def test_the_calendar_reads_a_few_queries_however_many_audits(council, teams):
    lead_user = council["qa_lead_quinn"]

    def add(count):
        for number in range(count):
            service.programme_entry_create(
                actor=lead_user,
                fields={
                    "year": 2027,
                    "kind": "random",
                    "name": f"Audit {number}",
                    "month": 1,
                    "teams": [teams["Child Protection One"]],
                },
            )

    def queries() -> int:
        client = signed_in(lead_user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/programme/?year=2027").status_code == 200
            assert client.get("/api/v1/programme-entries/calendar/?year=2027").status_code == 200
            assert client.get("/api/v1/programme-entries/?year=2027").status_code == 200
        return len(captured)

    add(1)
    few = queries()
    add(9)
    assert queries() == few


def test_a_move_to_the_31st_of_february_and_no_reason_shows_both_errors(entry, lead):
    change = f"/programme/{entry.pk}/change/"
    with time_machine.travel(at(date(2027, 1, 10)), tick=False):
        lead = lead()
        form = lead.get(change).content.decode()
        for box in ('for="to">Day', 'for="to_month">Month', 'for="to_year">Year'):
            assert box in form
        # The date to change is a choice of the entry's dates, in words.
        assert re.search(
            r'value="2027-02-03" id="[\w-]+"><label for="[\w-]+">3 February 2027', form
        )
        body = {"scheduled_on": "2027-02-03", "change": "move"}
        wrong = lead.post(change, body | {"to_day": "31", "to_month": "2", "to_year": "2027"})
        assert wrong.status_code == 400
        page = wrong.content.decode()
        assert '<a href="#to">The new date must be a real date</a>' in page
        assert '<a href="#reason">Say why the audit is moved</a>' in page
        assert 'id="to-error"><span class="visually-hidden">Error:</span> The new date must' in page
        assert 'id="to" value="31"' in page  # what was typed stays
        past = {"to_day": "9", "to_month": "1", "to_year": "2027", "reason": "Half term"}
        late = lead.post(change, body | past).content.decode()
        assert '<a href="#to">The new date must be today or in the future</a>' in late
        blank = lead.post(change, body | {"reason": "Half term"})
        assert '<a href="#to">Enter the new date</a>' in blank.content.decode()
        neither = lead.post(change, {"scheduled_on": "2027-02-30", "reason": "x"})
        page = neither.content.decode()
        assert '<a href="#scheduled_on">Choose which date to change</a>' in page
        assert '<a href="#change">Choose whether to move the audit or skip it</a>' in page
    assert not ProgrammeOccurrence.objects.exists()
    assert not Event.objects.filter(verb__in=["programme.moved", "programme.skipped"]).exists()


def test_the_pages_say_kinds_case_types_and_strata_in_words(lead):
    lead = lead()
    form = lead.get("/programme/new/").content.decode()
    assert ">Care leaver</label>" in form
    assert ">By team and case type</option>" in form
    assert ">Every three months</option>" in form
    assert ">January</option>" in form
    themed = {**NEW, "kind": "themed", "name": "Leaving care", "case_types": ["care_leaver"]}
    assert lead.post("/programme/new/", themed).status_code == 302
    calendar = lead.get("/programme/?year=2027").content.decode()
    assert "Case types: Care leaver" in calendar
    assert "care_leaver" not in calendar.replace('value="care_leaver"', "")
    assert "Recurring random audit, every month" not in calendar  # only the themed one
    wrong = lead.post("/programme/new/", {"kind": "monthly", "stratify_by": "x"})
    page = wrong.content.decode()
    assert '<a href="#kind">Choose a recurring random audit or a themed audit</a>' in page
    assert '<a href="#stratify_by">Choose how to divide the cases into strata</a>' in page
