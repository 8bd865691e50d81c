"""The programme through the API: the QA lead and administrators write it, managers and
internal audit read it, and a move or a skip without a reason is a 400 that changes nothing."""

from datetime import date

import pytest
import time_machine

from audits.models import Event, ProgrammeEntry, ProgrammeOccurrence
from tests.test_programme import at, cases_in_both_teams

ENTRIES = "/api/v1/programme-entries/"
MONTHLY = {
    "year": 2027,
    "kind": "random",
    "name": "Monthly random audit",
    "frequency": "monthly",
    "month": 1,
    "day": 3,
    "plan": {"method": "fixed", "n": 10},
}


@pytest.fixture
def council(people, teams):
    cases_in_both_teams(teams)
    return people


@pytest.fixture
def entry(council, client_for):
    with time_machine.travel(at(date(2026, 12, 20)), tick=False):
        response = client_for(council["qa_lead_quinn"]).post(ENTRIES, MONTHLY, format="json")
    assert response.status_code == 201, response.json()
    return ProgrammeEntry.objects.get(pk=response.json()["id"])


def test_the_qa_lead_adds_an_entry_and_it_is_recorded(entry):
    event = Event.objects.get(verb="programme.entry_added")
    assert event.actor.username == "qa_lead_quinn"
    assert event.object_id == str(entry.pk)
    assert entry.plan["n"] == 10
    assert entry.starts_on == date(2026, 12, 20)


def test_a_bad_entry_is_a_400_with_field_errors(council, client_for):
    lead = client_for(council["qa_lead_quinn"])
    response = lead.post(
        ENTRIES,
        {**MONTHLY, "day": 31, "frequency": "weekly", "plan": {"method": "estimation"}},
        format="json",
    )
    assert response.status_code == 400
    assert {"frequency", "plan"} <= set(response.json())
    response = lead.post(ENTRIES, {**MONTHLY, "day": 31}, format="json")
    assert response.status_code == 400
    assert "day" in response.json()
    themed = {**MONTHLY, "kind": "themed"}
    assert lead.post(ENTRIES, themed, format="json").json()["theme"]
    assert not ProgrammeEntry.objects.exists()


@pytest.mark.parametrize("who", ["manager_bob", "auditor_alice", "internal_ian", "outsider_eve"])
def test_no_one_else_writes_the_programme(entry, council, client_for, who):
    client = client_for(council[who])
    assert client.post(ENTRIES, MONTHLY, format="json").status_code == 403
    body = {"scheduled_on": "2027-02-03", "reason": "x"}
    assert client.post(f"{ENTRIES}{entry.pk}/skip/", body, format="json").status_code == 403
    assert client.delete(f"{ENTRIES}{entry.pk}/").status_code == 403
    assert ProgrammeEntry.objects.count() == 1
    assert not ProgrammeOccurrence.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager_bob", 200), ("internal_ian", 200), ("admin_ada", 200), ("auditor_alice", 404)],
)
def test_managers_internal_audit_and_administrators_read_it(
    entry, council, client_for, who, status
):
    client = client_for(council[who])
    assert client.get(f"{ENTRIES}{entry.pk}/").status_code == status
    assert client.get(f"{ENTRIES}calendar/?year=2027").status_code == status


def test_moving_without_a_reason_is_a_400_and_with_one_it_moves(entry, council, client_for):
    lead = client_for(council["qa_lead_quinn"])
    with time_machine.travel(at(date(2027, 1, 10)), tick=False):
        move = f"{ENTRIES}{entry.pk}/move/"
        refused = lead.post(move, {"scheduled_on": "2027-02-03", "to": "2027-02-10"}, format="json")
        assert refused.status_code == 400
        assert "reason" in refused.json()
        assert not Event.objects.filter(verb="programme.moved").exists()
        body = {"scheduled_on": "2027-02-03", "to": "2027-02-10", "reason": "Half term"}
        moved = lead.post(move, body, format="json")
        assert moved.status_code == 200
        february = next(
            row for row in moved.json()["occurrences"] if row["scheduled_on"] == "2027-02-03"
        )
        assert february["makes_on"] == "2027-02-10"
        assert february["reason"] == "Half term"
        skip = f"{ENTRIES}{entry.pk}/skip/"
        assert lead.post(skip, {"scheduled_on": "2027-03-03"}, format="json").status_code == 400
        body = {"scheduled_on": "2027-03-03", "reason": "Ofsted"}
        assert lead.post(skip, body, format="json").status_code == 200
        # Once skipped, it stays skipped: moving it is a conflict.
        body = {"scheduled_on": "2027-03-03", "to": "2027-03-20", "reason": "after all"}
        assert lead.post(move, body, format="json").status_code == 409
        calendar = lead.get(f"{ENTRIES}calendar/?year=2027").json()
    states = {row["scheduled_on"]: row["state"] for row in calendar}
    assert states["2027-01-03"] == "waiting"
    assert states["2027-03-03"] == "skipped"
    assert Event.objects.filter(verb="programme.moved", reason="Half term").count() == 1


def test_a_calendar_of_a_year_out_of_range_is_a_400(entry, council, client_for):
    lead = client_for(council["qa_lead_quinn"])
    assert lead.get(f"{ENTRIES}calendar/?year=abc").status_code == 400
    assert lead.get(f"{ENTRIES}calendar/?year=99999").status_code == 400
