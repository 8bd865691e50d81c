"""The new-cycle page and the API check a cycle by the same rules (issue 14): the same bad
cycle gets the same field errors, in the same words, from both; neither leaves a cycle
behind, and a drawn cycle refuses a change with 409 from the service."""

import html
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audits.models import Cycle, Event
from tests import scope_world

GOOD = {
    "name": "Same rules",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "stratify_by": "none",
    "teams": ["North"],
    "n": "4",
    "allocation": "proportional",
    "minimum": "0",
}
FIELD_ERROR = re.compile(
    r'<p class="field-error" id="([\w-]+)-error"><span class="visually-hidden">Error:</span>'
    r" (.*?)</p>"
)


@pytest.fixture
def world(db):
    return scope_world.build()


def _api_body(form: dict) -> dict:
    plan = {"method": "fixed", "allocation": form["allocation"]}
    plan |= {name: int(form[name]) for name in ("n", "minimum") if form[name]}
    fields = ("name", "period_start", "period_end", "stratify_by", "teams")
    return {name: form[name] for name in fields} | {"plan": plan}


def _api_errors(body: dict) -> dict[str, str]:
    errors = {k: v for k, v in body.items() if k not in ("detail", "plan")} | body.get("plan", {})
    return {name: " ".join(texts) for name, texts in errors.items()}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"period_end": "2025-12-31"}, {"period_end"}),
        ({"n": ""}, {"n"}),
        ({"teams": ["South"]}, {"teams"}),
        ({"teams": ["North", "South"], "period_end": "2025-01-01"}, {"teams", "period_end"}),
    ],
)
def test_the_page_and_the_api_give_the_same_errors_for_the_same_bad_cycle(world, changes, fields):
    nora = world.people["peer_nora"]  # manages North only
    form = GOOD | changes
    before = (Cycle.objects.count(), Event.objects.count())
    api = APIClient()
    api.force_authenticate(nora)
    answer = api.post("/api/v1/cycles/", _api_body(form), format="json")
    page = Client()
    page.force_login(nora)
    shown = page.post("/cycles/new/", form)

    assert (answer.status_code, shown.status_code) == (400, 400)
    from_api = _api_errors(answer.json())
    from_page = {k: html.unescape(v) for k, v in FIELD_ERROR.findall(shown.content.decode())}
    assert set(from_api) == fields
    assert from_page == from_api
    assert (Cycle.objects.count(), Event.objects.count()) == before


def test_the_end_of_the_period_before_its_start_is_said_in_plain_words(world):
    page = Client()
    page.force_login(world.people["peer_nora"])
    shown = page.post("/cycles/new/", GOOD | {"period_end": "2025-12-31"}).content.decode()
    assert "The end of the period must be the same as or after its start" in shown


def test_a_good_cycle_is_the_same_whichever_way_it_is_made(world):
    nora = world.people["peer_nora"]
    api = APIClient()
    api.force_authenticate(nora)
    assert api.post("/api/v1/cycles/", _api_body(GOOD), format="json").status_code == 201
    page = Client()
    page.force_login(nora)
    assert page.post("/cycles/new/", GOOD | {"name": "From the page"}).status_code == 302
    made = Cycle.objects.filter(name__in=("Same rules", "From the page"))
    assert len({(c.plan == made[0].plan, c.template_id) for c in made}) == 1
    assert [sorted(c.teams.values_list("name", flat=True)) for c in made] == [["North"]] * 2
    for cycle in made:
        assert Event.objects.filter(verb="created", object_id=str(cycle.pk)).count() == 1


def test_a_drawn_cycle_refuses_a_change_with_409_and_keeps_its_name(world):
    cycle = world.cycles["north"]
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.SAMPLED)
    api = APIClient()
    api.force_authenticate(world.people["peer_nora"])
    answer = api.patch(f"/api/v1/cycles/{cycle.pk}/", {"name": "Renamed"}, format="json")
    assert answer.status_code == 409, answer.content
    assert Cycle.objects.get(pk=cycle.pk).name == cycle.name


def test_a_planned_cycle_is_deleted_with_its_event_and_a_drawn_one_is_kept(world):
    planned, drawn = world.cycles["north"], world.cycles["south"]
    Cycle.objects.filter(pk=drawn.pk).update(status=Cycle.Status.SAMPLED)
    lead = APIClient()
    lead.force_authenticate(world.people["lead"])
    assert lead.delete(f"/api/v1/cycles/{drawn.pk}/").status_code == 409
    assert Cycle.objects.filter(pk=drawn.pk).exists()
    assert lead.delete(f"/api/v1/cycles/{planned.pk}/").status_code == 204
    assert not Cycle.objects.filter(pk=planned.pk).exists()
    event = Event.objects.get(verb="deleted", object_type="cycle", object_id=str(planned.pk))
    assert event.before["name"] == planned.name


def test_one_round_shows_the_form_errors_and_the_rules_errors_together(world):
    page = Client()
    page.force_login(world.people["peer_nora"])
    shown = page.post("/cycles/new/", GOOD | {"period_start": "", "n": "", "teams": ["South"]})
    errors = dict(FIELD_ERROR.findall(shown.content.decode()))
    assert set(errors) == {"period_start", "n", "teams"}
    assert errors["n"] == "Enter a sample size, like 60"
