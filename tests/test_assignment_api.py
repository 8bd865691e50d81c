"""Assignment through the API on the demo council: every rule holds, load is balanced,
cases nobody can take are listed with the rules that blocked them."""

import io
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command

from audits.models import Allocation, Assignment, Audit, Case, Conflict, Cycle, Event, Staff, Team


@pytest.fixture
def council(db):
    call_command("seed_demo", cases=400, seed=11, history=False, stdout=io.StringIO())
    return User.objects.get(username="qa.lead")


def drawn_cycle(client, n=40, **extra):
    today = date.today()
    body = {
        "name": "Quarterly audit",
        "period_start": str(today - timedelta(days=90)),
        "period_end": str(today),
        "stratify_by": "team",
        "plan": {"method": "fixed", "n": n, "minimum": 1},
        **extra,
    }
    cycle = client.post("/api/v1/cycles/", body, format="json").json()
    response = client.post(
        f"/api/v1/cycles/{cycle['id']}/draw/", {"witness_input": "assign-test"}, format="json"
    )
    assert response.status_code == 201, response.json()
    return f"/api/v1/cycles/{cycle['id']}/"


def violations(assignment: Assignment) -> list[str]:
    """An independent check of R1-R4 straight from the database."""
    case: Case = assignment.sampled_case.case
    auditor: Staff = assignment.auditor
    found = []
    if auditor.team_id == case.team_id:
        found.append("R1")
    allocated = set(Allocation.objects.filter(case=case).values_list("staff_id", flat=True))
    if auditor.pk in allocated | {case.worker_id, case.manager_id}:
        found.append("R2")
    if auditor.managed_teams.filter(pk=case.team_id).exists():
        found.append("R3")
    if (
        Conflict.objects.filter(auditor=auditor, case=case).exists()
        or Conflict.objects.filter(auditor=auditor, worker_id=case.worker_id).exists()
    ):
        found.append("R4")
    return found


