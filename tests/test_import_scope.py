"""Imports are scoped writes: the staff import is for administrators only; a manager imports
cases and allocation history for the teams they manage and nothing else; every change of a
person's roles, team or managed teams, and every move of a case between teams, is an Event
with before and after, whichever way it was made (import, API, Django admin)."""

import io
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from audits.models import Allocation, Case, Event, Staff
from tests.import_jobs import upload_and_import

URL = "/api/v1/cases/import/"
CASES = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year"
ALLOCATIONS = "case_ref,staff_ref,role,from_date,to_date"
STAFF = "staff_ref,name,email,team,roles,manages_teams,capacity"


def upload(client, header: str, *rows: str, kind="cases", dry_run=False):
    content = ("\n".join([header, *rows]) + "\n").encode()
    query = f"?kind={kind}" + ("&dry_run=1" if dry_run else "")
    return upload_and_import(
        client, URL + query, {"file": SimpleUploadedFile("register.csv", content)}
    )


def roles_of(username: str) -> list[str]:
    return sorted(User.objects.get(username=username).groups.values_list("name", flat=True))


@pytest.fixture
def register(people, teams):
    """One case in manager Bob's team (Child Protection One) and one in a team he does not
    manage (Children Looked After), each with its allocation history."""
    worker = Staff.objects.create(
        staff_ref="SW-ONE", name="Sam Worker", team=teams["Child Protection One"]
    )
    ours = Case.objects.create(
        case_ref="C100001",
        team=teams["Child Protection One"],
        case_type="cp",
        opened_on=date(2025, 1, 1),
        worker=worker,
    )
    theirs = Case.objects.create(
        case_ref="C200001",
        team=teams["Children Looked After"],
        case_type="cla",
        opened_on=date(2025, 1, 1),
        worker=worker,
    )
    for case in (ours, theirs):
        Allocation.objects.create(case=case, staff=worker, role="worker", from_date=case.opened_on)
    return {"ours": ours, "theirs": theirs, "worker": worker}


def state():
    return (
        sorted(Case.objects.values_list("case_ref", "team__name", "case_type", "closed_on")),
        sorted(Allocation.objects.values_list("case__case_ref", "staff__staff_ref", "to_date")),
        sorted(Staff.objects.values_list("staff_ref", "team__name", "capacity")),
        sorted(Staff.managed_teams.through.objects.values_list("staff__staff_ref", "team__name")),
        sorted(User.groups.through.objects.values_list("user__username", "group__name")),
    )


# --- Finding 1: a manager made themselves admin with the staff import ----------------------
def test_manager_bob_cannot_make_himself_admin_with_the_staff_import(people, client_for):
    bob = Staff.objects.get(user=people["manager_bob"])
    rows = [
        f"{bob.staff_ref},Bob,bob@council.example,Child Protection One,"
        "manager;admin;internal_auditor,Child Protection One;Children Looked After,5",
        # ... and strip the QA lead of her roles at the same time.
        "QA_LEAD_QUINN,Quinn,quinn@council.example,Quality Assurance,,,0",
    ]
    before, events = state(), Event.objects.count()
    for dry_run in (True, False):
        response = upload(
            client_for(people["manager_bob"]), STAFF, *rows, kind="staff", dry_run=dry_run
        )
        assert response.status_code == 403, response.content
    assert state() == before
    assert Event.objects.count() == events
    assert roles_of("manager_bob") == ["manager"]
    assert roles_of("qa_lead_quinn") == ["manager"]


def test_an_admin_staff_import_records_each_role_team_and_management_change(people, client_for):
    bob = Staff.objects.get(user=people["manager_bob"])
    row = (
        f"{bob.staff_ref},Bob,bob@council.example,Children Looked After,"
        "manager;auditor,Child Protection One;Children Looked After,5"
    )
    response = upload(client_for(people["admin_ada"]), STAFF, row, kind="staff")
    assert response.json()["status"] == "finished", response.json()
    assert roles_of("manager_bob") == ["auditor", "manager"]
    change = Event.objects.get(verb="staff.access_changed", object_id=str(bob.pk))
    assert change.actor == people["admin_ada"]
    assert change.before == {
        "team": "Child Protection One",
        "managed_teams": ["Child Protection One"],
        "roles": ["manager"],
    }
    assert change.after == {
        "team": "Children Looked After",
        "managed_teams": ["Child Protection One", "Children Looked After"],
        "roles": ["auditor", "manager"],
    }
    # Importing the same file again changes nothing, so it records no change either.
    upload(client_for(people["admin_ada"]), STAFF, row, kind="staff")
    assert Event.objects.filter(verb="staff.access_changed").count() == 1


