"""Finding 6 of issue 12: creates, edits and deletes through the API wrote no Event, because
DRF's mixins came before the project's own ``perform_*`` methods in the method order."""

import pytest
from rest_framework import mixins

from audits.api import base
from audits.api import urls as api_urls
from audits.models import Cycle, Event, Team


def test_a_cycle_created_through_the_api_has_its_creator_template_and_event(
    people, client_for, teams
):
    manager_bob = people["manager_bob"]
    response = client_for(manager_bob).post(
        "/api/v1/cycles/",
        {
            "name": "Spring",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "teams": ["Child Protection One"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    cycle = Cycle.objects.get(pk=response.json()["id"])
    assert cycle.created_by == manager_bob
    assert cycle.template is not None
    event = Event.objects.get(object_type="cycle", object_id=str(cycle.pk))
    assert (event.verb, event.actor, event.after["name"]) == ("created", manager_bob, "Spring")


def test_a_team_edited_and_deleted_through_the_api_leaves_both_events(people, client_for):
    admin = client_for(people["admin_ada"])
    team = Team.objects.create(name="Fostering", service_area="cla")
    assert admin.patch(f"/api/v1/teams/{team.pk}/", {"name": "Fostering East"}).status_code == 200
    assert admin.delete(f"/api/v1/teams/{team.pk}/").status_code == 204
    events = Event.objects.filter(object_type="team", object_id=str(team.pk))
    assert [(e.verb, e.actor_id) for e in events] == [
        ("updated", people["admin_ada"].pk),
        ("deleted", people["admin_ada"].pk),
    ]
    assert events[0].before["name"] == "Fostering"
    assert events[0].after["name"] == "Fostering East"


@pytest.mark.parametrize(
    ("prefix", "viewset"), [(prefix, viewset) for prefix, viewset, _ in api_urls.router.registry]
)
def test_no_viewset_lets_a_drf_mixin_write_past_the_event(prefix, viewset):
    """The class of defect: whatever a viewset combines, its writes resolve to ours."""
    for hook, mixin in (
        ("perform_create", mixins.CreateModelMixin),
        ("perform_update", mixins.UpdateModelMixin),
        ("perform_destroy", mixins.DestroyModelMixin),
    ):
        if issubclass(viewset, mixin):
            assert getattr(viewset, hook) is not getattr(mixin, hook), (prefix, hook)
            assert issubclass(viewset, base.RecordedWrites), prefix


def test_a_viewset_built_the_wrong_way_round_is_refused_when_defined():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="RecordedWrites"):

        class Careless(mixins.CreateModelMixin, base.ScopedViewSet):
            pass
