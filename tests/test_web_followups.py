"""Moderation, the actions board, escalations and the dashboard's charts."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audits.models import Action, Audit, Escalation, Moderation
from tests.browser import scenarios
from tests.builders import finished_cycle


@pytest.fixture
def cycle(db):
    scenarios.demo_council()
    return finished_cycle(n=16)


@pytest.fixture
def lead(cycle):
    client = Client()
    client.force_login(scenarios.person("qa.lead"))
    return client


def waiting_for_moderation(cycle) -> Audit:
    """Send one final audit back to 'submitted', as if it had just come in."""
    audit = Audit.objects.filter(assignment__sampled_case__cycle=cycle, status="final").first()
    Audit.objects.filter(pk=audit.pk).update(
        status="submitted", moderated_overall_grade=None, moderated_answers=None
    )
    return audit


def test_the_moderation_queue_and_agreeing(cycle, lead):
    audit = waiting_for_moderation(cycle)
    queue = lead.get("/moderation/").content.decode()
    assert f"/moderation/{audit.pk}/" in queue
    page = lead.get(f"/moderation/{audit.pk}/").content.decode()
    assert "Overall judgement" in page
    assert "Record the decision" in page
    response = lead.post(f"/moderation/{audit.pk}/", {"decision": "agree"})
    assert response["Location"] == "/moderation/"
    audit.refresh_from_db()
    assert audit.status == "final"


def test_changing_a_grade_needs_a_reason(cycle, lead):
    audit = waiting_for_moderation(cycle)
    new_grade = 1 if audit.overall_grade != 1 else 2
    form = {"decision": "change", "overall_grade": str(new_grade), "reason": ""}
    refused = lead.post(f"/moderation/{audit.pk}/", form)
    assert refused.status_code == 400
    assert b'href="#reason"' in refused.content
    form["reason"] = "The risk was not reviewed after the second referral"
    lead.post(f"/moderation/{audit.pk}/", form)
    moderation = Moderation.objects.filter(audit=audit).latest("pk")
    assert moderation.moderated_overall_grade == new_grade
    assert moderation.original_overall_grade == audit.overall_grade


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"decision": "shrug"},
        {"decision": "change", "overall_grade": "x", "reason": "r"},
        {"decision": "change", "answer-risk_recognised": "77", "reason": "r"},
    ],
)
def test_bad_moderation_input_is_a_400(cycle, lead, form):
    audit = waiting_for_moderation(cycle)
    assert lead.post(f"/moderation/{audit.pk}/", form).status_code == 400


def test_the_actions_board_filters_by_team_owner_and_overdue(cycle, lead):
    actions = list(Action.objects.all())
    overdue = actions[0]
    Action.objects.filter(pk=overdue.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    page = lead.get("/actions/").content.decode()
    assert f"Showing 1 to {len(actions)} of {len(actions)} actions" in page
    only_overdue = lead.get("/actions/", {"overdue": "1"}).content.decode()
    assert "Showing 1 to 1 of 1 action<" in only_overdue
    assert "Overdue" in only_overdue
    by_team = lead.get("/actions/", {"team": overdue.team_id}).content.decode()
    assert f"{Action.objects.filter(team=overdue.team).count()} action" in by_team
    by_owner = lead.get("/actions/", {"owner": overdue.owner_id}).content.decode()
    assert f"{Action.objects.filter(owner=overdue.owner).count()} action" in by_owner
    garbage = lead.get("/actions/", {"team": "x", "owner": "'; drop", "status": "nope"})
    assert garbage.status_code == 200


def test_marking_an_action_done_then_verified(cycle, lead):
    action = Action.objects.first()
    refused = lead.post(f"/actions/{action.pk}/advance/", {"status": "done"}, follow=True)
    assert b"was not updated" in refused.content
    lead.post(f"/actions/{action.pk}/advance/", {"status": "done", "evidence_note": "Plan redone"})
    # Maker and checker: whoever marked it done does not verify it; the team's manager does.
    mine = lead.post(f"/actions/{action.pk}/advance/", {"status": "verified"}, follow=True)
    assert b"Whoever marked the action done cannot verify it" in mine.content
    assert Action.objects.get(pk=action.pk).status == "done"
    team_manager = Client()
    team_manager.force_login(
        scenarios.person(f"manager.{action.team.name.lower().replace(' ', '-')}")
    )
    team_manager.post(
        f"/actions/{action.pk}/advance/", {"status": "verified", "back": "//evil.example"}
    )
    action.refresh_from_db()
    assert action.status == "verified"


def test_acknowledging_an_escalation(cycle, lead):
    escalation = Escalation.objects.get()
    page = lead.get("/escalations/").content.decode()
    assert escalation.audit.assignment.sampled_case.case.case_ref in page
    lead.post(f"/escalations/{escalation.pk}/acknowledge/", {"response": "Visited today"})
    escalation.refresh_from_db()
    assert escalation.status == "acknowledged"
    assert escalation.response == "Visited today"
    again = lead.post(f"/escalations/{escalation.pk}/acknowledge/", {}, follow=True)
    assert b"already been acknowledged" in again.content


def test_the_dashboard_draws_its_charts(cycle, lead):
    page = lead.get("/dashboard/").content.decode()
    for title in (
        "Grade distribution",
        "Good or better by team, with funnel limits",
        "Trend by cycle",
        "Themes",
    ):
        assert title in page
    assert page.count("<svg") == 4
    assert 'class="limit limit-95"' in page
    assert "<circle" in page
    assert "by chance alone" in page
    assert "Chance of a result this far out" in page
    assert lead.get("/dashboard/", {"cycle": "x"}).status_code == 200
    assert lead.get("/dashboard/", {"cycle": "999999"}).status_code == 404


def test_the_dashboard_with_no_cycle(db):
    scenarios.demo_council()
    client = Client()
    client.force_login(scenarios.person("qa.lead"))
    assert b"No cycle has a drawn sample yet" in client.get("/dashboard/").content
