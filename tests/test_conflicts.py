"""Declared conflicts of interest: an auditor declares their own; only a manager of the case's
team (or of the worker's team; the QA lead manages them all) changes or withdraws one, with
a reason; every change is an Event; an error never tells whether a case outside the caller's
scope exists; managers list the conflicts of their teams, not the whole council's."""

from datetime import date

import pytest

from audits.models import (
    Assignment,
    Case,
    Conflict,
    Cycle,
    Event,
    SampledCase,
    Staff,
    Template,
)

URL = "/api/v1/conflicts/"


@pytest.fixture
def council(people, teams, make_person):
    cp, cla = teams["Child Protection One"], teams["Children Looked After"]
    carl = make_person("auditor_carl", "auditor", team=teams["Quality Assurance"], capacity=5)
    dan = make_person("manager_dan", "manager", team=cla, managed=[cla])
    cp_worker = Staff.objects.create(staff_ref="SW-CP", name="Cora Worker", team=cp)
    cla_worker = Staff.objects.create(staff_ref="SW-CLA", name="Lee Worker", team=cla)
    cp_case = Case.objects.create(
        case_ref="C700001", team=cp, case_type="cp", opened_on=date(2025, 1, 1), worker=cp_worker
    )
    cla_case = Case.objects.create(
        case_ref="C700002",
        team=cla,
        case_type="cla",
        opened_on=date(2025, 1, 1),
        worker=cla_worker,
    )
    # Alice has been given the Child Protection case to audit.
    cycle = Cycle.objects.create(
        name="Q1",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        template=Template.objects.get(status="published"),
    )
    sampled = SampledCase.objects.create(
        cycle=cycle, case=cp_case, stratum="all", rank=1, selection_key="a" * 64
    )
    alice = Staff.objects.get(user=people["auditor_alice"])
    Assignment.objects.create(sampled_case=sampled, auditor=alice)
    return {
        **people,
        "auditor_carl": carl,
        "manager_dan": dan,
        "alice": alice,
        "carl": Staff.objects.get(user=carl),
        "cp_case": cp_case,
        "cla_case": cla_case,
        "cp_worker": cp_worker,
        "cla_worker": cla_worker,
    }


@pytest.fixture
def alices_conflict(council):
    return Conflict.objects.create(
        auditor=council["alice"], case=council["cp_case"], reason="Knows the family"
    )


def conflict_state():
    return sorted(
        Conflict.objects.values_list(
            "pk", "auditor__staff_ref", "case__case_ref", "worker__staff_ref", "reason"
        )
    )


def test_alice_declares_her_own_conflict_and_it_is_an_event(council, client_for):
    client = client_for(council["auditor_alice"])
    response = client.post(URL, {"case": "C700001", "reason": "Knows the family"})
    assert response.status_code == 201, response.json()
    assert response.json()["auditor"] == council["alice"].staff_ref
    conflict = Conflict.objects.get()
    declared = Event.objects.get(verb="conflict.declared", object_id=str(conflict.pk))
    assert declared.actor == council["auditor_alice"]
    assert declared.after["case"] == "C700001"
    assert declared.after["auditor"] == council["alice"].staff_ref
    by_worker = client.post(URL, {"worker": "SW-CLA", "reason": "Her sister"})
    assert by_worker.status_code == 201, by_worker.json()


def without(ref: str, body: dict) -> str:
    return str(body).replace(ref, "REF")


@pytest.mark.parametrize("person", ["auditor_alice", "manager_bob"])
def test_another_teams_case_and_an_unknown_case_get_the_same_answer(person, council, client_for):
    client = client_for(council[person])
    answers = {}
    for ref in ("C700002", "C799999"):
        response = client.post(URL, {"case": ref, "reason": "Knows the family"})
        assert response.status_code == 400, response.json()
        answers[ref] = without(ref, response.json())
    assert answers["C700002"] == answers["C799999"]
    assert not Conflict.objects.exists()


def test_alice_cannot_declare_a_conflict_for_carl(council, client_for):
    client = client_for(council["auditor_alice"])
    answers = []
    for ref in (council["carl"].staff_ref, "NOBODY-1"):
        response = client.post(URL, {"auditor": ref, "case": "C700001", "reason": "x"})
        assert response.status_code == 400
        answers.append(without(ref, response.json()))
    assert answers[0] == answers[1]
    assert not Conflict.objects.exists()


def test_alice_cannot_move_her_conflict_onto_carl_nor_withdraw_it(
    council, alices_conflict, client_for
):
    client = client_for(council["auditor_alice"])
    before, events = conflict_state(), Event.objects.count()
    url = f"{URL}{alices_conflict.pk}/"
    carl = council["carl"].staff_ref
    assert client.get(url).status_code == 200  # she sees her own
    assert client.patch(url, {"auditor": carl, "change_reason": "x"}).status_code == 403
    full = {"auditor": carl, "case": "C700001", "reason": "x", "change_reason": "x"}
    assert client.put(url, full).status_code == 403
    assert client.delete(url, {"change_reason": "no longer"}).status_code == 403
    assert conflict_state() == before
    assert Event.objects.count() == events


