"""Action owners update their actions; a different manager verifies (maker and checker).

People from ``tests/scope_world.py``: ``prac_wes`` owns an action on the final South audit
and holds only the practitioner role; ``two_tom`` and ``lead`` manage South.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audits.models import Action, ActionNote, Event, Staff
from audits.services import actions as action_service
from tests import scope_world


@pytest.fixture
def world(db):
    return scope_world.build()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail(action) -> str:
    return reverse("api:action-detail", args=[action.pk])


def mark_done(user, action, note="Chronology brought up to date"):
    body = {"status": "done", "evidence_note": note}
    return api_as(user).patch(detail(action), body, format="json")


def verify(user, action):
    return api_as(user).patch(detail(action), {"status": "verified"}, format="json")


def test_an_owner_with_only_the_practitioner_role_sees_their_own_actions(world, client):
    wes = world.people["prac_wes"]
    listed = api_as(wes).get(reverse("api:action-list")).json()["results"]
    assert [row["id"] for row in listed] == [world.extra["wes_action"].pk]
    assert api_as(wes).get(detail(world.action)).status_code == 404
    client.force_login(wes)
    page = client.get(reverse("web:my-actions")).content.decode()
    assert "Update the chronology" in page
    assert client.get(reverse("web:action", args=[world.action.pk])).status_code == 404


def test_the_owner_adds_notes_and_marks_done_but_changes_no_terms(world, client):
    wes, action = world.people["prac_wes"], world.extra["wes_action"]
    added = api_as(wes).post(
        reverse("api:action-notes", args=[action.pk]), {"text": "Started"}, format="json"
    )
    assert added.status_code == 201
    client.force_login(wes)
    client.post(reverse("web:action-note", args=[action.pk]), {"text": "Half way"})
    assert list(action.notes.values_list("text", flat=True)) == ["Started", "Half way"]
    assert Event.objects.filter(verb="action.note_added", object_id=str(action.pk)).count() == 2
    empty = api_as(wes).post(reverse("api:action-notes", args=[action.pk]), {"text": " "})
    assert empty.status_code == 400
    terms = api_as(wes).patch(detail(action), {"description": "Nothing"}, format="json")
    assert terms.status_code == 403
    assert mark_done(wes, action, note="").status_code == 400
    assert mark_done(wes, action).status_code == 200
    action.refresh_from_db()
    assert (action.status, action.done_by) == ("done", wes)
    assert verify(wes, action).status_code == 403
    late = api_as(wes).post(reverse("api:action-notes", args=[action.pk]), {"text": "More"})
    assert late.status_code == 409


def test_someone_who_is_neither_owner_nor_manager_of_the_team_cannot_update(world):
    action = world.extra["wes_action"]
    for name in ("prac_mel", "peer_nora"):  # sees nothing of it: 404
        assert mark_done(world.people[name], action).status_code == 404
    assert ActionNote.objects.count() == 0


def test_a_manager_who_marked_an_action_done_cannot_verify_it(world, client):
    action = world.extra["wes_action"]
    tom, lead = world.people["two_tom"], world.people["lead"]
    assert mark_done(tom, action).status_code == 200
    assert verify(tom, action).status_code == 403
    client.force_login(tom)
    page = client.get(reverse("web:action", args=[action.pk])).content.decode()
    assert "Whoever marked the action done cannot verify it" in page
    assert 'id="verify-form"' not in page
    assert Action.objects.get(pk=action.pk).status == "done"
    assert verify(lead, action).status_code == 200
    action.refresh_from_db()
    assert (action.status, action.verified_by) == ("verified", lead)


def test_a_manager_who_owns_an_action_cannot_verify_it_whoever_marked_it_done(world):
    tom, lead = world.people["two_tom"], world.people["lead"]
    owned = action_service.action_create(
        actor=lead,
        audit=world.extra["final"],
        case=None,
        fields={
            "owner": Staff.objects.get(user=tom),
            "description": "Supervise monthly",
            "due_date": world.extra["wes_action"].due_date,
        },
    )
    assert mark_done(lead, owned).status_code == 200
    assert verify(tom, owned).status_code == 403
    assert verify(lead, owned).status_code == 403  # lead marked it done
    assert Action.objects.get(pk=owned.pk).status == "done"


def test_the_owner_verifying_through_the_page_is_refused(world, client):
    wes, action = world.people["prac_wes"], world.extra["wes_action"]
    client.force_login(wes)
    done = client.post(
        reverse("web:action-advance", args=[action.pk]),
        {"status": "done", "evidence_note": "Done it"},
    )
    assert done.status_code == 302
    client.post(reverse("web:action-advance", args=[action.pk]), {"status": "verified"})
    assert Action.objects.get(pk=action.pk).status == "done"
