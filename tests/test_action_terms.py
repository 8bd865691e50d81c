"""Issue 16 item 7: an action's terms. Due dates from today on, whoever sets them (page, API,
service); the owner defaults to the case's allocated worker; the board offers Verify only to
someone who may verify (maker and checker), and the admin site has no way round it."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.test import APIClient

from audits.core.errors import DomainError
from audits.models import Action, Case, Event, Staff
from audits.services import actions as action_service
from tests import scope_world

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def world(db):
    return scope_world.build()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _case(world) -> Case:
    return world.extra["final"].assignment.sampled_case.case


def test_a_past_due_date_is_refused_by_the_service(world):
    count = Action.objects.count()
    with pytest.raises(DomainError) as refused:
        action_service.action_create(
            actor=world.people["two_tom"],
            audit=world.extra["final"],
            case=None,
            fields={"description": "Late already", "due_date": YESTERDAY},
        )
    assert refused.value.fields == {"due_date": ["must be today or later"]}
    assert Action.objects.count() == count


def test_a_past_due_date_is_refused_when_the_terms_change(world):
    action = world.extra["wes_action"]
    with pytest.raises(DomainError):
        action_service.action_update(
            actor=world.people["two_tom"],
            action=action,
            changes={"due_date": YESTERDAY},
            status=action.status,
        )
    assert Action.objects.get(pk=action.pk).due_date == action.due_date
    response = api_as(world.people["two_tom"]).patch(
        reverse("api:action-detail", args=[action.pk]),
        {"due_date": YESTERDAY.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["due_date"] == ["must be today or later"]


def test_a_past_due_date_on_the_page_is_an_error_in_the_summary(world, client):
    client.force_login(world.people["lead"])
    final = world.extra["final"]
    response = client.post(
        reverse("web:action-new") + f"?audit={final.pk}",
        {"description": "Supervise", "priority": "medium", "due_date": YESTERDAY.isoformat()},
    )
    assert response.status_code == 400
    assert b'href="#due_date"' in response.content
    assert b"must be today or later" in response.content


def test_the_owner_defaults_to_the_cases_worker(world, client):
    case = _case(world)
    wes = Staff.objects.get(user=world.people["prac_wes"])
    Case.objects.filter(pk=case.pk).update(worker=wes)
    final = world.extra["final"]
    client.force_login(world.people["lead"])
    page = client.get(reverse("web:action-new") + f"?audit={final.pk}").content.decode()
    assert f'<option value="{wes.staff_ref}" selected>' in page

    due = (date.today() + timedelta(days=14)).isoformat()
    body = {"audit": final.pk, "description": "Visit the child alone", "due_date": due}
    response = api_as(world.people["lead"]).post(reverse("api:action-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert Action.objects.get(pk=response.json()["id"]).owner == wes
    created = Event.objects.get(verb="action.created", object_id=str(response.json()["id"]))
    assert created.actor == world.people["lead"]


def test_no_worker_and_no_owner_asks_for_an_owner(world):
    Case.objects.filter(pk=_case(world).pk).update(worker=None)
    due = (date.today() + timedelta(days=14)).isoformat()
    response = api_as(world.people["lead"]).post(
        reverse("api:action-list"),
        {"audit": world.extra["final"].pk, "description": "x", "due_date": due},
        format="json",
    )
    assert response.status_code == 400
    assert "owner" in response.json()


def test_the_board_offers_verify_only_to_someone_who_may_verify(world, client):
    action = world.extra["wes_action"]
    tom, lead = world.people["two_tom"], world.people["lead"]
    action_service.action_advance(action=action, actor=tom, status="done", evidence_note="Done")
    verify_button = f'action="/actions/{action.pk}/advance/"'
    client.force_login(tom)
    board = client.get(reverse("web:actions")).content.decode()
    assert verify_button not in board
    assert "Whoever marked the action done cannot verify it" in board
    client.force_login(lead)
    assert verify_button in client.get(reverse("web:actions")).content.decode()


def test_the_admin_site_cannot_change_an_action():
    # Maker and checker hold because actions change only through the service.
    assert Action not in admin.site._registry


def _form(board: str, action_pk: int, step: str) -> dict:
    """The fields of the board's form that takes action ``action_pk`` to ``step``, as the
    page serves them (hidden inputs and their escaped values)."""
    import html
    import re

    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', board, re.S)
    for target, body in forms:
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))
        if target == f"/actions/{action_pk}/advance/" and fields.get("status") == step:
            return {"target": target} | {k: html.unescape(v) for k, v in fields.items()}
    raise AssertionError(f"no {step} form for action {action_pk}")


def test_the_boards_forms_as_served_move_an_action_on(world):
    """Mark done, then verify by someone else, through the forms the board serves (CSRF
    checked), each coming back to the board as it was filtered; the filter, typed by hand
    with quotes and angle brackets, comes back escaped in the form and whole in the address."""
    from django.test import Client

    action = world.extra["wes_action"]
    tom, lead = world.people["two_tom"], world.people["lead"]
    filtered = '/actions/?sort=due&note="><b>x'
    maker = Client(enforce_csrf_checks=True)
    maker.force_login(tom)
    board = maker.get(filtered).content.decode()
    assert '"><b>' not in board  # the typed filter is never markup
    form = _form(maker.get("/actions/").content.decode(), action.pk, "done")
    assert form["back"] == "/actions/"
    done = maker.post(form.pop("target"), form | {"evidence_note": "Chronology updated"})
    assert done.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.evidence_note) == ("done", "Chronology updated")
    checker = Client(enforce_csrf_checks=True)
    checker.force_login(lead)
    form = _form(checker.get(filtered).content.decode(), action.pk, "verified")
    assert form["back"].startswith("/actions/?sort=due&note=")
    verified = checker.post(form.pop("target"), form)
    assert (verified.status_code, verified["Location"]) == (302, form["back"])
    action.refresh_from_db()
    assert action.status == "verified"
    assert Event.objects.filter(verb="action.verified", object_id=str(action.pk)).exists()
