"""Two workers running the programme at once on PostgreSQL make each due cycle once: the run
locks the entry's row, and the (entry, day) row is unique."""

import threading
from datetime import date

import pytest
import time_machine
from django.db import connection

from audits.models import Cycle, Event, ProgrammeEntry, ProgrammeOccurrence
from audits.services import programme as service
from tests.test_programme import at, cases_in_both_teams

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_workers_running_at_once_make_each_cycle_once(people, teams):
    cases_in_both_teams(teams)
    with time_machine.travel(at(date(2026, 12, 20)), tick=False):
        for name, frequency in (("Monthly", "monthly"), ("Quarterly", "quarterly")):
            service.programme_entry_create(
                actor=people["qa_lead_quinn"],
                fields={
                    "year": 2027,
                    "kind": "random",
                    "name": name,
                    "frequency": frequency,
                    "month": 1,
                },
            )
        # A moved occurrence has its row already: only the locks keep two runs apart there.
        monthly = ProgrammeEntry.objects.get(name="Monthly")
    with time_machine.travel(at(date(2027, 1, 10)), tick=False):
        for month in (2, 3, 4):
            service.programme_occurrence_move(
                actor=people["qa_lead_quinn"],
                entry=monthly,
                scheduled_on=date(2027, month, 1),
                to=date(2027, month, 2),
                reason="Bank holiday week",
            )
    workers = 4
    start = threading.Barrier(workers)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(service.programme_run(today=date(2027, 5, 2)))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # Monthly: January to May; quarterly: January and April. Seven, each once.
    assert sum(result["made"] for result in results) == 7
    assert Cycle.objects.count() == 7
    assert ProgrammeOccurrence.objects.filter(cycle__isnull=False).count() == 7
    assert Event.objects.filter(verb="programme.cycle_made").count() == 7
