"""Property tests for bad input on every writable field of every writable API endpoint.

The fields come from the OpenAPI schema the API serves, so a new endpoint or field is
covered as soon as it exists. For each field, values nothing can hold are generated: JSON
numbers too large for any column (1e309, a 40-digit integer), fractions where a whole number
is expected, lone UTF-16 surrogates, objects where text is expected, and dates outside
1900-2100. Each must get a 400 that names the field, from a person allowed to write there,
and never a 2xx or a 500."""

import json
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from audits.models import (
    Action,
    Allocation,
    Audit,
    Case,
    Conflict,
    Cycle,
    ImprovementItem,
    Reconciliation,
    Staff,
    Template,
)
from audits.services import assignment, escalations, programme, sample
from tests.builders import known_server_random

MARK = "__BAD_VALUE__"


def _writable_fields() -> list[tuple[str, str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = resolve(content["application/json"]["schema"])
            for name, field in body.get("properties", {}).items():
                if not field.get("readOnly"):
                    found.append((method.upper(), path, name, resolve(field)))
    return found


FIELDS = _writable_fields()


def _kinds(field: dict) -> list[str]:
    """Which bad values apply: every field refuses a non-finite number and a lone
    surrogate; whole-number fields a fraction; text fields an object; dates 1900-2100."""
    kinds = ["huge", "surrogate"]
    if field.get("type") == "integer":
        kinds += ["fraction", "huge_integer"]
    if field.get("type") == "string" and field.get("format") not in ("date",):
        kinds.append("object")
    if field.get("format") == "date":
        kinds.append("date")
    return kinds


def _raw(kind: str, draw) -> str:
    """The bad value as JSON text (some of them json.dumps cannot write)."""
    if kind == "huge":
        sign = draw(st.sampled_from(["", "-"]))
        return f"{sign}{draw(st.integers(1, 9))}e{draw(st.integers(309, 5000))}"
    if kind == "huge_integer":
        return str(draw(st.integers(2**63, 10**40)))
    if kind == "fraction":
        whole = draw(st.integers(-1000, 1000))
        return f"{whole}.{draw(st.integers(1, 99)):02d}"
    if kind == "surrogate":
        prefix = json.dumps(draw(st.text(st.characters(codec="ascii"), max_size=5)))[1:-1]
        return f'"{prefix}\\u{draw(st.integers(0xD800, 0xDFFF)):04x}"'
    if kind == "object":
        return json.dumps(draw(st.dictionaries(st.text(max_size=3), st.integers(), min_size=1)))
    day = draw(st.dates(max_value=date(1899, 12, 31)) | st.dates(min_value=date(2101, 1, 1)))
    return json.dumps(day.isoformat())


@pytest.fixture
def world(people, teams, make_person, client_for):
    """One of each object a writable endpoint can name, in a drawn and assigned cycle."""
    cp = teams["Child Protection One"]
    worker = Staff.objects.create(staff_ref="SW9", name="Sam Worker", team=cp)
    for ref in range(5001, 5007):
        Case.objects.create(
            case_ref=str(ref), team=cp, case_type="cp", opened_on=date(2025, 1, 1), worker=worker
        )
    lead = people["qa_lead_quinn"]
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        template=Template.objects.get(status="published"),
        plan={"method": "fixed", "n": 3, "allocation": "proportional", "minimum": 0},
        created_by=lead,
    )
    cycle.teams.set([cp])
    with known_server_random("bad-input"):
        sample.sample_draw(cycle=cycle, actor=lead)
    assignment.cycle_assign(cycle=cycle, actor=lead)
    audit = Audit.objects.filter(assignment__auditor__user=people["auditor_alice"]).first()
    escalation = escalations.escalation_raise(audit=audit, actor=lead, concern="Seen alone?")
    item = ImprovementItem.objects.create(reference="IN-1", title="Voice of the child")
    action = Action.objects.create(
        audit=audit,
        case=audit.assignment.sampled_case.case,
        team=cp,
        owner=worker,
        description="Update the plan",
        due_date=date(2099, 1, 1),
        created_by=lead,
    )
    conflict = Conflict.objects.create(
        auditor=Staff.objects.get(user=people["auditor_alice"]), worker=worker, reason="Friend"
    )
    # A reconciliation to send agreed grades to (written straight: only the body is tested).
    other = Audit.objects.filter(assignment__sampled_case__cycle=cycle).exclude(pk=audit.pk)[0]
    reconciliation = Reconciliation.objects.create(
        sampled_case=audit.assignment.sampled_case,
        first_audit=audit,
        second_audit=other,
        first_grades={"overall": 3, "domains": {}},
        second_grades={"overall": 2, "domains": {}},
        disagreements=["overall"],
    )
    ids = {
        "reconciliations": reconciliation.pk,
        "actions": action.pk,
        "audits": audit.pk,
        "cases": audit.assignment.sampled_case.case_id,
        "conflicts": conflict.pk,
        "cycles": cycle.pk,
        "escalations": escalation.pk,
        "improvement-items": item.pk,
        "sampled-cases": audit.assignment.sampled_case_id,
        "staff": worker.pk,
        "teams": cp.pk,
        "templates": cycle.template_id,
    }
    # A final audit of a case whose worker answers it as a practitioner.
    final = Audit.objects.filter(assignment__sampled_case__cycle=cycle).exclude(pk=audit.pk)[0]
    Audit.objects.filter(pk=final.pk).update(status="final", submitted_at=timezone.now())
    practitioner = make_person("worker_wes", "practitioner", team=cp)
    Allocation.objects.create(
        case=final.assignment.sampled_case.case,
        staff=Staff.objects.get(user=practitioner),
        role="worker",
        from_date=date(2025, 1, 1),
    )
    ids["findings"] = final.pk
    ids["programme-entries"] = programme.programme_entry_create(
        actor=lead, fields={"year": 2099, "kind": "random", "name": "Monthly", "month": 1}
    ).pk
    # An outsider's read access to the cycle (an administrator's grant), to change.
    from audits.services.external_access import external_access_grant

    outsider = User.objects.create_user("inspector_ian", first_name="Ian", last_name="Inspector")
    ids["external-access"] = external_access_grant(
        actor=people["admin_ada"],
        person=outsider,
        cycle=cycle,
        organisation="Ofsted",
        purpose="inspection",
        scope="sample",
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=6),
    ).pk
    names = ("qa_lead_quinn", "admin_ada", "auditor_alice")
    clients = [client_for(people[name]) for name in names] + [client_for(practitioner)]
    return {"ids": ids, "clients": clients, "audit": audit}


