"""The data mark (infra/data_mark.py) moves once a change to what the figures are computed
from commits -- once per transaction, never for one rolled back -- and while it stands the
dashboard does not read the inputs fingerprint; a change that goes round it (SQL by hand)
shows at the next recheck of the fingerprint."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.core.figures import compute_figures
from audits.infra import data_mark
from audits.models import Action, Audit, Cycle, Escalation, Frame, Staff, Team, Template
from audits.models.opinion import opinion_thresholds
from audits.selectors import fingerprint, live_figures
from audits.selectors.report_inputs import report_inputs
from audits.services.audits import audit_save
from audits.services.escalations import escalation_raise
from tests.browser import scenarios
from tests.test_autosave import audit  # noqa: F401 - the fixture


@pytest.fixture
def standing(db, committed) -> str:
    with committed():
        data_mark.moved()
    return data_mark.current()


def _movers(callbacks) -> list:
    return [callback for callback in callbacks if isinstance(callback, data_mark._Mover)]


def test_every_model_the_fingerprint_reads_is_watched():
    counted = {rows.model for rows, _aggregates in fingerprint._counted(0).values()}
    listed = {Action, Staff, Team, Cycle, Frame, Template}  # read whole or listed
    assert counted | listed <= set(data_mark.WATCHED)


def test_a_change_moves_the_mark_once_when_it_commits(
    teams, standing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        team = Team.objects.get(name="Child Protection One")
        team.name = "Child Protection East"
        team.save()
        Team.objects.create(name="Fostering")
        assert data_mark.current() == standing  # nothing has committed yet
    (mover,) = _movers(callbacks)  # three writes, one move
    mover()
    assert data_mark.current() not in (None, standing)


def _made_then_undone() -> None:
    with transaction.atomic():
        Team.objects.create(name="Never made")
        raise RuntimeError


def test_a_change_rolled_back_leaves_the_mark(teams, standing, committed):
    with committed() as callbacks, pytest.raises(RuntimeError):
        _made_then_undone()
    assert _movers(callbacks) == []
    assert data_mark.current() == standing
    with committed():
        Team.objects.create(name="Made")  # the rolled-back move does not stand in the way
    assert data_mark.current() != standing


def test_signing_in_leaves_the_mark(people, standing, committed):
    with committed():
        update_last_login(None, people["auditor_alice"])
    assert data_mark.current() == standing


def test_an_autosave_that_changes_a_grade_moves_the_mark(audit, people, committed):  # noqa: F811
    with committed():
        data_mark.moved()
    standing = data_mark.current()
    with committed():  # on PostgreSQL one statement writes the draft and its Event
        audit_save(
            audit=Audit.objects.get(pk=audit.pk),
            actor=people["auditor_alice"],
            version=1,
            changes={"answers": {"plan_smart": 4}},
        )
    assert data_mark.current() != standing


# --- The dashboard's figures under the mark -------------------------------------------
@pytest.fixture
def cycle(db, committed):
    cache.clear()
    with committed():
        cycle, _report = scenarios.reported_cycle()
    assert data_mark.current() is not None
    return cycle


def _fresh(cycle) -> dict:
    figures = compute_figures(report_inputs(cycle, timezone.now()), thresholds=opinion_thresholds())
    return {key: value for key, value in figures.items() if key != "as_of"}


def _figures(cycle) -> dict:
    figures = live_figures.figures_now(cycle)
    return {key: value for key, value in figures.items() if key != "as_of"}


def _first_audit(cycle) -> Audit:
    return (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle, assignment__role="primary")
        .order_by("pk")
        .first()
    )


def test_while_the_mark_stands_the_fingerprint_is_not_read(cycle):
    first = live_figures.figures_now(cycle)
    with CaptureQueriesContext(connection) as queries:
        kept = live_figures.figures_now(cycle)
    assert kept == first
    read = [query["sql"] for query in queries.captured_queries]
    assert len(read) == 2, read  # the thresholds and the mark
    assert not any("audits_audit" in sql for sql in read)


def test_a_committed_change_shows_at_once(cycle, committed):
    before = _figures(cycle)["summary"]["escalations"]
    with committed():
        escalation_raise(
            audit=_first_audit(cycle), actor=scenarios.person("qa.lead"), concern="New"
        )
    after = _figures(cycle)
    assert after["summary"]["escalations"] == before + 1
    assert after == _fresh(cycle)


def test_a_change_round_the_mark_shows_at_the_recheck(cycle, monkeypatch):
    before = _figures(cycle)
    # Written as SQL by hand would be: no model save, no Event, so the mark stands.
    Escalation.objects.bulk_create(
        [
            Escalation(
                audit=_first_audit(cycle),
                raised_by=scenarios.person("qa.lead"),
                concern="Written round the services",
                due_at=timezone.now() + timedelta(days=1),
            )
        ]
    )
    assert _figures(cycle) == before  # until the recheck
    monkeypatch.setattr(live_figures, "RECHECK", timedelta(0))
    after = _figures(cycle)
    assert after["summary"]["escalations"] == before["summary"]["escalations"] + 1
    assert after == _fresh(cycle)


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_dashboard_shows_a_change_at_once():
    """No test transaction here: each write commits, and its move runs as in production."""
    cache.clear()
    cycle, _report = scenarios.reported_cycle()
    client = Client()
    client.force_login(scenarios.person("qa.lead"))

    def escalations_card() -> str:
        page = client.get("/dashboard/", {"cycle": cycle.pk}).content.decode()
        return page.split('<h2 class="card-title">Escalations</h2>')[1].split("</p>")[0]

    before = live_figures.figures_now(cycle)["summary"]["escalations"]
    standing = data_mark.current()
    assert escalations_card() == escalations_card() == f'<p class="big-number">{before}'
    assert data_mark.current() == standing  # reading moves nothing
    escalation_raise(audit=_first_audit(cycle), actor=scenarios.person("qa.lead"), concern="New")
    assert data_mark.current() != standing
    assert escalations_card() == f'<p class="big-number">{before + 1}'
