"""Scope by role, never by association (issue 12, findings 3, 4 and 5).

Each role grants its own scope and nothing more: auditing in a cycle grants the auditor's
rights on one's own audits only; managing covers the teams one manages (the QA lead: all),
and a cycle covers only teams its creator manages.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient

from audits.models import Audit, Cycle, Moderation, ReportJob
from tests import scope_world


@pytest.fixture
def world(db):
    return scope_world.build()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(user):
    client = Client()
    client.force_login(user)
    return client


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Finding 3: a team manager sampled the whole council --------------------------------------
def _new_cycle(teams):
    return {
        "name": "Mine",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "teams": teams,
        "plan": {"method": "fixed", "n": 4},
    }


@pytest.mark.parametrize("teams", [[], ["South"], ["North", "South"]])
def test_a_team_manager_cannot_create_a_cycle_beyond_her_teams_api(world, teams):
    before = Cycle.objects.count()
    response = api(world.people["peer_nora"]).post("/api/v1/cycles/", _new_cycle(teams), "json")
    assert response.status_code == 400, response.content
    assert "teams" in response.json()
    assert Cycle.objects.count() == before


def test_a_team_manager_creates_a_cycle_over_her_own_teams(world):
    client = api(world.people["two_tom"])
    response = client.post("/api/v1/cycles/", _new_cycle(["South", "East"]), "json")
    assert response.status_code == 201, response.content
    assert sorted(response.json()["team_names"]) == ["East", "South"]


def test_only_a_manager_of_every_team_creates_a_cycle_over_every_team(world):
    response = api(world.people["lead"]).post("/api/v1/cycles/", _new_cycle([]), "json")
    assert response.status_code == 201, response.content
    response = api(world.people["two_tom"]).post("/api/v1/cycles/", _new_cycle([]), "json")
    assert response.status_code == 400
    assert "teams" in response.json()


def test_a_team_manager_cannot_widen_her_cycle_to_another_team(world):
    cycle = world.cycles["north"]
    client = api(world.people["peer_nora"])
    for teams in ([], ["North", "South"]):
        response = client.patch(f"/api/v1/cycles/{cycle.pk}/", {"teams": teams}, "json")
        assert response.status_code == 400, response.content
        assert "teams" in response.json()
    assert list(cycle.teams.values_list("name", flat=True)) == ["North"]


@pytest.mark.parametrize("teams", [[], ["South"]])
def test_a_team_manager_cannot_create_a_cycle_beyond_her_teams_page(world, teams):
    before = Cycle.objects.count()
    form = {
        "name": "Mine",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "n": "4",
        "allocation": "proportional",
        "minimum": "0",
        "teams": teams,
        "stratify_by": "none",
    }
    response = web(world.people["peer_nora"]).post("/cycles/new/", form)
    assert response.status_code == 400
    assert b'id="teams-error"' in response.content
    assert Cycle.objects.count() == before


def test_the_new_cycle_page_offers_only_the_teams_one_manages(world):
    page = web(world.people["peer_nora"]).get("/cycles/new/").content.decode()
    assert 'value="North"' in page
    assert 'value="South"' not in page


def test_creating_a_cycle_grants_nothing_once_the_teams_are_no_longer_managed(world):
    cycle, nora = world.cycles["north"], world.people["peer_nora"]
    nora.staff.managed_teams.set([])
    assert api(nora).get(f"/api/v1/cycles/{cycle.pk}/").status_code == 404
    assert web(nora).get(f"/cycles/{cycle.pk}/").status_code == 404


# --- Finding 4: peer-auditing gave a manager the manager's view of the other cycle -------------
def _others_submitted(world):
    """A submitted audit in the South cycle of a case peer_nora does not audit."""
    return (
        world.audits("south", status="submitted")
        .exclude(assignment__sampled_case__assignments__auditor__user=world.people["peer_nora"])
        .first()
    )


def test_peer_auditing_gives_no_manager_view_of_the_cycle_api(world):
    nora, south = world.people["peer_nora"], world.cycles["south"]
    client = api(nora)
    own = set(world.audits("south", assignment__auditor__user=nora).values_list("pk", flat=True))
    assert own, "the world must have peer_nora audit South cases"
    for path in ("", "sample/", "assignments/", "verification/", "plan/", "frame.csv"):
        assert client.get(f"/api/v1/cycles/{south.pk}/{path}").status_code == 404, path
    in_south = set(world.audits("south").values_list("pk", flat=True))
    assert ids(client.get("/api/v1/audits/?limit=500")) & in_south == own
    other = _others_submitted(world)
    assert client.get(f"/api/v1/audits/{other.pk}/").status_code == 404
    body = {"decision": "change", "overall_grade": 1, "reason": "I say so"}
    assert client.post(f"/api/v1/audits/{other.pk}/moderation/", body, "json").status_code == 404
    assert Moderation.objects.filter(audit=other).count() == 0
    assert world.escalation.pk not in ids(client.get("/api/v1/escalations/"))
    assert client.get(f"/api/v1/escalations/{world.escalation.pk}/").status_code == 404
    job = world.report.job
    assert job.pk not in ids(client.get("/api/v1/reports/"))
    assert client.get(f"/api/v1/reports/{job.pk}/pdf/").status_code == 404
    case = world.audits("south", assignment__auditor__user=nora).first().assignment
    response = client.post(
        f"/api/v1/cases/{case.sampled_case.case_id}/follow-up/", {"reason": "x"}, "json"
    )
    assert response.status_code == 404
    before = ReportJob.objects.count()
    assert client.post("/api/v1/reports/", {"cycle": south.pk}, "json").status_code == 400
    assert ReportJob.objects.count() == before


def test_peer_auditing_gives_no_manager_view_of_the_cycle_pages(world):
    nora, south = world.people["peer_nora"], world.cycles["south"]
    client = web(nora)
    other = _others_submitted(world)
    assert client.get(f"/cycles/{south.pk}/").status_code == 404
    assert client.get(f"/dashboard/?cycle={south.pk}").status_code == 404
    assert south.name not in client.get("/dashboard/").content.decode()
    assert client.get(f"/moderation/{other.pk}/").status_code == 404
    response = client.post(
        f"/moderation/{other.pk}/", {"decision": "change", "overall_grade": "1", "reason": "x"}
    )
    assert response.status_code == 404
    assert Moderation.objects.filter(audit=other).count() == 0
    assert str(other.pk) not in client.get("/moderation/").content.decode().split("moderation/")
    assert client.get(f"/cycles/{south.pk}/reports/").status_code == 404
    before = ReportJob.objects.count()
    assert client.post(f"/cycles/{south.pk}/reports/").status_code == 404
    assert ReportJob.objects.count() == before
    assert client.get(f"/reports/{world.report.job_id}/").status_code == 404
    assert "South concern text" not in client.get("/escalations/").content.decode()
    assert client.get(f"/actions/new/?audit={other.pk}").status_code == 404
    assert client.get(f"/audits/{other.pk}/").status_code == 404


def test_peer_auditing_keeps_the_auditors_own_rights(world):
    nora = world.people["peer_nora"]
    own = world.audits("south", assignment__auditor__user=nora).first()
    client = api(nora)
    assert client.get(f"/api/v1/audits/{own.pk}/").status_code == 200
    response = client.patch(
        f"/api/v1/audits/{own.pk}/", {"version": own.version, "strengths": "Clear plan"}, "json"
    )
    assert response.status_code == 200, response.content
    assert web(nora).get(f"/audits/{own.pk}/").status_code == 200
    # Moderating her own audit, or raising a concern as manager: she is its auditor only.
    response = client.post(f"/api/v1/audits/{own.pk}/escalations/", {"concern": "Worry"}, "json")
    assert response.status_code == 201


def test_a_manager_who_is_no_longer_an_auditor_cannot_edit_her_old_audits(world):
    nora = world.people["peer_nora"]
    own = world.audits("south", assignment__auditor__user=nora).first()
    nora.groups.remove(Group.objects.get(name="auditor"))
    nora.staff.managed_teams.add(world.teams["South"])  # she now runs the South cycle
    client = api(User.objects.get(pk=nora.pk))
    assert client.get(f"/api/v1/audits/{own.pk}/").status_code == 200
    body = {"version": own.version, "strengths": "Changed later"}
    assert client.patch(f"/api/v1/audits/{own.pk}/", body, "json").status_code == 403
    own.refresh_from_db()
    assert own.strengths != "Changed later"


def test_a_manager_of_one_of_two_teams_does_not_run_the_cycle_of_both(world):
    mia, two = world.people["aud_mia"], world.cycles["two"]
    assert api(mia).get(f"/api/v1/cycles/{two.pk}/").status_code == 404
    assert web(mia).get(f"/cycles/{two.pk}/").status_code == 404
    assert api(world.people["two_tom"]).get(f"/api/v1/cycles/{two.pk}/").status_code == 200


def test_the_case_team_manager_sees_and_acknowledges_the_concern(world):
    tom = world.people["two_tom"]
    assert world.escalation.pk in ids(api(tom).get("/api/v1/escalations/"))
    assert "South concern text" in web(tom).get("/escalations/").content.decode()


# --- Finding 5: a plain auditor saw the whole sample ---------------------------------------------
@pytest.mark.parametrize("who", ["aud_ann", "aud_ben", "aud_mia", "ex_eli"])
def test_an_auditor_sees_nothing_of_the_sample_beyond_her_audits(world, who):
    person, south = world.people[who], world.cycles["south"]
    client = api(person)
    for path in ("", "sample/", "assignments/", "verification/", "plan/", "verify_sample.py"):
        assert client.get(f"/api/v1/cycles/{south.pk}/{path}").status_code == 404, path
    for path in ("", "sampled-cases/"):
        response = client.get(f"/api/v1/{path or 'cycles/'}")
        assert response.status_code == 404 or south.pk not in ids(response), path


@pytest.mark.parametrize("who", ["aud_ann", "aud_ben"])
def test_an_auditor_lists_her_audits_and_no_one_elses(world, who):
    person = world.people[who]
    mine = Audit.objects.filter(assignment__auditor__user=person)
    own = set(mine.values_list("pk", flat=True))
    seen = ids(api(person).get("/api/v1/audits/?limit=500"))
    assert own <= seen
    # Of the rest, only the other half of a double audit once both halves are submitted.
    done = ("submitted", "final")
    both_done = {
        a.assignment.sampled_case_id
        for a in mine.filter(status__in=done).select_related("assignment")
    }
    pairs = set(
        Audit.objects.filter(status__in=done)
        .filter(assignment__sampled_case_id__in=both_done)
        .values_list("pk", flat=True)
    )
    assert seen - own <= pairs
    assert len(ids(api(person).get("/api/v1/cycles/"))) == 0
