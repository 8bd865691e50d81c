"""Who sees which cases: scoped by role in one place, 404 outside scope, reads logged."""

from datetime import date

import pytest

from audits.models import AccessLog, Case, Conflict, Staff, Team


@pytest.fixture
def cases(teams):
    cp, cla = teams["Child Protection One"], teams["Children Looked After"]
    return {
        "cp_case": Case.objects.create(
            case_ref="C1", team=cp, case_type="cp", opened_on=date(2025, 1, 1)
        ),
        "cla_case": Case.objects.create(
            case_ref="C2", team=cla, case_type="cla", opened_on=date(2025, 1, 1)
        ),
    }


def refs(response):
    """The case references a person is shown by a list that answered 200."""
    assert response.status_code == 200, response.content
    return sorted(row["case_ref"] for row in response.json()["results"])


def not_found(response):
    """A 404 that says nothing of any case: no reference, no team, only that it is not found."""
    assert response.status_code == 404, response.content
    assert list(response.json()) == ["detail"]
    for told in (b"C1", b"C2", b"Child Protection", b"Looked After"):
        assert told not in response.content
    return True


def test_outsider_eve_gets_404_on_every_case_and_on_the_list(people, cases, client_for):
    client = client_for(people["outsider_eve"])
    for case in cases.values():
        assert not_found(client.get(f"/api/v1/cases/{case.pk}/"))
    assert not_found(client.get("/api/v1/cases/"))


def test_anonymous_callers_are_asked_to_sign_in_and_see_no_case(cases, client_for):
    response = client_for(None).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_auditor_alice_sees_no_case_she_is_not_assigned(people, cases, client_for):
    client = client_for(people["auditor_alice"])
    assert refs(client.get("/api/v1/cases/")) == []
    assert not_found(client.get(f"/api/v1/cases/{cases['cp_case'].pk}/"))


def test_manager_bob_sees_only_his_teams_cases(people, cases, client_for):
    client = client_for(people["manager_bob"])
    assert refs(client.get("/api/v1/cases/")) == ["C1"]
    shown = client.get(f"/api/v1/cases/{cases['cp_case'].pk}/")
    assert shown.status_code == 200
    assert shown.json()["case_ref"] == "C1"
    assert not_found(client.get(f"/api/v1/cases/{cases['cla_case'].pk}/"))


def test_the_qa_lead_sees_every_team_she_manages(people, cases, client_for):
    assert refs(client_for(people["qa_lead_quinn"]).get("/api/v1/cases/")) == ["C1", "C2"]


def test_internal_audit_sees_no_case_before_any_sample(people, cases, client_for):
    assert refs(client_for(people["internal_ian"]).get("/api/v1/cases/")) == []


def test_reading_a_case_writes_an_access_log_row(people, cases, client_for):
    case = cases["cp_case"]
    response = client_for(people["manager_bob"]).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["case_ref"] == "C1"
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_id) == (
        people["manager_bob"],
        "case",
        str(case.pk),
    )


def test_case_responses_are_not_cached(people, cases, client_for):
    response = client_for(people["manager_bob"]).get(f"/api/v1/cases/{cases['cp_case'].pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_the_case_list_costs_the_same_queries_for_more_rows(
    people, teams, client_for, django_assert_max_num_queries
):
    client = client_for(people["qa_lead_quinn"])
    worker = Staff.objects.create(
        staff_ref="W1", name="Wendy Worker", team=teams["Child Protection One"]
    )

    def add(count, start):
        Case.objects.bulk_create(
            Case(
                case_ref=f"C{start + i}",
                team=teams["Child Protection One"],
                case_type="cp",
                opened_on=date(2025, 1, 1),
                worker=worker,
                manager=worker,
            )
            for i in range(count)
        )

    add(3, 100)
    with django_assert_max_num_queries(8) as few:
        response = client.get("/api/v1/cases/")
    assert response.json()["count"] == 3
    add(40, 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert response.json()["count"] == 43


def test_an_auditor_sees_only_her_own_staff_record(people, client_for):
    response = client_for(people["auditor_alice"]).get("/api/v1/staff/")
    assert response.status_code == 200
    assert [row["username"] for row in response.json()["results"]] == ["auditor_alice"]


def test_only_admins_change_teams_and_internal_audit_writes_nothing(people, client_for):
    body = {"name": "New Team", "service_area": "cin"}
    assert client_for(people["internal_ian"]).post("/api/v1/teams/", body).status_code == 403
    assert client_for(people["manager_bob"]).post("/api/v1/teams/", body).status_code == 403
    assert not Team.objects.filter(name="New Team").exists()
    made = client_for(people["admin_ada"]).post("/api/v1/teams/", body)
    assert made.status_code == 201
    assert Team.objects.get(name="New Team").service_area == "cin"


def test_an_auditor_declares_only_her_own_conflicts(people, cases, client_for):
    client = client_for(people["auditor_alice"])
    own = Staff.objects.get(user=people["auditor_alice"]).staff_ref
    other = Staff.objects.get(user=people["manager_bob"]).staff_ref
    body = {"auditor": own, "worker": other, "reason": "Neighbour of the family"}
    assert client.post("/api/v1/conflicts/", body).status_code == 201
    body["auditor"] = other
    refused = client.post("/api/v1/conflicts/", body)
    assert refused.status_code == 400
    assert refused.json()["auditor"] == ["must be you"]
    # A case she has not been given is not hers to name (tests/test_conflicts.py).
    for named in (
        {"case": "C1", "reason": "x"},
        {"auditor": own, "case": "C1", "worker": other, "reason": "x"},
    ):
        refused = client.post("/api/v1/conflicts/", named)
        assert refused.status_code == 400
        assert "There is no case 'C1' among the cases you can name" in refused.json()["case"][0]
    assert Conflict.objects.count() == 1