def test_a_new_person_from_the_staff_import_has_an_event_naming_their_roles(people, client_for):
    row = "QA-NEW,Nia Reviewer,nia@council.example,Quality Assurance,auditor,,8"
    upload(client_for(people["admin_ada"]), STAFF, row, kind="staff")
    staff = Staff.objects.get(staff_ref="QA-NEW")
    event = Event.objects.get(verb="staff.access_changed", object_id=str(staff.pk))
    assert event.after == {"team": "Quality Assurance", "managed_teams": [], "roles": ["auditor"]}


# --- Finding 2: a manager took over another team's case -------------------------------------
def test_manager_bob_cannot_take_over_another_teams_case(people, register, client_for):
    row = "C200001,Child Protection One,cp,2025-01-01,,SW-ONE,,"
    before, events = state(), Event.objects.count()
    response = upload(client_for(people["manager_bob"]), CASES, row)
    assert response.json()["status"] == "failed", response.content
    [error] = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "case_ref")
    assert "Children Looked After" not in error["message"]  # nothing about the other team
    assert state() == before
    # Only the job's own: requested, rejected.
    assert list(Event.objects.order_by("pk").values_list("verb", flat=True)[events:]) == [
        "register.import_requested",
        "register.import_rejected",
    ]


def test_a_row_for_a_team_bob_does_not_manage_rejects_the_whole_file(people, register, client_for):
    rows = [
        "C100002,Child Protection One,cp,2025-02-01,,,,",
        "C100003,Children Looked After,cla,2025-02-01,,,,",
    ]
    before = state()
    response = upload(client_for(people["manager_bob"]), CASES, *rows)
    assert response.json()["status"] == "failed"
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [(3, "team")]
    assert "not a team you manage" in response.json()["errors"][0]["message"]
    assert state() == before


def test_bob_still_imports_and_updates_his_own_teams_cases(people, register, client_for):
    rows = [
        "C100001,Child Protection One,cp,2025-01-01,2026-01-10,SW-ONE,,",
        "C100009,Child Protection One,cp,2025-03-01,,,,",
    ]
    response = upload(client_for(people["manager_bob"]), CASES, *rows)
    assert response.json()["status"] == "finished", response.json()
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)


def test_a_dry_run_does_not_tell_bob_which_refs_exist_elsewhere(people, register, client_for):
    client = client_for(people["manager_bob"])
    # Allocation history: a case of another team and a case that does not exist get the
    # same answer, word for word but for the reference itself.
    answers = []
    for ref in ("C200001", "C999999"):
        row = f"{ref},SW-ONE,worker,2025-06-01,"
        response = upload(client, ALLOCATIONS, row, kind="allocations", dry_run=True)
        assert response.json()["status"] == "failed"
        answers.append(
            [{**e, "message": e["message"].replace(ref, "REF")} for e in response.json()["errors"]]
        )
    assert answers[0] == answers[1]
    # The case register: another team's case is never counted as "updated".
    response = upload(client, CASES, "C200001,Child Protection One,cp,2025-01-01,,,,", dry_run=True)
    assert response.json()["status"] == "failed"
    assert response.json()["updated"] is None


def test_bob_cannot_rewrite_the_allocation_history_of_another_teams_case(
    people, register, client_for
):
    before = state()
    row = "C200001,SW-ONE,worker,2025-01-01,2025-02-01"
    response = upload(client_for(people["manager_bob"]), ALLOCATIONS, row, kind="allocations")
    assert response.json()["status"] == "failed"
    assert response.json()["errors"][0]["column"] == "case_ref"
    assert state() == before
    ours = upload(
        client_for(people["manager_bob"]),
        ALLOCATIONS,
        "C100001,SW-ONE,worker,2025-01-01,2025-02-01",
        kind="allocations",
    )
    assert ours.json()["status"] == "finished", ours.json()


def test_the_qa_lead_moves_a_case_between_her_teams_and_the_move_is_an_event(
    people, register, client_for
):
    row = "C200001,Child Protection One,cla,2025-01-01,,SW-ONE,,"
    response = upload(client_for(people["qa_lead_quinn"]), CASES, row)
    assert response.json()["status"] == "finished", response.json()
    case = register["theirs"]
    case.refresh_from_db()
    assert case.team.name == "Child Protection One"
    moved = Event.objects.get(verb="case.team_changed", object_id=str(case.pk))
    assert moved.actor == people["qa_lead_quinn"]
    assert (moved.before, moved.after) == (
        {"team": "Children Looked After"},
        {"team": "Child Protection One"},
    )


