"""The API is written with the identifiers it reads: a team is its id everywhere (names are
still accepted on a cycle, for older clients), and every link a response carries is a path
the OpenAPI schema documents, spelled as documented, that answers."""

import re

import pytest
import yaml
from django.contrib.auth.models import User
from django.urls import Resolver404, resolve

from audits.models import Cycle
from audits.services import reports
from tests.builders import finished_cycle
from worker.compile import report_compile

NEW_CYCLE = {
    "name": "Spring",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "plan": {"method": "fixed", "n": 4},
}


@pytest.fixture
def lead_quinn(people):
    return people["qa_lead_quinn"]


def test_a_cycle_is_created_with_the_team_ids_the_teams_list_gives(lead_quinn, client_for):
    client = client_for(lead_quinn)
    listed = {row["name"]: row["id"] for row in client.get("/api/v1/teams/").json()["results"]}
    chosen = [listed["Child Protection One"], listed["Children Looked After"]]
    response = client.post("/api/v1/cycles/", {**NEW_CYCLE, "teams": chosen}, "json")
    assert response.status_code == 201, response.content
    assert sorted(response.json()["teams"]) == sorted(chosen)
    cycle = Cycle.objects.get(pk=response.json()["id"])
    assert sorted(cycle.teams.values_list("pk", flat=True)) == sorted(chosen)
    # What the cycle reads back can be written back unchanged.
    again = client.patch(f"/api/v1/cycles/{cycle.pk}/", {"teams": response.json()["teams"]}, "json")
    assert again.status_code == 200, again.content
    assert sorted(again.json()["teams"]) == sorted(chosen)


def test_team_names_are_still_accepted_and_read_back_as_ids(lead_quinn, client_for, teams):
    response = client_for(lead_quinn).post(
        "/api/v1/cycles/", {**NEW_CYCLE, "teams": ["Child Protection One"]}, "json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["teams"] == [teams["Child Protection One"].pk]
    assert response.json()["team_names"] == ["Child Protection One"]
    # Deprecated on 2 December 2026, kept at least six months: the client hears of it.
    assert response["Deprecation"] == "@1796169600"
    assert response["Sunset"] == "Thu, 03 Jun 2027 00:00:00 GMT"


def test_a_request_with_ids_hears_of_no_deprecation(lead_quinn, client_for, teams):
    team = teams["Child Protection One"].pk
    response = client_for(lead_quinn).post(
        "/api/v1/cycles/", {**NEW_CYCLE, "teams": [team]}, "json"
    )
    assert response.status_code == 201
    assert "Deprecation" not in response
    assert "Sunset" not in response


@pytest.mark.parametrize("bad", [[999_999], [True], [1.5], [None], [{"id": 1}], ["No Such Team"]])
def test_a_team_that_is_not_one_answers_400_naming_the_field(lead_quinn, client_for, bad):
    before = Cycle.objects.count()
    response = client_for(lead_quinn).post("/api/v1/cycles/", {**NEW_CYCLE, "teams": bad}, "json")
    assert response.status_code == 400, response.content
    assert "teams" in response.json()
    assert Cycle.objects.count() == before


def test_a_team_manager_cannot_name_by_id_a_team_she_does_not_manage(people, client_for, teams):
    response = client_for(people["manager_bob"]).post(
        "/api/v1/cycles/", {**NEW_CYCLE, "teams": [teams["Children Looked After"].pk]}, "json"
    )
    assert response.status_code == 400
    assert "teams" in response.json()


def _schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_documents_team_ids_for_a_cycle(lead_quinn, client_for):
    cycle = _schema(client_for(lead_quinn))["components"]["schemas"]["Cycle"]["properties"]
    choices = cycle["teams"]["items"]["oneOf"]
    assert {"type": "integer"}.items() <= choices[0].items()
    assert choices[1]["type"] == "string"
    assert choices[1].get("deprecated") is True


# --- Links -----------------------------------------------------------------------------------
def _links(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _links(item)
    elif isinstance(value, list):
        for item in value:
            yield from _links(item)
    elif isinstance(value, str) and re.match(r"^(https?://[^/]+)?/api/", value):
        yield re.sub(r"^https?://[^/]+", "", value)


def _documented(path: str, templates: list[str]) -> bool:
    return any(
        re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path)
        for template in templates
    )


@pytest.mark.django_db
def test_every_link_the_api_returns_is_a_documented_path_that_answers(client_for):
    cycle = finished_cycle(cases=200, n=20)
    lead = User.objects.get(username="qa.lead")
    internal = User.objects.get(username="internal.audit")
    job = reports.report_request(cycle=cycle, actor=lead)
    report_compile(job.pk, "task-links")
    templates = list(_schema(client_for(lead))["paths"])
    found = set()
    for person, listing in [
        (lead, "/api/v1/reports/"),
        (lead, f"/api/v1/reports/{job.pk}/"),
        (internal, "/api/v1/assurance-summaries/"),
        (lead, f"/api/v1/cycles/{cycle.pk}/"),
        (lead, f"/api/v1/cycles/{cycle.pk}/verification/"),
    ]:
        response = client_for(person).get(listing)
        assert response.status_code == 200, listing
        for link in _links(response.json()):
            found.add((person.username, link))
    assert {link for _, link in found} >= {
        f"/api/v1/reports/{job.pk}/pdf/",
        f"/api/v1/reports/{job.pk}/data.json/",
        f"/api/v1/reports/{job.pk}/audits.csv/",
    }
    for username, link in sorted(found):
        path = link.split("?")[0]
        assert _documented(path, templates), f"{link} is not a path the schema documents"
        resolve(path)
        response = client_for(User.objects.get(username=username)).get(link)
        assert response.status_code == 200, link


@pytest.mark.django_db
def test_every_api_route_reverses_to_its_documented_spelling(client_for, people):
    from django.urls import get_resolver, reverse

    templates = list(_schema(client_for(people["qa_lead_quinn"]))["paths"])
    checked = 0
    for name, patterns in get_resolver().namespace_dict["api"][1].reverse_dict.lists():
        if not isinstance(name, str) or name == "api-root":
            continue
        keywords = patterns[0][0][0][1]
        if "format" in keywords:
            continue
        path = reverse(f"api:{name}", kwargs=dict.fromkeys(keywords, "7"))
        assert _documented(path, templates), f"api:{name} reverses to {path}, not documented"
        checked += 1
    assert checked > 40


def test_an_undocumented_path_is_not_taken_for_a_documented_one():
    assert not _documented("/api/v1/reports/3/pdf", ["/api/v1/reports/{id}/pdf/"])
    assert _documented("/api/v1/reports/3/pdf/", ["/api/v1/reports/{id}/pdf/"])
    with pytest.raises(Resolver404):
        resolve("/api/v1/no-such-thing/")
