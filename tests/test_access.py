"""Who sees which cases: scoped by role in one place, 404 outside scope, reads logged."""

from datetime import date

import pytest

from audits.models import AccessLog, Case, Staff


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
    return sorted(row["case_ref"] for row in response.json()["results"])


def test_outsider_eve_gets_404_on_every_case_and_on_the_list(people, cases, client_for):
    client = client_for(people["outsider_eve"])
    for case in cases.values():
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert client.get("/api/v1/cases/").status_code == 404


def test_anonymous_callers_are_refused(cases, client_for):
    assert client_for(None).get("/api/v1/cases/").status_code in (401, 403)


def test_auditor_alice_sees_no_case_she_is_not_assigned(people, cases, client_for):
    client = client_for(people["auditor_alice"])
    assert refs(client.get("/api/v1/cases/")) == []
    assert client.get(f"/api/v1/cases/{cases['cp_case'].pk}/").status_code == 404


def test_manager_bob_sees_only_his_teams_cases(people, cases, client_for):
    client = client_for(people["manager_bob"])
    assert refs(client.get("/api/v1/cases/")) == ["C1"]
    assert client.get(f"/api/v1/cases/{cases['cla_case'].pk}/").status_code == 404


def test_the_qa_lead_sees_every_team_she_manages(people, cases, client_for):
    assert refs(client_for(people["qa_lead_quinn"]).get("/api/v1/cases/")) == ["C1", "C2"]


def test_internal_audit_sees_no_case_before_any_sample(people, cases, client_for):
    assert refs(client_for(people["internal_ian"]).get("/api/v1/cases/")) == []


def test_reading_a_case_writes_an_access_log_row(people, cases, client_for):
    case = cases["cp_case"]
    response = client_for(people["manager_bob"]).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_id) == (
        people["manager_bob"],
        "case",
        str(case.pk),
    )


def test_case_responses_are_not_cached(people, cases, client_for):
    response = client_for(people["manager_bob"]).get(f"/api/v1/cases/{cases['cp_case'].pk}/")
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
        client.get("/api/v1/cases/")
    add(40, 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/cases/")


def test_an_auditor_sees_only_her_own_staff_record(people, client_for):
    response = client_for(people["auditor_alice"]).get("/api/v1/staff/")
    assert [row["username"] for row in response.json()["results"]] == ["auditor_alice"]


def test_only_admins_change_teams_and_internal_audit_writes_nothing(people, client_for):
    body = {"name": "New Team", "service_area": "cin"}
    assert client_for(people["internal_ian"]).post("/api/v1/teams/", body).status_code == 403
    assert client_for(people["manager_bob"]).post("/api/v1/teams/", body).status_code == 403
    assert client_for(people["admin_ada"]).post("/api/v1/teams/", body).status_code == 201


def test_an_auditor_declares_only_her_own_conflicts(people, cases, client_for):
    client = client_for(people["auditor_alice"])
    own = Staff.objects.get(user=people["auditor_alice"]).staff_ref
    other = Staff.objects.get(user=people["manager_bob"]).staff_ref
    body = {"auditor": own, "worker": other, "reason": "Neighbour of the family"}
    assert client.post("/api/v1/conflicts/", body).status_code == 201
    body["auditor"] = other
    assert client.post("/api/v1/conflicts/", body).status_code == 400
    # A case she has not been given is not hers to name (tests/test_conflicts.py).
    assert client.post("/api/v1/conflicts/", {"case": "C1", "reason": "x"}).status_code == 400
    both = {"auditor": own, "case": "C1", "worker": other, "reason": "x"}
    assert client.post("/api/v1/conflicts/", both).status_code == 400
