"""The beat task's action reminders: due soon once, overdue once a week, never for closed
actions, and an overdue action's team managers are told too."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from audits.models import Action, Case, Staff
from audits.services.actions import actions_remind

LONDON = ZoneInfo("Europe/London")
TODAY = date(2025, 11, 3)  # a Monday


@pytest.fixture
def actions(people, teams):
    cp = teams["Child Protection One"]
    case = Case.objects.create(case_ref="C900001", team=cp, case_type="cp", opened_on=TODAY)
    owner = Staff.objects.create(
        staff_ref="SW-OWNER", name="Sam Worker", email="sam@council.example", team=cp
    )

    def make(description, due_in_days, status=Action.Status.OPEN):
        return Action.objects.create(
            case=case,
            team=cp,
            owner=owner,
            description=description,
            due_date=TODAY + timedelta(days=due_in_days),
            status=status,
            created_by=people["qa_lead_quinn"],
        )

    return {
        "soon": make("Update the plan", 2),
        "later": make("Review contact", 10),
        "overdue": make("Hold the strategy meeting", -1),
        "done": make("Already done", -5, Action.Status.DONE),
        "verified": make("Long finished", 1, Action.Status.VERIFIED),
    }


def at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def sent_to(message) -> set[str]:
    return set(message.to) | set(message.cc) | set(message.bcc)


def reminded(actions, since: int) -> list[tuple[str, str]]:
    """(kind, action name) of the reminders sent after the first ``since`` emails."""
    names = {action.pk: name for name, action in actions.items()}
    found = []
    for message in mail.outbox[since:]:
        kind = "overdue" if "OVERDUE" in message.subject else "due soon"
        number = int(message.subject.split("ction ")[1].split()[0])
        found.append((kind, names[number]))
    return sorted(found)


def test_due_soon_once_overdue_weekly_and_managers_told(actions):
    expected_by_day = {
        0: [("due soon", "soon"), ("overdue", "overdue")],
        1: [],
        2: [],  # "soon" is due today: reminded already
        3: [("overdue", "soon")],
        4: [],
        5: [],
        6: [],
        7: [("due soon", "later"), ("overdue", "overdue")],  # a week since the last chase
        8: [],
        10: [("overdue", "soon")],
        11: [("overdue", "later")],
        14: [],  # "overdue" would be chased again today, but it was done on day 8
    }
    with time_machine.travel(at(TODAY), tick=False) as traveller:
        for day in range(15):
            before = len(mail.outbox)
            actions_remind()
            actions_remind()  # a second beat run the same day sends nothing more
            if day in expected_by_day:
                assert reminded(actions, before) == expected_by_day[day], f"day {day}"
            if day == 0:
                overdue_mail = next(m for m in mail.outbox if "OVERDUE" in m.subject)
                # The owner and the team's managers; the details stay in CaseAssure.
                assert {"sam@council.example", "manager_bob@council.example"} <= sent_to(
                    overdue_mail
                )
                assert "strategy" not in overdue_mail.body.lower()
                assert mail.outbox[0].subject.startswith("[CaseAssure] ")
            if day == 8:
                # Once done, an action is never chased again.
                Action.objects.filter(pk=actions["overdue"].pk).update(status=Action.Status.DONE)
            traveller.shift(timedelta(days=1))
    # Done and verified actions were never chased at all.
    assert all(name not in ("done", "verified") for _, name in reminded(actions, 0))
