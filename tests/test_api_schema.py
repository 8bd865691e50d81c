"""The OpenAPI schema says what the API does: the status every write answers, every 4xx
with one error body, JSON bodies (multipart only where a file is sent), request bodies
without read-only fields, typed figures and enums, operation ids a generator can use, and
the paths the API's own links point to."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from openapi_schema_validator import OAS30Validator

from audits.services import reports
from tests.builders import finished_cycle
from tests.test_every_write_has_an_event import CASES, World, _client, _send
from worker.compile import report_compile

FILE_UPLOADS = {("/api/v1/cases/import/", "post"), ("/api/v1/evidence/", "post")}


@pytest.fixture(scope="module")
def schema():
    return Client().get("/api/schema/", {"format": "json"}).json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def documented(schema, url: str, method: str) -> dict:
    path = urlsplit(url).path
    for template, methods in schema["paths"].items():
        parts = re.split(r"\{[^}]+\}", template.removesuffix("/"))
        pattern = "[^/]+".join(re.escape(part) for part in parts)
        if re.fullmatch(pattern + "/?", path) and method.lower() in methods:
            return methods[method.lower()]
    raise AssertionError(f"{method} {path} is not in the schema")


def ref(prop: dict) -> str:
    """The component a property names, read-only and nullable ones (allOf, oneOf) too."""
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    (named,) = [p for p in prop.get("allOf", prop.get("oneOf", [])) if "$ref" in p]
    return named["$ref"].rsplit("/", 1)[-1]


def test_operation_ids_tags_and_summaries_are_what_a_generator_needs(schema):
    ids = [op["operationId"] for _, _, op in operations(schema)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z0-9_]+", i)] == []
    assert "reports_audits_csv_retrieve" in ids
    for path, method, op in operations(schema):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert op["tags"] == [resource], (method, path)
        assert op.get("summary"), (method, path)
        assert "\n" not in op["summary"], (method, path)


def test_bodies_are_json_and_multipart_only_where_a_file_is_sent(schema):
    for path, method, op in operations(schema):
        if "requestBody" not in op:
            continue
        media = set(op["requestBody"]["content"])
        expected = (
            {"multipart/form-data"} if (path, method) in FILE_UPLOADS else {"application/json"}
        )
        assert media == expected, (method, path)


def test_request_components_leave_out_read_only_fields(schema):
    job_request = schema["components"]["schemas"]["ReportJobRequest"]
    assert set(job_request["properties"]) == {"cycle"}
    for name, body in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            read_only = [k for k, v in body.get("properties", {}).items() if v.get("readOnly")]
            assert read_only == [], name


def test_every_operation_documents_its_4xx_with_the_error_body(schema):
    for path, method, op in operations(schema):
        codes = {int(c) for c in op["responses"] if c.startswith("4")}
        needs_token = op["operationId"] != "auth_token_create"
        if needs_token:
            assert 401 in codes, (method, path)
        if "{" in path:
            assert 404 in codes, (method, path)
        if method in ("post", "put", "patch") and needs_token:
            assert {400, 403, 409, 415} <= codes, (method, path)
        for code in codes:
            body = op["responses"][str(code)]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["detail"]["type"] == "string"
    assert error["additionalProperties"] == {}  # each field named with its messages


def test_the_token_endpoint_needs_no_token_and_the_rest_do(schema):
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert token.get("security", []) in ([], [{}])
    assert "401" not in token["responses"]
    summaries = schema["paths"]["/api/v1/assurance-summaries/"]["get"]
    assert {"tokenAuth": []} in summaries["security"]


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/api/v1/reports/{id}/pdf/", "application/pdf"),
        ("/api/v1/packs/{id}/download/", "application/zip"),
        ("/api/v1/reports/{id}/audits.csv/", "text/csv"),
        ("/api/v1/cycles/{id}/frame.csv/", "application/gzip"),
        ("/api/v1/cycles/{id}/sample.csv/", "text/csv"),
        ("/api/v1/cycles/{id}/verify_sample.py/", "text/x-python"),
        ("/api/v1/reports/{id}/recompute_report.py/", "text/x-python"),
        ("/api/v1/evidence/{id}/download/", "application/octet-stream"),
    ],
)
def test_files_are_documented_with_their_media_type(schema, path, media):
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]
    assert content == {media: {"schema": {"type": "string", "format": "binary"}}}


def test_figures_statuses_and_opinions_are_typed(schema):
    schemas = schema["components"]["schemas"]
    summary = schemas["AssuranceSummary"]["properties"]
    assert ref(summary["opinion"]) == "OpinionEnum"
    assert schemas["OpinionEnum"]["enum"] == [
        "Substantial",
        "Reasonable",
        "Limited",
        "No assurance",
    ]
    assert ref(summary["key_figures"]) == "KeyFigures"
    assert ref(summary["conditions"]["items"]) == "Condition"
    assert summary["caveats"]["items"]["type"] == "string"
    assert ref(summary["files"]) == "ReportFiles"
    key = schemas["KeyFigures"]["properties"]
    assert ref(key["good_or_better"]) == "GoodOrBetter"
    assert {"estimate", "low", "high"} <= set(schemas["GoodOrBetter"]["required"])
    assert {"completion_rate", "alpha_overall", "kappa_quadratic"} <= set(key)
    assert ref(schemas["ReportJob"]["properties"]["status"]) == "ReportStatusEnum"
    assert set(schemas["ReportStatusEnum"]["enum"]) == {"queued", "running", "done", "failed"}
    assert ref(schemas["ReportDetail"]["properties"]["figures"]) == "Figures"
    assert ref(schemas["Figures"]["properties"]["reliability"]) == "Reliability"
    data_json = schema["paths"]["/api/v1/reports/{id}/data.json/"]["get"]["responses"]["200"]
    assert ref(data_json["content"]["application/json"]["schema"]) == "Figures"


def test_documented_paths_are_the_paths_the_api_links_to(schema):
    """Each documented path, with its ids filled in, is what reverse() (every link the API
    and the pages make, the report file links among them) gives for its route."""
    for path in schema["paths"]:
        concrete = re.sub(r"\{[^}]+\}", "7", path)
        match = resolve(concrete)
        assert reverse(f"{match.namespace}:{match.url_name}", kwargs=match.kwargs) == concrete


def test_every_api_write_answers_a_status_the_schema_documents(db, settings, schema):
    """The writes of tests/test_every_write_has_an_event.py, sent again: each answers a
    status its operation documents (draw, assign and extend answer 201, and say so)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = World()
    problems = []
    for (name, method), make in sorted(CASES.items(), key=lambda item: item[0]):
        if not name.startswith("api:"):
            continue
        with transaction.atomic():
            write = make(w)
        response = _send(_client(w, write.actor, write.api), method, write)
        codes = documented(schema, write.url, method)["responses"]
        if str(response.status_code) not in codes:
            problems.append(
                f"{method} {name}: answered {response.status_code}, documents {sorted(codes)}"
            )
    assert problems == []


def test_a_compiled_report_matches_its_typed_figures(db, schema, client_for):
    """The typed figures describe what a real report holds: the summary, the report and
    data.json each validate against the schema (nulls included, as OpenAPI 3.0 says)."""
    cycle = finished_cycle(cases=150, n=20)
    lead = User.objects.get(username="qa.lead")
    job = reports.report_request(cycle=cycle, actor=lead)
    report_compile(job.pk, "task-schema")
    client = client_for(lead)
    for url in (
        "/api/v1/assurance-summaries/",
        f"/api/v1/reports/{job.pk}/",
        f"/api/v1/reports/{job.pk}/data.json",
        "/api/v1/reports/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = json.loads(b"".join(response) if response.streaming else response.content)
        shape = documented(schema, url, "get")["responses"]["200"]["content"]["application/json"]
        OAS30Validator({**shape["schema"], "components": schema["components"]}).validate(body)
