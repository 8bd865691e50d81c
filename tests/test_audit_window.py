"""The audit window (issue 15, item 2): a cycle's audits are due a number of working days
after the draw (England and Wales bank holidays left out), not at the end of the period
audited; the QA lead sets or extends the window with a reason; overdue is measured from it."""

from datetime import date, timedelta

import pytest
from django.test import Client

from audits.core.working_days import working_days_after
from audits.models import Audit, Cycle, Event
from audits.services import assignment, sample
from audits.services.templates import current_template
from tests.browser import scenarios
from tests.builders import known_server_random


def test_working_days_skip_weekends_and_bank_holidays():
    # Christmas 2026: Friday 25th, the weekend, Boxing Day observed on Monday 28th.
    assert working_days_after(date(2026, 12, 23), 3) == date(2026, 12, 30)
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    assert working_days_after(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert working_days_after(date(2026, 6, 1), 20) == date(2026, 6, 29)
    assert working_days_after(date(2026, 6, 5), 0) == date(2026, 6, 5)


def _last_quarter_cycle() -> Cycle:
    scenarios.demo_council()
    today = date.today()
    cycle = Cycle.objects.create(
        name="Last quarter",
        period_start=today - timedelta(days=120),
        period_end=today - timedelta(days=30),
        stratify_by="case_type",
        plan={"method": "fixed", "n": 12, "allocation": "proportional", "minimum": 1},
        template=current_template(),
        second_share=0,
        moderation_share=0,
        created_by=scenarios.person(scenarios.LEAD),
    )
    with known_server_random("window"):
        sample.sample_draw(cycle=cycle, actor=scenarios.person(scenarios.LEAD))
    assignment.cycle_assign(cycle=cycle, actor=scenarios.person(scenarios.LEAD))
    cycle.refresh_from_db()
    return cycle


@pytest.mark.django_db
def test_an_audit_of_last_quarter_assigned_today_is_not_overdue():
    cycle = _last_quarter_cycle()
    today = date.today()
    due = working_days_after(today, 20)
    assert (cycle.audit_opens_on, cycle.audit_due_date) == (today, due)
    audits = Audit.objects.filter(assignment__sampled_case__cycle=cycle)
    assert audits.count() == 12
    assert set(audits.values_list("due_date", flat=True)) == {due}
    drawn = Event.objects.get(verb="sample.drawn", object_id=str(cycle.pk))
    assert drawn.after["audit_due_date"] == due.isoformat()
    auditor = scenarios.first_audit(cycle).assignment.auditor.user
    client = Client()
    client.force_login(auditor)
    page = client.get("/audits/").content.decode()
    assert "Overdue" not in page
    assert f"{due:%-d %b %Y}" in page
    home = client.get("/").content.decode()
    assert "overdue" not in home.lower()


@pytest.fixture
def lead_and_cycle(db):
    cycle = _last_quarter_cycle()
    client = Client()
    client.force_login(scenarios.person(scenarios.LEAD))
    return client, cycle


def test_the_lead_extends_the_window_with_a_reason_and_every_audit_follows(lead_and_cycle):
    client, cycle = lead_and_cycle
    later = cycle.audit_due_date + timedelta(days=14)
    response = client.post(
        f"/cycles/{cycle.pk}/window/",
        {
            "audit_opens_on": cycle.audit_opens_on.isoformat(),
            "audit_due_date": later.isoformat(),
            "window_reason": "Two auditors off sick",
        },
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.audit_due_date == later
    assert set(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle).values_list(
            "due_date", flat=True
        )
    ) == {later}
    event = Event.objects.get(verb="cycle.window_extended", object_id=str(cycle.pk))
    assert event.reason == "Two auditors off sick"
    assert event.after["audit_due_date"] == later.isoformat()
    page = client.get(f"/cycles/{cycle.pk}/").content.decode()
    assert f"{later:%-d %B %Y}" in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"audit_due_date": "+14", "window_reason": ""}, "window_reason"),
        ({"audit_due_date": "-40", "window_reason": "earlier"}, "audit_due_date"),
        ({"audit_due_date": "not a date"}, "audit_due_date"),
    ],
)
def test_a_bad_window_is_refused_with_the_field_named_and_nothing_changes(
    lead_and_cycle, change, field
):
    client, cycle = lead_and_cycle
    due = cycle.audit_due_date
    form = {"audit_opens_on": cycle.audit_opens_on.isoformat(), "window_reason": "x"}
    for key, value in change.items():
        if value.startswith(("+", "-")):
            value = (due + timedelta(days=int(value))).isoformat()
        form[key] = value
    response = client.post(f"/cycles/{cycle.pk}/window/", form)
    assert response.status_code == 400
    assert f'href="#{field}"'.encode() in response.content
    cycle.refresh_from_db()
    assert cycle.audit_due_date == due
    assert not Event.objects.filter(verb__startswith="cycle.window_").exists()


