"""Auditors' work through the API: autosave with versions, submission rules, the state
machine, blind double audits, moderation, escalation and actions."""

from datetime import date, timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from audits.models import (
    Action,
    Escalation,
    Event,
    Staff,
    Template,
)
from audits.services.escalations import escalations_remind_overdue

FULL = {
    "audit_type": "Desk audit",
    "child_seen_recently": "yes",
    "risk_recognised": 3,
    "risk_reviewed": 3,
    "parental_capacity": 3,
    "assessment_timely": "yes",
    "assessment_analysis": 3,
    "history_used": 3,
    "plan_smart": 3,
    "reviews_on_time": "yes",
    "plan_progress": 3,
    "child_voice_recorded": 3,
    "child_voice_acted_on": 3,
    "supervision_regular": 3,
    "decisions_reasoned": 3,
    "partners_involved": 3,
    "information_shared": 3,
    "outcomes_improving": 3,
    "step_up_down": "na",
    "recording_up_to_date": 3,
    "chronology_present": "yes",
    "tells_story": 3,
}


def url(audit, suffix=""):
    return f"/api/v1/audits/{audit.pk}/{suffix}"


def fill(client, audit, answers=FULL, overall=3, **extra):
    version = client.get(url(audit)).json()["version"]
    body = {"version": version, "answers": answers, "overall_grade": overall, **extra}
    response = client.patch(url(audit), body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["version"]


def test_two_concurrent_saves_one_wins_the_other_is_told(people, work, client_for):
    alice_tab_1 = client_for(people["auditor_alice"])
    alice_tab_2 = client_for(people["auditor_alice"])
    audit = work["first"]
    opened = alice_tab_1.get(url(audit)).json()["version"]
    assert alice_tab_2.get(url(audit)).json()["version"] == opened
    first = alice_tab_1.patch(
        url(audit), {"version": opened, "answers": {"risk_recognised": 2}}, format="json"
    )
    second = alice_tab_2.patch(
        url(audit), {"version": opened, "answers": {"risk_recognised": 4}}, format="json"
    )
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["current_version"] == first.json()["version"]
    audit.refresh_from_db()
    # The winner's answer is stored; the loser was told and can re-apply hers.
    assert audit.answers == {"risk_recognised": 2}
    retry = alice_tab_2.patch(
        url(audit),
        {"version": second.json()["current_version"], "answers": {"plan_smart": 4}},
        format="json",
    )
    assert retry.status_code == 200
    audit.refresh_from_db()
    assert audit.answers == {"risk_recognised": 2, "plan_smart": 4}


def test_if_match_carries_the_version_too(people, work, client_for):
    client = client_for(people["auditor_alice"])
    response = client.get(url(work["first"]))
    etag = response["ETag"]
    saved = client.patch(
        url(work["first"]), {"answers": {"plan_smart": 3}}, format="json", HTTP_IF_MATCH=etag
    )
    assert saved.status_code == 200
    stale = client.patch(
        url(work["first"]), {"answers": {"plan_smart": 2}}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 409


def test_a_save_without_a_version_or_with_bad_answers_changes_nothing(people, work, client_for):
    client = client_for(people["auditor_alice"])
    assert (
        client.patch(url(work["first"]), {"answers": {"plan_smart": 3}}, format="json").status_code
        == 400
    )
    response = client.patch(
        url(work["first"]),
        {"version": 1, "answers": {"plan_smart": 9, "no_such": 1}},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"answers.plan_smart", "answers.no_such"}
    work["first"].refresh_from_db()
    assert (work["first"].answers, work["first"].version) == ({}, 1)


def test_submission_checks_required_limiting_and_rationale(people, work, client_for):
    client = client_for(people["auditor_alice"])
    audit = work["first"]
    version = fill(client, audit, answers={"plan_smart": 3}, overall=None)
    response = client.post(url(audit, "submit/"), {"version": version}, format="json")
    assert response.status_code == 400
    assert "answers.risk_recognised" in response.json()
    assert "overall_grade" in response.json()

    limited = {**FULL, "risk_recognised": 2}  # a limiting question
    version = fill(client, audit, answers=limited, overall=3)
    response = client.post(url(audit, "submit/"), {"version": version}, format="json")
    assert response.status_code == 400
    assert "limiting" in response.json()["overall_grade"][0]

    version = fill(client, audit, answers=FULL, overall=2)  # domains all Good
    response = client.post(url(audit, "submit/"), {"version": version}, format="json")
    assert "rationale" in response.json()

    version = fill(client, audit, answers=FULL, overall=3)
    response = client.post(url(audit, "submit/"), {"version": version}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "final"
    assert Event.objects.filter(verb="audit.submitted", object_id=str(audit.pk)).exists()


def test_illegal_transitions_are_refused_with_409_and_write_nothing(people, work, client_for):
    alice = client_for(people["auditor_alice"])
    audit = work["first"]
    version = fill(alice, audit)
    assert alice.post(url(audit, "submit/"), {"version": version}, format="json").status_code == 200
    audit.refresh_from_db()
    events = Event.objects.count()
    snapshot = (audit.status, audit.version, audit.answers, audit.overall_grade)
    quinn = client_for(people["qa_lead_quinn"])
    attempts = [
        alice.post(url(audit, "submit/"), {"version": audit.version}, format="json"),
        alice.patch(url(audit), {"version": audit.version, "overall_grade": 2}, format="json"),
        quinn.post(
            url(audit, "moderation/"), {"decision": "agree"}, format="json"
        ),  # final, not awaiting
    ]
    assert [a.status_code for a in attempts] == [409, 409, 409]
    audit.refresh_from_db()
    assert (audit.status, audit.version, audit.answers, audit.overall_grade) == snapshot
    assert Event.objects.count() == events


def test_auditors_get_404_for_audits_not_theirs_and_the_pair_is_blind(people, work, client_for):
    alice, carol = client_for(people["auditor_alice"]), client_for(work["carol"])
    assert carol.get(url(work["first"])).status_code == 404
    assert alice.get(url(work["second"])).status_code == 404
    assert client_for(people["outsider_eve"]).get(url(work["first"])).status_code == 404
    version = fill(alice, work["first"])
    alice.post(url(work["first"], "submit/"), {"version": version}, format="json")
    assert carol.get(url(work["first"])).status_code == 404  # Carol has not submitted yet
    version = fill(carol, work["second"])
    assert (
        carol.post(url(work["second"], "submit/"), {"version": version}, format="json").status_code
        == 200
    )
    assert carol.get(url(work["first"])).json()["overall_grade"] == 3
    assert alice.get(url(work["second"])).status_code == 200


def test_a_team_manager_cannot_moderate_her_own_teams_case(people, work, client_for):
    alice = client_for(people["auditor_alice"])
    audit = work["first"]
    version = fill(
        alice, audit, answers={**FULL, "risk_recognised": 1}, overall=1, rationale="Limiting"
    )
    alice.post(url(audit, "submit/"), {"version": version}, format="json")
    audit.refresh_from_db()
    assert (audit.status, audit.moderation_reason) == ("submitted", "inadequate")
    response = client_for(people["manager_bob"]).post(
        url(audit, "moderation/"), {"decision": "agree"}, format="json"
    )
    assert response.status_code == 403
    assert "R1" in response.json()["rules"]
    quinn = client_for(people["qa_lead_quinn"])
    no_reason = quinn.post(
        url(audit, "moderation/"), {"decision": "change", "overall_grade": 2}, format="json"
    )
    assert no_reason.status_code == 400
    response = quinn.post(
        url(audit, "moderation/"),
        {
            "decision": "change",
            "overall_grade": 2,
            "grades": {"risk_recognised": 2},
            "reason": "Risk was recognised late but acted on",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    audit.refresh_from_db()
    assert (audit.status, audit.overall_grade, audit.moderated_overall_grade) == ("final", 1, 2)
    history = quinn.get(url(audit, "history/")).json()
    moderated = next(e for e in history if e["verb"] == "audit.moderation.change")
    assert moderated["before"]["overall_grade"] == 1
    assert moderated["after"]["overall_grade"] == 2
    assert moderated["before"]["grades"]["risk_recognised"] == 1
    assert moderated["after"]["grades"]["risk_recognised"] == 2


def test_return_for_rework_lets_the_auditor_edit_and_resubmit(people, work, client_for):
    alice = client_for(people["auditor_alice"])
    audit = work["first"]
    version = fill(
        alice, audit, answers={**FULL, "risk_recognised": 1}, overall=1, rationale="Limiting"
    )
    alice.post(url(audit, "submit/"), {"version": version}, format="json")
    quinn = client_for(people["qa_lead_quinn"])
    response = quinn.post(
        url(audit, "moderation/"), {"decision": "return", "reason": "Add evidence"}, format="json"
    )
    assert response.status_code == 201
    version = fill(
        alice, audit, answers={**FULL, "risk_recognised": 1}, overall=1, rationale="Limiting"
    )
    assert (
        alice.post(url(audit, "submit/"), {"version": version}, format="json").json()["status"]
        == "submitted"
    )


def test_an_escalation_emails_at_once_and_the_beat_task_reminds_when_overdue(
    people, work, client_for, django_capture_on_commit_callbacks
):
    alice = client_for(people["auditor_alice"])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            response = alice.post(
                url(work["first"], "escalations/"),
                {"concern": "Child seen with bruising"},
                format="json",
            )
        assert response.status_code == 201, response.json()
        assert len(mail.outbox) == 1
        assert "Safeguarding concern" in mail.outbox[0].subject
        assert {"manager_bob@council.example", "qa_lead_quinn@council.example"} <= set(
            mail.outbox[0].to
        )
        assert "bruising" not in mail.outbox[0].body  # the details stay in CaseAssure
        assert escalations_remind_overdue() == 0
        traveller.shift(timedelta(hours=25))
        assert escalations_remind_overdue() == 1
        assert "OVERDUE" in mail.outbox[-1].subject
        assert escalations_remind_overdue() == 0  # once a day, not every run
        escalation = Escalation.objects.get()
        listed = client_for(people["qa_lead_quinn"]).get("/api/v1/escalations/").json()["results"]
        assert listed[0]["overdue"] is True
        ack = client_for(people["manager_bob"]).post(
            f"/api/v1/escalations/{escalation.pk}/acknowledge/",
            {"response": "Strategy discussion held"},
            format="json",
        )
        assert ack.status_code == 200
        again = client_for(people["manager_bob"]).post(
            f"/api/v1/escalations/{escalation.pk}/acknowledge/", {}, format="json"
        )
        assert again.status_code == 409
    assert (
        client_for(people["auditor_alice"])
        .post(f"/api/v1/escalations/{escalation.pk}/acknowledge/", {})
        .status_code
        == 403
    )


def test_actions_move_open_done_verified_and_nothing_else(people, work, client_for):
    alice = client_for(people["auditor_alice"])
    version = fill(alice, work["first"])
    alice.post(url(work["first"], "submit/"), {"version": version}, format="json")
    quinn = client_for(people["qa_lead_quinn"])
    owner = Staff.objects.get(user=people["manager_bob"])
    response = quinn.post(
        "/api/v1/actions/",
        {
            "audit": work["first"].pk,
            "owner": owner.staff_ref,
            "description": "Update the chronology",
            "priority": "high",
            "due_date": str(date.today() + timedelta(days=14)),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    action_url = f"/api/v1/actions/{response.json()['id']}/"
    bob = client_for(people["manager_bob"])
    assert bob.patch(action_url, {"status": "verified"}, format="json").status_code == 409
    assert (
        bob.patch(action_url, {"status": "done"}, format="json").status_code == 400
    )  # no evidence
    done = bob.patch(
        action_url, {"status": "done", "evidence_note": "Chronology updated"}, format="json"
    )
    assert done.status_code == 200
    assert bob.patch(action_url, {"status": "verified"}, format="json").status_code == 403  # owner
    assert (
        quinn.patch(action_url, {"status": "verified"}, format="json").json()["status"]
        == "verified"
    )
    assert quinn.patch(action_url, {"status": "open"}, format="json").status_code == 409
    follow = quinn.post(
        f"/api/v1/cases/{work['case'].pk}/follow-up/",
        {"reason": "Check the plan held"},
        format="json",
    )
    assert follow.status_code == 201
    assert Action.objects.get().status == "verified"


def test_a_published_form_never_changes_edits_make_a_new_version(people, work, client_for):
    ada = client_for(people["admin_ada"])
    template = Template.objects.get(status="published")
    response = ada.patch(
        f"/api/v1/templates/{template.pk}/", {"description": "Changed"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["version"] == template.version + 1
    assert response.json()["status"] == "draft"
    template.refresh_from_db()
    assert template.description != "Changed"
    new = response.json()["id"]
    assert ada.post(f"/api/v1/templates/{new}/publish/").json()["status"] == "published"
    template.refresh_from_db()
    assert template.status == "retired"
    work["first"].refresh_from_db()
    assert work["first"].template_id == template.pk  # audits keep the version they began on
    exported = ada.get(f"/api/v1/templates/{new}/export/").json()
    exported["name"] = "Imported copy"
    imported = ada.post("/api/v1/templates/import/", exported, format="json")
    assert imported.status_code == 201, imported.json()
    assert (
        client_for(people["auditor_alice"])
        .post("/api/v1/templates/import/", exported, format="json")
        .status_code
        == 403
    )