# --- The command obeys the same rules, as a named person --------------------------------------
def test_the_command_needs_an_acting_person_and_uses_their_scope(people, register, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(f"{CASES}\nC200001,Child Protection One,cp,2025-01-01,,,,\n")
    before = state()
    with pytest.raises(CommandError, match="--as"):
        call_command("import_cases", str(path), verbosity=0)
    with pytest.raises(CommandError, match="no user"):
        call_command("import_cases", str(path), "--as", "nobody", verbosity=0)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cases", str(path), "--as", "manager_bob", stderr=err, verbosity=0)
    assert "line 2, column case_ref" in err.getvalue()
    staff = tmp_path / "staff.csv"
    staff.write_text(f"{STAFF}\nMANAGER_BOB,Bob,,,admin,,0\n")
    with pytest.raises(CommandError, match="administrator"):
        call_command(
            "import_cases", str(staff), "--kind", "staff", "--as", "manager_bob", verbosity=0
        )
    assert state() == before
    out = io.StringIO()
    call_command("import_cases", str(path), "--as", "qa_lead_quinn", stdout=out, verbosity=0)
    assert "updated 1" in out.getvalue()
    assert Event.objects.get(verb="register.imported").actor == people["qa_lead_quinn"]


# --- Role and team changes through the API and Django admin are Events too -----------------
def test_an_api_change_of_team_or_managed_teams_is_an_event(people, teams, client_for):
    bob = Staff.objects.get(user=people["manager_bob"])
    body = {"team": "Quality Assurance", "managed_teams": ["Children Looked After"]}
    response = client_for(people["admin_ada"]).patch(f"/api/v1/staff/{bob.pk}/", body)
    assert response.status_code == 200, response.json()
    change = Event.objects.get(verb="staff.access_changed", object_id=str(bob.pk))
    assert change.actor == people["admin_ada"]
    assert change.before == {
        "team": "Child Protection One",
        "managed_teams": ["Child Protection One"],
    }
    assert change.after == {"team": "Quality Assurance", "managed_teams": ["Children Looked After"]}


@pytest.fixture
def django_admin(people):
    ada = people["admin_ada"]
    User.objects.filter(pk=ada.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(User.objects.get(pk=ada.pk))
    return client


def test_a_role_given_in_django_admin_is_an_event(people, django_admin):
    bob = people["manager_bob"]
    admin_group = Group.objects.get_or_create(name="admin")[0]
    manager_group = Group.objects.get(name="manager")
    response = django_admin.post(
        f"/admin/auth/user/{bob.pk}/change/",
        {
            "username": bob.username,
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "groups": [manager_group.pk, admin_group.pk],
            "date_joined_0": "2025-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert roles_of("manager_bob") == ["admin", "manager"]
    staff = Staff.objects.get(user=bob)
    change = Event.objects.get(verb="staff.access_changed", object_id=str(staff.pk))
    assert change.actor == people["admin_ada"]
    assert change.before == {"roles": ["manager"]}
    assert change.after == {"roles": ["admin", "manager"]}


def test_managed_teams_changed_in_django_admin_is_an_event(people, teams, django_admin):
    bob = Staff.objects.get(user=people["manager_bob"])
    response = django_admin.post(
        f"/admin/audits/staff/{bob.pk}/change/",
        {
            "user": bob.user_id,
            "staff_ref": bob.staff_ref,
            "name": bob.name,
            "email": bob.email,
            "team": teams["Child Protection One"].pk,
            "capacity": 0,
            "is_active": "on",
            "managed_teams": [teams["Child Protection One"].pk, teams["Quality Assurance"].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    change = Event.objects.get(verb="staff.access_changed", object_id=str(bob.pk))
    assert change.before == {"managed_teams": ["Child Protection One"]}
    assert change.after == {"managed_teams": ["Child Protection One", "Quality Assurance"]}


def test_a_case_moved_to_another_team_in_django_admin_is_an_event(
    people, teams, register, django_admin
):
    case = register["ours"]
    response = django_admin.post(
        f"/admin/audits/case/{case.pk}/change/",
        {
            "case_ref": case.case_ref,
            "team": teams["Children Looked After"].pk,
            "case_type": "cp",
            "opened_on": "2025-01-01",
            "worker": case.worker_id,
            "allocations-TOTAL_FORMS": 0,
            "allocations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    moved = Event.objects.get(verb="case.team_changed", object_id=str(case.pk))
    assert (moved.before, moved.after) == (
        {"team": "Child Protection One"},
        {"team": "Children Looked After"},
    )