def test_the_qa_lead_assigns_a_drawn_sample_independently_and_evenly(
    council, client_for, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://qa.council.example"
    client = client_for(council)
    url = drawn_cycle(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "assign/")
    assert response.status_code == 201, response.json()
    summary = response.json()
    assert summary["max_load"] == summary["optimum_max_load"]
    items = list(Assignment.objects.select_related("sampled_case__case", "auditor"))
    assert len([a for a in items if a.role == "primary"]) + len(summary["unassignable"]) == 40
    assert [violations(a) for a in items if violations(a)] == []
    loads = Counter(a.auditor_id for a in items)
    capacities = dict(Staff.objects.filter(pk__in=loads).values_list("id", "capacity"))
    assert all(loads[a] <= capacities[a] for a in loads)
    # Second (blind) auditors for about 10%, never the same person as the first.
    seconds = [a for a in items if a.role == "second"]
    assert len(seconds) == 4
    firsts = {a.sampled_case_id: a.auditor_id for a in items if a.role == "primary"}
    assert all(firsts[a.sampled_case_id] != a.auditor_id for a in seconds)
    assert Audit.objects.filter(status="assigned").count() == len(items)
    assert Cycle.objects.get().status == "assigned"
    assert len(mail.outbox) == len(loads)  # one email per auditor
    # Each links to the service and names no case: the details stay in CaseAssure.
    refs = set(Case.objects.values_list("case_ref", flat=True))
    for message in mail.outbox:
        words = set(re.findall(r"[\w-]+", f"{message.subject} {message.body}"))
        assert not words & refs, message.body
        assert re.search(r"https://qa\.council\.example/\S+", message.body), message.body
    assert Event.objects.filter(verb="cycle.assigned").exists()
    assert client.post(url + "assign/").status_code == 409  # nothing left to assign


def test_a_case_nobody_may_audit_is_listed_with_its_blocking_rules(council, client_for):
    client = client_for(council)
    # Every auditor is moved into one team, and that team's cases can then only be blocked.
    only_team = Team.objects.get(name="Child Protection One")
    Staff.objects.filter(user__groups__name="auditor").update(team=only_team)
    url = drawn_cycle(client, n=12)
    summary = client.post(url + "assign/").json()
    blocked = [row for row in summary["unassignable"] if row["role"] == "primary"]
    cp_refs = set(Case.objects.filter(team=only_team).values_list("case_ref", flat=True))
    assert blocked
    assert {row["case_ref"] for row in blocked} <= cp_refs
    assert all("R1" in row["reasons"] for row in blocked)
    # Everything else was still assigned.
    assigned = Assignment.objects.filter(role="primary").count()
    assert assigned + len(blocked) == 12


def test_an_override_needs_a_reason_and_is_logged(council, client_for):
    client = client_for(council)
    url = drawn_cycle(client, n=12)
    client.post(url + "assign/")
    target = Assignment.objects.filter(role="primary").select_related("sampled_case__case").first()
    case = target.sampled_case.case
    same_team = Staff.objects.filter(team=case.team, user__groups__name="auditor").first()
    body = {
        "sampled_case": target.sampled_case_id,
        "auditor": same_team.staff_ref,
        "role": "primary",
    }
    refused = client.post(url + "override/", body, format="json")
    assert refused.status_code == 400
    assert "R1" in refused.json()["rules"]
    body["reason"] = "Only specialist for disabled children's cases"
    response = client.post(url + "override/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["override_rules"][0] == "R1"
    event = Event.objects.get(verb="assignment.overridden")
    assert event.reason == body["reason"]


def test_an_unavailable_auditors_unstarted_audits_move_and_started_ones_stay(council, client_for):
    client = client_for(council)
    url = drawn_cycle(client, n=40)
    client.post(url + "assign/")
    busiest = Counter(Assignment.objects.values_list("auditor_id", flat=True)).most_common(1)[0][0]
    theirs = list(Assignment.objects.filter(auditor_id=busiest).select_related("audit"))
    started = theirs[0].audit
    started.status = "in_progress"
    started.save()
    staff = Staff.objects.get(pk=busiest)
    response = client.post(url + "unavailable/", {"auditor": staff.staff_ref}, format="json")
    assert response.status_code == 200, response.json()
    assert set(Assignment.objects.filter(auditor_id=busiest).values_list("pk", flat=True)) == {
        theirs[0].pk
    }
    assert [violations(a) for a in Assignment.objects.all() if violations(a)] == []


def test_audits_of_a_closed_cycle_never_move(council, client_for):
    client = client_for(council)
    url = drawn_cycle(client, n=12)
    client.post(url + "assign/")
    staff = Assignment.objects.select_related("auditor").first().auditor
    before = sorted(Assignment.objects.values_list("pk", "auditor_id"))
    Cycle.objects.filter(pk=url.split("/")[-2]).update(status="closed")
    response = client.post(url + "unavailable/", {"auditor": staff.staff_ref}, format="json")
    assert response.status_code == 409, response.json()
    assert "closed" in response.json()["detail"]
    assert sorted(Assignment.objects.values_list("pk", "auditor_id")) == before


def test_auditors_and_internal_audit_cannot_assign(council, client_for):
    url = drawn_cycle(client_for(council), n=12)
    for username in ("auditor.1", "internal.audit"):
        assert client_for(User.objects.get(username=username)).post(
            url + "assign/"
        ).status_code in (403, 404)
    assert not Assignment.objects.exists()


def test_a_manager_who_also_audits_cannot_run_a_cycle_she_only_audits_in(council, client_for):
    url = drawn_cycle(client_for(council), n=12)
    client_for(council).post(url + "assign/")
    peer = Assignment.objects.filter(auditor__user__groups__name="manager").first()
    assert peer is not None, "the demo council's team managers peer-audit"
    manager = client_for(peer.auditor.user)
    # Auditing in a cycle grants the auditor's rights on her own audits, not the cycle.
    assert manager.get(url).status_code == 404
    assert manager.post(url + "assign/").status_code == 404
    assert (
        manager.post("/api/v1/reports/", {"cycle": url.split("/")[-2]}, format="json").status_code
        == 400
    )


def test_a_case_whose_audit_has_started_cannot_be_replaced(council, client_for):
    client = client_for(council)
    url = drawn_cycle(client, n=12)
    client.post(url + "assign/")
    started = Assignment.objects.filter(role="primary").select_related("audit").first()
    started.audit.status = "in_progress"
    started.audit.save()
    replace = f"/api/v1/sampled-cases/{started.sampled_case_id}/replace/"
    assert client.post(replace, {"reason": "Moved area"}, format="json").status_code == 409
    waiting = Assignment.objects.filter(role="primary", audit__status="assigned").first()
    replace = f"/api/v1/sampled-cases/{waiting.sampled_case_id}/replace/"
    assert client.post(replace, {"reason": "Moved area"}, format="json").status_code == 201
