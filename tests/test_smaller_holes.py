"""Finding 12 of issue 12, the smaller holes: the lockout behind the TLS proxy, the upload
limit read from Content-Length, the schema behind sign-in, emails that carry a link, one
answer for missing and out-of-scope filter ids, and past due dates on actions."""

import os
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audits.models import Action, Assignment, Audit, Case, Cycle, SampledCase, Staff, Template
from audits.services import actions, audits, escalations
from tests.import_jobs import upload_and_import

PASSWORD = "not-a-common-passphrase-1"
PROXY = "10.0.0.2"


# --- Lockout behind the proxy ---------------------------------------------------------------
def token_attempt(password, *, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": "internal_ian", "password": password},
        format="json",
        **extra,
    )


def test_behind_the_proxy_eve_cannot_lock_ian_out(people, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # Eve claims Ian's address; the proxy appends the address she really came from.
        token_attempt("wrong-password-123", remote=PROXY, forwarded="198.51.100.7, 203.0.113.9")
    assert token_attempt(PASSWORD, remote=PROXY, forwarded="198.51.100.7").status_code == 201
    assert token_attempt(PASSWORD, remote=PROXY, forwarded="203.0.113.9").status_code in (403, 429)


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(people, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token_attempt("wrong-password-123", remote="203.0.113.9", forwarded="198.51.100.7")
    assert token_attempt(PASSWORD, remote="198.51.100.7").status_code == 201
    assert token_attempt(PASSWORD, remote="203.0.113.9").status_code in (403, 429)


# --- Upload size from Content-Length ----------------------------------------------------------
def test_an_oversized_upload_is_refused_before_its_body_is_read(people, client_for, settings):
    settings.IMPORT_MAX_BYTES = 2048
    client = client_for(people["qa_lead_quinn"])
    # The declared length is far more than is sent: reading the body would fail the test
    # client ("cannot read more than the available bytes"), so a 413 proves it was not read.
    response = client.generic(
        "POST",
        "/api/v1/cases/import/?kind=cases",
        b"x" * 100,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(10**9),
    )
    assert response.status_code == 413
    assert "2048" in response.json()["detail"]


def test_other_requests_have_a_general_limit(people, client_for, settings):
    settings.REQUEST_MAX_BYTES = 4096
    client = client_for(people["admin_ada"])
    response = client.generic(
        "POST",
        "/api/v1/teams/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(10**8),
    )
    assert response.status_code == 413


def test_an_upload_within_the_limit_still_works(people, client_for, settings):
    settings.IMPORT_MAX_BYTES = 4096
    header = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year\n"
    body = header + "C1,Child Protection One,cp,2025-01-01,,,,\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("cases.csv", body.encode(), content_type="text/csv")
    response = upload_and_import(
        client_for(people["qa_lead_quinn"]),
        "/api/v1/cases/import/?kind=cases&dry_run=1",
        {"file": upload},
    )
    assert response.json()["status"] == "finished", response.content


# --- Schema and docs behind sign-in -------------------------------------------------------------
def test_schema_and_docs_need_sign_in_when_not_public(people, settings):
    settings.API_SCHEMA_PUBLIC = False
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    assert anonymous.get("/api/docs/").status_code in (401, 403)
    signed_in = Client()
    signed_in.force_login(people["internal_ian"])
    assert signed_in.get("/api/schema/").status_code == 200
    assert signed_in.get("/api/docs/").status_code == 200


def test_production_keeps_the_schema_private_and_links_to_its_own_host():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.API_SCHEMA_PUBLIC, settings.SITE_URL)"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ENV"}}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "y" * 60,
        "ALLOWED_HOSTS": "qa.council.example",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["False", "https://qa.council.example"], result.stderr


# --- Emails carry a link, not case details ---------------------------------------------------
FULL = {
    "audit_type": "Desk audit",
    "child_seen_recently": "yes",
    "risk_recognised": 1,
    "risk_reviewed": 1,
    "parental_capacity": 1,
    "assessment_timely": "yes",
    "assessment_analysis": 1,
    "history_used": 1,
    "plan_smart": 1,
    "reviews_on_time": "yes",
    "plan_progress": 1,
    "child_voice_recorded": 1,
    "child_voice_acted_on": 1,
    "supervision_regular": 1,
    "decisions_reasoned": 1,
    "partners_involved": 1,
    "information_shared": 1,
    "outcomes_improving": 1,
    "step_up_down": "na",
    "recording_up_to_date": 1,
    "chronology_present": "yes",
    "tells_story": 1,
}
CONCERN = "Bruising seen on the child in photo 3 and not followed up"