def test_the_api_shows_the_window_and_changes_it_through_the_cycles_update(lead_and_cycle):
    from rest_framework.test import APIClient

    _, cycle = lead_and_cycle
    api = APIClient()
    api.force_authenticate(scenarios.person(scenarios.LEAD))
    url = f"/api/v1/cycles/{cycle.pk}/"
    body = api.get(url).json()
    assert body["audit_opens_on"] == cycle.audit_opens_on.isoformat()
    assert body["audit_due_date"] == cycle.audit_due_date.isoformat()
    before = (cycle.audit_opens_on - timedelta(days=1)).isoformat()
    response = api.patch(url, {"audit_due_date": before}, format="json")
    assert response.status_code == 400
    assert "audit_due_date" in response.json()
    later = cycle.audit_due_date + timedelta(days=7)
    response = api.patch(url, {"audit_due_date": later.isoformat()}, format="json")
    assert response.status_code == 400
    assert "window_reason" in response.json()
    response = api.patch(
        url, {"audit_due_date": later.isoformat(), "window_reason": "Half term"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["audit_due_date"] == later.isoformat()
    assert Event.objects.filter(verb="cycle.window_extended", reason="Half term").count() == 1
    # Anything else about a drawn cycle is still fixed.
    assert api.patch(url, {"name": "Renamed"}, format="json").status_code == 409


@pytest.mark.django_db
def test_reminders_count_from_the_window_not_the_period():
    from datetime import datetime, time

    from django.utils import timezone

    from audits.models import Notification
    from audits.services.audit_reminders import audits_remind

    cycle = _last_quarter_cycle()
    auditors = set(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle).values_list(
            "assignment__auditor__user", flat=True
        )
    )

    def at(day):
        return timezone.make_aware(datetime.combine(day, time(9)))

    # Assigned today, due in 20 working days: the period ended long ago, yet no reminder.
    assert audits_remind(at(date.today())) == {"due_soon": 0, "overdue": 0}
    due = cycle.audit_due_date
    assert audits_remind(at(due - timedelta(days=1)))["due_soon"] == 12
    assert (
        set(Notification.objects.filter(kind="audit_due").values_list("recipient", flat=True))
        == auditors
    )
    assert Notification.objects.filter(kind="audit_due").count() == len(auditors)
    assert audits_remind(at(due))["due_soon"] == 0  # once only
    assert audits_remind(at(due + timedelta(days=1)))["overdue"] == 12
    assert audits_remind(at(due + timedelta(days=2)))["overdue"] == 0
    assert audits_remind(at(due + timedelta(days=8)))["overdue"] == 12
    text = Notification.objects.filter(kind="audit_overdue").first().text
    assert text.endswith("of your audits overdue")


@pytest.mark.django_db
def test_a_window_the_lead_set_before_the_draw_is_kept():
    scenarios.demo_council()
    cycle = scenarios.planned_cycle()
    lead = scenarios.person(scenarios.LEAD)
    early = date.today() - timedelta(days=3)  # only a due date, and one already passed
    from audits.services.audit_window import cycle_window_set

    cycle_window_set(cycle=cycle, actor=lead, due=early)
    with known_server_random("kept"):
        sample.sample_draw(cycle=cycle, actor=lead)
    cycle.refresh_from_db()
    assert (cycle.audit_opens_on, cycle.audit_due_date) == (early, early)