def test_a_manager_of_the_cases_team_changes_it_with_a_reason(council, alices_conflict, client_for):
    client = client_for(council["manager_bob"])
    url = f"{URL}{alices_conflict.pk}/"
    no_reason = client.patch(url, {"reason": "Knows the family well"})
    assert no_reason.status_code == 400
    assert "change_reason" in no_reason.json()
    body = {"reason": "Knows the family well", "change_reason": "Alice gave more detail"}
    response = client.patch(url, body)
    assert response.status_code == 200, response.json()
    changed = Event.objects.get(verb="conflict.changed", object_id=str(alices_conflict.pk))
    assert changed.actor == council["manager_bob"]
    assert changed.before["reason"] == "Knows the family"
    assert changed.after["reason"] == "Knows the family well"
    assert changed.reason == "Alice gave more detail"


def test_nobody_moves_a_conflict_onto_another_auditor(council, alices_conflict, client_for):
    client = client_for(council["qa_lead_quinn"])
    url = f"{URL}{alices_conflict.pk}/"
    before = conflict_state()
    body = {"auditor": council["carl"].staff_ref, "change_reason": "typo"}
    response = client.patch(url, body)
    assert response.status_code == 400
    assert "auditor" in response.json()
    # ... nor onto a case outside the manager's teams (the same answer as an unknown case).
    bob = client_for(council["manager_bob"])
    answers = []
    for ref in ("C700002", "C799999"):
        moved = bob.patch(url, {"case": ref, "change_reason": "wrong case"})
        assert moved.status_code == 400
        answers.append(without(ref, moved.json()))
    assert answers[0] == answers[1]
    assert conflict_state() == before


def test_withdrawing_needs_a_manager_of_the_team_and_a_reason(council, alices_conflict, client_for):
    url = f"{URL}{alices_conflict.pk}/"
    dan = client_for(council["manager_dan"])  # manages another team
    assert dan.get(url).status_code == 404
    assert dan.patch(url, {"reason": "x", "change_reason": "x"}).status_code == 404
    assert dan.delete(url, {"change_reason": "x"}).status_code == 404
    bob = client_for(council["manager_bob"])
    assert bob.delete(url).status_code == 400
    bad = bob.delete(url, '{"change_reason": "\\ud800"}', content_type="application/json")
    assert bad.status_code == 400
    assert bob.delete(url, {"change_reason": ["a list"]}, format="json").status_code == 400
    assert Conflict.objects.filter(pk=alices_conflict.pk).exists()
    response = bob.delete(url, {"change_reason": "Declared on the wrong case"}, format="json")
    assert response.status_code == 204
    assert not Conflict.objects.filter(pk=alices_conflict.pk).exists()
    withdrawn = Event.objects.get(verb="conflict.withdrawn", object_id=str(alices_conflict.pk))
    assert withdrawn.actor == council["manager_bob"]
    assert withdrawn.before["case"] == "C700001"
    assert withdrawn.reason == "Declared on the wrong case"


def test_the_qa_lead_changes_any_conflict(council, client_for):
    conflict = Conflict.objects.create(
        auditor=council["carl"], worker=council["cla_worker"], reason="Neighbour"
    )
    response = client_for(council["qa_lead_quinn"]).delete(
        f"{URL}{conflict.pk}/", {"change_reason": "Moved away"}
    )
    assert response.status_code == 204


def test_managers_list_the_conflicts_of_their_teams_only(council, client_for):
    alice, carl = council["alice"], council["carl"]
    Conflict.objects.bulk_create(
        [
            Conflict(auditor=alice, case=council["cp_case"], reason="1"),
            Conflict(auditor=carl, case=council["cla_case"], reason="2"),
            Conflict(auditor=carl, worker=council["cp_worker"], reason="3"),
            Conflict(auditor=alice, worker=council["cla_worker"], reason="4"),
        ]
    )

    def listed(person):
        response = client_for(council[person]).get(URL)
        assert response.status_code == 200
        return sorted(row["reason"] for row in response.json()["results"])

    assert listed("manager_bob") == ["1", "3"]
    assert listed("manager_dan") == ["2", "4"]
    assert listed("qa_lead_quinn") == ["1", "2", "3", "4"]
    assert listed("auditor_alice") == ["1", "4"]
    assert listed("internal_ian") == ["1", "2", "3", "4"]


def test_a_manager_records_a_conflict_for_an_auditor_on_a_case_of_their_team(council, client_for):
    bob = client_for(council["manager_bob"])
    carl = council["carl"].staff_ref
    response = bob.post(URL, {"auditor": carl, "case": "C700001", "reason": "Carl's cousin"})
    assert response.status_code == 201, response.json()
    assert Event.objects.filter(verb="conflict.declared", actor=council["manager_bob"]).exists()
    other = bob.post(URL, {"auditor": carl, "worker": "SW-CLA", "reason": "x"})
    assert other.status_code == 400


def test_administrators_and_internal_audit_do_not_write_conflicts(council, client_for):
    body = {"auditor": council["carl"].staff_ref, "case": "C700001", "reason": "x"}
    for person in ("admin_ada", "internal_ian", "outsider_eve"):
        assert client_for(council[person]).post(URL, body).status_code == 403
    assert not Conflict.objects.exists()


def test_django_admin_shows_conflicts_but_cannot_change_them(council, alices_conflict):
    from django.contrib.auth.models import User
    from django.test import Client

    User.objects.filter(pk=council["admin_ada"].pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(User.objects.get(pk=council["admin_ada"].pk))
    url = f"/admin/audits/conflict/{alices_conflict.pk}/"
    assert client.get(url + "change/").status_code == 200  # read
    before = conflict_state()
    client.post(url + "change/", {"auditor": council["carl"].pk, "reason": "moved"})
    client.post(url + "delete/", {"post": "yes"})
    assert conflict_state() == before