@pytest.fixture
def audit(people, teams):
    cp = teams["Child Protection One"]
    case = Case.objects.create(
        case_ref="CR-77123", team=cp, case_type="cp", opened_on=date(2025, 1, 1)
    )
    template = Template.objects.get(status="published")
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        template=template,
        moderation_share=0,
    )
    cycle.teams.set([cp])
    sampled = SampledCase.objects.create(
        cycle=cycle, case=case, stratum="all", rank=1, selection_key="a" * 64
    )
    assignment = Assignment.objects.create(
        sampled_case=sampled, auditor=Staff.objects.get(user=people["auditor_alice"])
    )
    return Audit.objects.create(assignment=assignment, template=template)


def test_every_notification_email_links_to_the_service_and_names_no_case(
    people, audit, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://qa.council.example"
    Staff.objects.filter(user=people["manager_bob"]).update(email="bob@council.example")
    alice, lead = people["auditor_alice"], people["qa_lead_quinn"]
    with django_capture_on_commit_callbacks(execute=True):
        saved = audits.audit_save(
            audit=audit,
            actor=alice,
            version=1,
            changes={"answers": FULL, "overall_grade": 1},
        )
        audits.audit_submit(audit=saved, actor=alice, version=saved.version)
        escalations.escalation_raise(audit=audit, actor=alice, concern=CONCERN)
    owner = Staff.objects.get(user=people["manager_bob"])
    action = Action.objects.create(
        audit=audit,
        case=audit.assignment.sampled_case.case,
        team=owner.managed_teams.first(),
        owner=owner,
        description="Visit again",
        due_date=timezone.localdate() + timedelta(days=2),
        created_by=lead,
    )
    actions.actions_remind()
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        escalations.escalations_remind_overdue()
        actions.actions_remind()
    # (The emails telling auditors what they were given: tests/test_assignment_api.py.)
    assert action.pk
    assert len(mail.outbox) >= 5, [m.subject for m in mail.outbox]
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert "CR-77123" not in text, text
        assert "Bruising" not in text, text
        assert re.search(r"https://qa\.council\.example/\S+", message.body), text


# --- One answer for missing and out-of-scope filter ids ------------------------------------
def test_a_missing_cycle_and_one_out_of_scope_get_the_same_answer(people, teams, audit, client_for):
    other = Cycle.objects.create(
        name="CLA only", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30)
    )
    other.teams.set([teams["Children Looked After"]])
    bob = client_for(people["manager_bob"])  # manages Child Protection One only
    missing = bob.get("/api/v1/audits/", {"assignment__sampled_case__cycle": other.pk + 1000})
    hidden = bob.get("/api/v1/audits/", {"assignment__sampled_case__cycle": other.pk})
    assert missing.status_code == hidden.status_code == 200
    assert missing.json() == hidden.json()
    assert hidden.json()["count"] == 0
    not_a_number = bob.get("/api/v1/audits/", {"assignment__sampled_case__cycle": "x"})
    assert not_a_number.status_code == 400


# --- Past due dates -------------------------------------------------------------------------
def test_an_action_due_in_the_past_is_refused_by_api_and_page(people, audit, client_for):
    Audit.objects.filter(pk=audit.pk).update(status="final")
    owner = Staff.objects.get(user=people["manager_bob"])
    yesterday = timezone.localdate() - timedelta(days=1)
    body = {
        "audit": audit.pk,
        "owner": owner.staff_ref,
        "description": "Visit",
        "due_date": yesterday.isoformat(),
    }
    quinn = client_for(people["qa_lead_quinn"])
    response = quinn.post("/api/v1/actions/", body, format="json")
    assert response.status_code == 400
    assert "due_date" in response.json()
    browser = Client()
    browser.force_login(people["qa_lead_quinn"])
    page = browser.post(f"/actions/new/?audit={audit.pk}", {**body, "priority": "medium"})
    assert page.status_code == 400
    assert not Action.objects.exists()

    created = quinn.post(
        "/api/v1/actions/", {**body, "due_date": timezone.localdate().isoformat()}, format="json"
    )
    assert created.status_code == 201, created.content
    moved = quinn.patch(
        f"/api/v1/actions/{created.json()['id']}/",
        {"due_date": yesterday.isoformat()},
        format="json",
    )
    assert moved.status_code == 400
