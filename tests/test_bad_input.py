"""Finding 11 of issue 12: inputs that used to answer 500 (or were quietly bent) now get a
400 naming the field, and nothing is written."""

from datetime import date

import pytest

from audits.models import Assignment, Audit, Case, Cycle, Event, SampledCase, Staff, Template
from tests.import_jobs import upload_and_import


@pytest.fixture
def alice_audit(people, teams):
    cp = teams["Child Protection One"]
    case = Case.objects.create(
        case_ref="C900001", team=cp, case_type="cp", opened_on=date(2025, 1, 1)
    )
    template = Template.objects.get(status="published")
    cycle = Cycle.objects.create(
        name="Q3", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30), template=template
    )
    sampled = SampledCase.objects.create(
        cycle=cycle, case=case, stratum="all", rank=1, selection_key="a" * 64
    )
    assignment = Assignment.objects.create(
        sampled_case=sampled, auditor=Staff.objects.get(user=people["auditor_alice"])
    )
    return Audit.objects.create(assignment=assignment, template=template)


def _raw_patch(client, audit, body: str):
    return client.generic(
        "PATCH", f"/api/v1/audits/{audit.pk}/", body, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"version": 1e309}', "version"),
        ('{"version": 1, "rationale": "\\ud800"}', "rationale"),
        ('{"version": 1, "themes": [{"a": 1}]}', "themes"),
        ('{"version": 1, "strengths": {"a": 1}}', "strengths"),
        ('{"version": 1, "answers": {"plan_smart": 1e309}}', "answers.plan_smart"),
        ('{"version": 1, "answers": {"plan_smart": {"a": 1}}}', "answers.plan_smart"),
        ('{"version": 1, "answers": {"child_seen_recently": {"a": 1}}}', "answers"),
        ('{"version": 1, "answers": {"audit_type": ["Desk audit"]}}', "answers"),
        ('{"version": 1, "answers": {"last_visit_date": "0001-01-01"}}', "answers"),
        ('{"version": 1, "answers": {"last_visit_date": {"a": 1}}}', "answers"),
    ],
)
def test_an_audit_patch_with_bad_json_values_is_400_and_saves_nothing(
    people, alice_audit, client_for, body, field
):
    client = client_for(people["auditor_alice"])
    events = Event.objects.count()
    response = _raw_patch(client, alice_audit, body)
    assert response.status_code == 400, response.content
    assert any(key.startswith(field.split(".")[0]) for key in response.json()), response.json()
    alice_audit.refresh_from_db()
    assert (alice_audit.version, alice_audit.rationale, alice_audit.themes) == (1, "", [])
    assert Event.objects.count() == events


def test_a_fractional_version_is_refused_not_taken_as_a_whole_number(
    people, alice_audit, client_for
):
    client = client_for(people["auditor_alice"])
    response = _raw_patch(client, alice_audit, '{"version": 1.7, "strengths": "Clear plan"}')
    assert response.status_code == 400
    assert "version" in response.json()
    response = _raw_patch(client, alice_audit, '{"version": 2.7, "strengths": "Clear plan"}')
    assert response.status_code == 400
    alice_audit.refresh_from_db()
    assert (alice_audit.version, alice_audit.strengths) == (1, "")


@pytest.mark.parametrize("start", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_cycle_with_a_period_outside_1900_to_2100_is_refused(people, client_for, start):
    client = client_for(people["qa_lead_quinn"])
    response = client.post(
        "/api/v1/cycles/",
        {
            "name": "Odd",
            "period_start": start,
            "period_end": "2100-12-31",
            "plan": {"method": "fixed", "n": 5},
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "period_start" in response.json()
    assert not Cycle.objects.filter(name="Odd").exists()


@pytest.mark.parametrize("etag", ['"2.7"', '"\u00b2"', '"' + "9" * 5000 + '"', '"-1"'])
def test_a_bad_if_match_version_is_400(people, alice_audit, client_for, etag):
    client = client_for(people["auditor_alice"])
    response = client.patch(
        f"/api/v1/audits/{alice_audit.pk}/",
        {"strengths": "Clear"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.parametrize("query", ["limit=\u00b2", "offset=" + "9" * 5000, "limit=1e3"])
def test_a_bad_page_parameter_is_400(people, client_for, query):
    response = client_for(people["auditor_alice"]).get(f"/api/v1/audits/?{query}")
    assert response.status_code == 400


def test_a_register_row_with_a_superscript_year_is_a_row_error(people, client_for):
    # str.isdigit() says yes to "\u00b2" but int() cannot read it: it was a 500.
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year\n"
    body = header + "C1,Child Protection One,cp,2025-01-01,,,,\u00b2\n"
    upload = SimpleUploadedFile("cases.csv", body.encode(), content_type="text/csv")
    response = upload_and_import(
        client_for(people["qa_lead_quinn"]),
        "/api/v1/cases/import/?kind=cases&dry_run=1",
        {"file": upload},
    )
    assert response.json()["status"] == "failed"
    assert "birth_year" in response.content.decode()