def _url(path: str, ids: dict) -> str:
    resource = path.removeprefix("/api/v1/").split("/", 1)[0]
    return path.replace("{id}", str(ids.get(resource, 1)))


def _names_field(body, field: str) -> bool:
    if not isinstance(body, dict):
        return False
    return any(key == field or key.startswith(f"{field}.") for key in body)


KINDS = ["huge", "huge_integer", "fraction", "surrogate", "object", "date"]


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_writable_field_refuses_values_nothing_can_hold(world, kind, data):
    checked = 0
    for method, path, field, schema in FIELDS:
        if kind not in _kinds(schema):
            continue
        raw = _raw(kind, data.draw)
        base = {"version": Audit.objects.get(pk=world["audit"].pk).version}
        base = base if path.startswith("/api/v1/audits/") and field != "version" else {}
        body = json.dumps({**base, field: MARK}).replace(json.dumps(MARK), raw)
        answers = []
        for client in world["clients"]:
            response = client.generic(
                method, _url(path, world["ids"]), body, content_type="application/json"
            )
            answers.append(response.status_code)
            assert response.status_code < 500, (method, path, field, raw, response.content)
            assert not 200 <= response.status_code < 300, (method, path, field, raw)
            if response.status_code == 400:
                assert _names_field(response.json(), field), (method, path, raw, response.json())
                break
        assert 400 in answers, (method, path, field, raw, answers)
        checked += 1
    assert checked > 0
