"""Strict queries: a query parameter an operation does not read, or a value it cannot
take, is a 400 naming it on every route of the API; an analyst never gets an unfiltered
list believing it was filtered (issue 18, point 3).

The routes come from the URL resolver, not a hand list: a new route is walked the day it
is added. The person asking holds every role, so the answer is the query's, not a 403.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from audits.core import roles

FILLER = "999999"  # no such object: the query is checked before the object is looked up


def api_routes():
    """(name, path with its arguments filled, methods served) for every route of the API."""
    found = {}

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            regex = prefix + entry.pattern.regex.pattern.lstrip("^").removesuffix("\\Z").rstrip("$")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, regex, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "api" and entry.name:
                if "format" in entry.pattern.regex.pattern:
                    continue  # the .json suffix twin of a route
                found.setdefault(f"api:{entry.name}", (regex, methods_of(entry.callback)))

    walk(get_resolver().url_patterns, "", None)
    return {name: (path_of(regex), methods) for name, (regex, methods) in found.items()}


def methods_of(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return {m.upper() for m in actions}
    view = callback.view_class
    return {m.upper() for m in view.http_method_names if m not in ("options", "head")} & {
        m.upper() for m in dir(view) if m in ("get", "post", "put", "patch", "delete")
    }


def path_of(regex: str) -> str:
    path = re.sub(r"\(\?P<\w+>[^)]*\)", FILLER, regex)
    path = path.replace("/?", "/").replace("\\.", ".").replace("\\", "")
    return "/" + path.lstrip("/")


ROUTES = api_routes()
LISTS = sorted(name for name in ROUTES if name.endswith("-list") or FILLER not in ROUTES[name][0])


@pytest.fixture
def everyone(make_person):
    return make_person("every_role_rae", *roles.ALL_ROLES)


def test_the_walk_finds_the_lists():
    assert {"api:case-list", "api:report-list", "api:assurance-summaries"} <= set(LISTS)
    assert len(ROUTES) > 40


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_refuses_a_parameter_it_does_not_read(name, everyone, client_for):
    path, methods = ROUTES[name]
    client = client_for(everyone)
    for method in sorted(methods):
        response = getattr(client, method.lower())(f"{path}?colour=red", format="json")
        assert response.status_code == 400, (method, path, response.status_code)
        assert "Unknown query parameter" in response.json()["colour"][0], (method, path)


def test_a_list_names_what_it_reads(everyone, client_for):
    answer = client_for(everyone).get("/api/v1/reports/?colour=red").json()
    assert set(answer) == {"colour"}
    assert "Allowed: cycle, format, limit, offset" in answer["colour"][0]


@pytest.mark.parametrize(
    ("query", "named", "words"),
    [
        ("cycle=2.5", "cycle", "whole number"),
        ("cycle=two", "cycle", "whole number"),
        ("status=finished", "status", "Unknown value 'finished'. Allowed: queued, running"),
        ("limit=0", "limit", "at least 1"),
        ("offset=-1", "offset", "whole number"),
        ("format=xml", "format", "Unknown format 'xml'"),
        ("status=", "status", "must not be empty"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(query, named, words, everyone, client_for):
    response = client_for(everyone).get(f"/api/v1/reports/?{query}")
    assert response.status_code == 400, response.content
    assert words in str(response.json()[named])


def test_a_true_false_filter_refuses_anything_else(everyone, client_for):
    client = client_for(everyone)
    assert client.get("/api/v1/staff/?is_active=true").status_code == 200
    response = client.get("/api/v1/staff/?is_active=maybe")
    assert response.status_code == 400
    assert "Allowed: true, false" in response.json()["is_active"][0]
    # A value with a per cent sign is named as it is, not a 500 (found by schemathesis).
    response = client.get("/api/v1/staff/?is_active=50%25")
    assert response.status_code == 400
    assert response.json()["is_active"] == ["Unknown value '50%'. Allowed: true, false."]
    response = client.get("/api/v1/actions/?overdue=perhaps")
    assert response.status_code == 400
    assert "overdue" in response.json()


def test_a_detail_route_reads_no_list_filters(everyone, client_for):
    """``/cycles/{id}/sample/?status=...`` once filtered the cycles, not the sample."""
    client = client_for(everyone)
    response = client.get(f"/api/v1/cycles/{FILLER}/sample/?status=selected")
    assert response.status_code == 400
    assert "status" in response.json()
    assert client.get(f"/api/v1/cycles/{FILLER}/sample/?limit=5").status_code == 404


def test_outside_the_roles_the_answer_is_still_404(make_person, client_for):
    outsider_eve = make_person("outsider_eve")
    response = client_for(outsider_eve).get("/api/v1/assurance-summaries/?colour=red")
    assert response.status_code == 404


def test_the_register_import_checks_its_query(everyone, client_for):
    client = client_for(everyone)
    response = client.post("/api/v1/cases/import/?kind=pets", {}, format="multipart")
    assert response.status_code == 400
    assert "kind" in response.json()
    response = client.post("/api/v1/cases/import/?dry_run=perhaps", {}, format="multipart")
    assert response.status_code == 400
    assert "dry_run" in response.json()


@pytest.mark.parametrize("query", ["cycle=99999999999999999999999", "cycle=-1"])
def test_an_id_no_column_can_hold_is_a_400_or_an_empty_list(query, everyone, client_for):
    response = client_for(everyone).get(f"/api/v1/reports/?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []
    response = client_for(everyone).get(f"/api/v1/assurance-summaries/?team={query[6:]}")
    assert response.status_code in (200, 400)
