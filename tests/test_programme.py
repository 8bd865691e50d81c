"""The audit programme made real: the beat task walks a year day by day and makes each cycle
once, on its day, after an outage too; moving and skipping need a reason; only an
administrator or the QA lead sets it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from audits.core import programme as core
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.models import Case, Cycle, Event, Notification, ProgrammeEntry, ProgrammeOccurrence
from audits.services import programme as service
from worker.tasks import run_programme

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 7):
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def cases_in_both_teams(teams) -> None:
    """So that only Quinn manages every team that holds cases (Bob manages one)."""
    for number, team in enumerate(("Child Protection One", "Children Looked After")):
        Case.objects.create(
            case_ref=f"C{number}", team=teams[team], case_type="cp", opened_on=date(2025, 1, 1)
        )


@pytest.fixture
def council(people, teams):
    cases_in_both_teams(teams)
    return people


@pytest.fixture
def programme(council, teams):
    """Set on 20 December 2026 by the QA lead: monthly on the 3rd for Child Protection One,
    quarterly from February on the 10th for every team, a themed audit on 3 June."""
    lead = council["qa_lead_quinn"]
    with time_machine.travel(at(date(2026, 12, 20)), tick=False):
        monthly = service.programme_entry_create(
            actor=lead,
            fields={
                "year": 2027,
                "kind": "random",
                "name": "Monthly random audit",
                "frequency": "monthly",
                "month": 1,
                "day": 3,
                "teams": [teams["Child Protection One"]],
                "plan": {"method": "fixed", "n": 8},
                "stratify_by": "team",
            },
        )
        quarterly = service.programme_entry_create(
            actor=lead,
            fields={
                "year": 2027,
                "kind": "random",
                "name": "Quarterly file review",
                "frequency": "quarterly",
                "month": 2,
                "day": 10,
            },
        )
        themed = service.programme_entry_create(
            actor=council["admin_ada"],
            fields={
                "year": 2027,
                "kind": "themed",
                "name": "Voice of the child",
                "month": 6,
                "day": 3,
                "theme": "Voice of the child",
                "case_types": ["cin"],
            },
        )
    return monthly, quarterly, themed


def expected_days(entries) -> dict[date, set[int]]:
    days: dict[date, set[int]] = {}
    for entry in entries:
        for day in core.occurrence_dates(
            core.Entry(entry.pk, entry.kind, entry.year, entry.month, entry.day, entry.frequency)
        ):
            days.setdefault(day, set()).add(entry.pk)
    return days


def made_cycles() -> dict[tuple[int, date], int]:
    return {
        (row.entry_id, row.scheduled_on): row.cycle_id
        for row in ProgrammeOccurrence.objects.filter(cycle__isnull=False)
    }


def test_a_year_walked_day_by_day_makes_each_cycle_once_on_its_day(
    programme, council, django_capture_on_commit_callbacks
):
    expected = expected_days(programme)
    assert expected[date(2027, 6, 3)] == {programme[0].pk, programme[2].pk}  # one day, two
    day = date(2027, 1, 1)
    with time_machine.travel(at(day), tick=False) as traveller:
        while day.year == 2027:
            before = set(made_cycles())
            with django_capture_on_commit_callbacks(execute=True):
                run_programme()
                run_programme()  # a second run the same day makes nothing more
            new = set(made_cycles()) - before
            assert {entry for entry, _ in new} == expected.get(day, set()), day
            assert all(scheduled_on == day for _, scheduled_on in new), day
            day += timedelta(days=1)
            traveller.move_to(at(day))
    made = made_cycles()
    assert len(made) == sum(len(keys) for keys in expected.values()) == 17
    assert Cycle.objects.count() == 17 == len(set(made.values()))
    monthly, quarterly, themed = programme
    march = Cycle.objects.get(pk=made[(monthly.pk, date(2027, 3, 3))])
    assert march.name == "Monthly random audit, March 2027"
    assert (march.period_start, march.period_end) == (date(2027, 2, 1), date(2027, 2, 28))
    assert march.status == Cycle.Status.PLANNED  # ready for the QA lead to draw
    assert list(march.teams.values_list("name", flat=True)) == ["Child Protection One"]
    assert march.plan["n"] == 8
    assert march.stratify_by == "team"
    may = Cycle.objects.get(pk=made[(quarterly.pk, date(2027, 5, 10))])
    assert (may.period_start, may.period_end) == (date(2027, 2, 1), date(2027, 4, 30))
    june = Cycle.objects.get(pk=made[(themed.pk, date(2027, 6, 3))])
    assert june.case_types == ["cin"]
    # Each cycle made leaves its Event, and the QA lead (only) is told, with a link to it.
    assert Event.objects.filter(verb="created", object_type="cycle").count() == 17
    assert Event.objects.filter(verb="programme.cycle_made").count() == 17
    told = Notification.objects.filter(kind="programme_cycle")
    assert set(told.values_list("recipient__username", flat=True)) == {"qa_lead_quinn"}
    assert told.count() == 17
    assert told.filter(link=f"/cycles/{march.pk}/").exists()
    assert any("ready to draw" in message.subject for message in mail.outbox)


def test_an_outage_of_forty_days_is_caught_up_once(programme):
    monthly, quarterly, _ = programme
    with time_machine.travel(at(date(2027, 2, 25)), tick=False) as traveller:
        run_programme()
        assert set(made_cycles()) == {
            (monthly.pk, date(2027, 1, 3)),
            (monthly.pk, date(2027, 2, 3)),
            (quarterly.pk, date(2027, 2, 10)),
        }
        # Nothing runs from 26 February for forty days; the worker is back on 7 April.
        traveller.move_to(at(date(2027, 2, 25) + timedelta(days=41)))
        run_programme()
        run_programme()
    made = made_cycles()
    assert set(made) == {
        (monthly.pk, date(2027, 1, 3)),
        (monthly.pk, date(2027, 2, 3)),
        (quarterly.pk, date(2027, 2, 10)),
        (monthly.pk, date(2027, 3, 3)),
        (monthly.pk, date(2027, 4, 3)),
    }
    assert Cycle.objects.count() == 5


def test_a_second_run_that_finds_the_occurrence_made_makes_nothing(programme):
    """Two workers with the same due list: the second finds the row made and stops."""
    monthly, _, _ = programme
    with time_machine.travel(at(date(2027, 1, 3)), tick=False):
        first = service._make_cycle(monthly, date(2027, 1, 3), date(2027, 1, 3))
        second = service._make_cycle(monthly, date(2027, 1, 3), date(2027, 1, 3))
    assert first is not None
    assert second is None
    assert Cycle.objects.count() == 1


def test_a_moved_audit_is_made_on_its_new_day_and_a_skipped_one_never(programme, council):
    monthly, _, _ = programme
    lead = council["qa_lead_quinn"]
    with time_machine.travel(at(date(2027, 1, 1)), tick=False) as traveller:
        service.programme_occurrence_move(
            actor=lead,
            entry=monthly,
            scheduled_on=date(2027, 2, 3),
            to=date(2027, 2, 17),
            reason="Half term: the team is away",
        )
        service.programme_occurrence_skip(
            actor=lead, entry=monthly, scheduled_on=date(2027, 3, 3), reason="Ofsted inspection"
        )
        for day in (date(2027, 2, 3), date(2027, 2, 16), date(2027, 2, 17), date(2027, 3, 31)):
            traveller.move_to(at(day))
            run_programme()
            if day == date(2027, 2, 16):
                assert (monthly.pk, date(2027, 2, 3)) not in made_cycles()
    made = made_cycles()
    assert (monthly.pk, date(2027, 2, 3)) in made
    assert (monthly.pk, date(2027, 3, 3)) not in made
    moved = Event.objects.get(verb="programme.moved")
    assert moved.reason == "Half term: the team is away"
    assert moved.actor == lead
    assert moved.after["moved_to"] == "2027-02-17"
    assert Event.objects.get(verb="programme.skipped").reason == "Ofsted inspection"


def test_moving_or_skipping_without_a_reason_is_refused_and_changes_nothing(programme, council):
    monthly, _, _ = programme
    lead = council["qa_lead_quinn"]
    with time_machine.travel(at(date(2027, 1, 1)), tick=False):
        with pytest.raises(DomainError) as refused:
            service.programme_occurrence_move(
                actor=lead,
                entry=monthly,
                scheduled_on=date(2027, 2, 3),
                to=date(2027, 2, 9),
                reason="  ",
            )
        assert set(refused.value.fields) == {"reason"}
        with pytest.raises(DomainError) as refused:
            service.programme_occurrence_skip(
                actor=lead, entry=monthly, scheduled_on=date(2027, 2, 3), reason=""
            )
        assert set(refused.value.fields) == {"reason"}
        with pytest.raises(DomainError) as refused:
            service.programme_occurrence_skip(
                actor=lead, entry=monthly, scheduled_on=date(2027, 2, 4), reason="x"
            )
        assert set(refused.value.fields) == {"scheduled_on"}
    assert not ProgrammeOccurrence.objects.exclude(moved_to=None).exists()
    assert not ProgrammeOccurrence.objects.filter(skipped=True).exists()
    assert not Event.objects.filter(verb__in=("programme.moved", "programme.skipped")).exists()


def test_a_made_or_skipped_occurrence_cannot_be_moved(programme, council):
    monthly, _, _ = programme
    lead = council["qa_lead_quinn"]
    with time_machine.travel(at(date(2027, 1, 3)), tick=False):
        run_programme()
        with pytest.raises(StateConflict):
            service.programme_occurrence_skip(
                actor=lead, entry=monthly, scheduled_on=date(2027, 1, 3), reason="late"
            )
        service.programme_occurrence_skip(
            actor=lead, entry=monthly, scheduled_on=date(2027, 2, 3), reason="half term"
        )
        with pytest.raises(StateConflict):
            service.programme_occurrence_move(
                actor=lead,
                entry=monthly,
                scheduled_on=date(2027, 2, 3),
                to=date(2027, 2, 5),
                reason="changed our minds",
            )
        with pytest.raises(StateConflict):
            service.programme_entry_delete(actor=lead, entry=monthly)


@pytest.mark.parametrize("who", ["manager_bob", "auditor_alice", "internal_ian", "outsider_eve"])
def test_only_an_administrator_or_the_qa_lead_sets_the_programme(programme, council, who):
    monthly, _, _ = programme
    person = council[who]
    with pytest.raises(Forbidden):
        service.programme_entry_create(
            actor=person, fields={"year": 2027, "kind": "random", "name": "x", "month": 1}
        )
    with pytest.raises(Forbidden):
        service.programme_occurrence_skip(
            actor=person, entry=monthly, scheduled_on=date(2027, 2, 3), reason="x"
        )
    with pytest.raises(Forbidden):
        service.programme_entry_delete(actor=person, entry=monthly)
    assert ProgrammeEntry.objects.count() == 3


def test_an_entry_added_mid_year_makes_no_cycles_for_days_already_past(council):
    with time_machine.travel(at(date(2027, 6, 15)), tick=False) as traveller:
        entry = service.programme_entry_create(
            actor=council["admin_ada"],
            fields={"year": 2027, "kind": "random", "name": "Monthly", "month": 1, "day": 1},
        )
        run_programme()
        assert Cycle.objects.count() == 0
        traveller.move_to(at(date(2027, 7, 1)))
        run_programme()
    assert set(made_cycles()) == {(entry.pk, date(2027, 7, 1))}
