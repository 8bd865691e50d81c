"""The dashboard's figures are kept while what they are computed from is unchanged (the
report's inputs fingerprint), and computed again as soon as an audit changes, the
thresholds change, or time makes an escalation or an action overdue."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.core.figures import compute_figures
from audits.core.figures.follow_through import figures_change_at
from audits.models import Audit
from audits.models.opinion import opinion_thresholds
from audits.selectors import live_figures
from audits.selectors.report_inputs import report_inputs
from audits.services.escalations import escalation_raise
from audits.web import dashboard
from tests.browser import scenarios


def _fresh(cycle) -> dict:
    return compute_figures(report_inputs(cycle, timezone.now()), thresholds=opinion_thresholds())


def _without_time(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key != "as_of"}


def _queries(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured)


@pytest.fixture
def cycle(db):
    cache.clear()
    cycle, _report = scenarios.reported_cycle()
    return cycle


def test_unchanged_data_is_read_once_and_gives_the_same_figures(cycle):
    first, computed = _queries(lambda: live_figures.figures_now(cycle))
    kept, cheap = _queries(lambda: live_figures.figures_now(cycle))
    assert kept == first
    assert _without_time(kept) == _without_time(_fresh(cycle))
    assert cheap < computed  # the fingerprint only, not the inputs


def test_a_new_escalation_gives_new_figures_at_once(cycle, committed):
    before = live_figures.figures_now(cycle)
    audit = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle, assignment__role="primary")
        .order_by("pk")
        .first()
    )
    with committed():
        escalation_raise(audit=audit, actor=scenarios.person("qa.lead"), concern="A new concern")
    after = live_figures.figures_now(cycle)
    assert after["summary"]["escalations"] == before["summary"]["escalations"] + 1
    assert _without_time(after) == _without_time(_fresh(cycle))


def test_time_passing_an_escalation_due_computes_again(cycle, monkeypatch):
    live_figures.figures_now(cycle)
    later = timezone.now() + timedelta(days=2)  # past midnight and any escalation due
    monkeypatch.setattr(live_figures.timezone, "now", lambda: later)
    figures, count = _queries(lambda: live_figures.figures_now(cycle))
    assert figures["as_of"] == later.isoformat()
    _kept, cheap = _queries(lambda: live_figures.figures_now(cycle))
    assert cheap < count


def test_the_dashboard_shows_what_a_report_compiled_now_would(cycle):
    client = Client()
    client.force_login(scenarios.person("qa.lead"))
    client.get("/dashboard/", {"cycle": cycle.pk})
    page = client.get("/dashboard/", {"cycle": cycle.pk}).content.decode()
    fresh = _fresh(cycle)
    assert f'<p class="big-number">{fresh["summary"]["inadequate"]}</p>' in page


def test_the_dashboard_draws_new_figures_as_soon_as_they_change(cycle, committed):
    """What the page draws is kept by the figures' version: a change gives a new version,
    so the page never shows the charts of figures that no longer stand."""
    client = Client()
    client.force_login(scenarios.person("qa.lead"))

    def escalations_card() -> str:
        page = client.get("/dashboard/", {"cycle": cycle.pk}).content.decode()
        return page.split('<h2 class="card-title">Escalations</h2>')[1].split("</p>")[0]

    before = live_figures.figures_now(cycle)["summary"]["escalations"]
    assert escalations_card() == escalations_card() == f'<p class="big-number">{before}'
    audit = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle, assignment__role="primary")
        .order_by("pk")
        .first()
    )
    with committed():
        escalation_raise(audit=audit, actor=scenarios.person("qa.lead"), concern="A new concern")
    assert escalations_card() == f'<p class="big-number">{before + 1}'
    _figures, version = live_figures.figures_and_version(cycle)
    assert dashboard._DRAWN[version]["figures"]["summary"]["escalations"] == before + 1


# --- When time moves a figure (pure) -------------------------------------------------------
AS_OF = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def _escalation(due: datetime, acknowledged: datetime | None = None) -> dict:
    return {
        "due_at": due.isoformat(),
        "acknowledged_at": acknowledged.isoformat() if acknowledged else None,
    }


@pytest.mark.parametrize(
    ("escalations", "expected"),
    [
        ([], datetime(2026, 3, 11, tzinfo=UTC)),  # an action may fall overdue tomorrow
        ([_escalation(AS_OF + timedelta(hours=2))], AS_OF + timedelta(hours=2)),
        ([_escalation(AS_OF + timedelta(hours=2), AS_OF)], datetime(2026, 3, 11, tzinfo=UTC)),
        ([_escalation(AS_OF - timedelta(hours=2))], datetime(2026, 3, 11, tzinfo=UTC)),
        ([_escalation(AS_OF + timedelta(days=3))], datetime(2026, 3, 11, tzinfo=UTC)),
    ],
)
def test_figures_change_when_an_escalation_falls_due_or_the_day_turns(escalations, expected):
    assert figures_change_at({"escalations": escalations}, AS_OF) == expected
