"""Returned for rework (issue 15, item 1): the moderator's reason shows on the audit page
and in My audits, the auditor is told (in the service and by an email that carries a link,
not the reason or the case), and every round stays in the audit's history."""

from django.core import mail
from django.test import Client

from audits.models import Notification
from tests.test_audits_api import FULL, fill, url

FIRST_REASON = "Add the evidence that the child was seen alone"
SECOND_REASON = "The chronology is still missing"


def _submit(client, audit):
    version = fill(
        client, audit, answers={**FULL, "risk_recognised": 1}, overall=1, rationale="Limiting"
    )
    response = client.post(url(audit, "submit/"), {"version": version}, format="json")
    assert response.status_code == 200, response.json()


def _return(client, audit, reason, capture):
    with capture(execute=True):
        response = client.post(
            url(audit, "moderation/"), {"decision": "return", "reason": reason}, format="json"
        )
    assert response.status_code == 201, response.json()


def test_the_auditor_is_told_sees_why_and_both_rounds_stay_in_the_history(
    people, work, client_for, django_capture_on_commit_callbacks
):
    alice, quinn = client_for(people["auditor_alice"]), client_for(people["qa_lead_quinn"])
    audit = work["first"]
    _submit(alice, audit)
    mail.outbox.clear()
    _return(quinn, audit, FIRST_REASON, django_capture_on_commit_callbacks)

    told = Notification.objects.get(recipient=people["auditor_alice"])
    assert told.kind == "returned"
    assert told.link == f"/audits/{audit.pk}/"
    assert told.read_at is None
    [email] = mail.outbox
    assert email.to == ["auditor_alice@council.example"]
    assert f"http://127.0.0.1:8000/audits/{audit.pk}/" in email.body
    for detail in (work["case"].case_ref, FIRST_REASON, "child"):
        assert detail not in email.body + email.subject + told.text

    page = Client()
    page.force_login(people["auditor_alice"])
    audit_page = page.get(f"/audits/{audit.pk}/").content.decode()
    assert "Returned to you for rework" in audit_page
    assert FIRST_REASON in audit_page
    assert "Qa Lead Quinn" in audit_page
    assert 'id="unread-count">1<' in audit_page
    my_audits = page.get("/audits/").content.decode()
    assert FIRST_REASON in my_audits

    _submit(alice, audit)
    _return(quinn, audit, SECOND_REASON, django_capture_on_commit_callbacks)
    _submit(alice, audit)

    history = page.get(f"/audits/{audit.pk}/").content.decode()
    assert "Returned to you for rework" not in history  # submitted again: no open return
    for text in ("Round 1", "Round 2", FIRST_REASON, SECOND_REASON):
        assert text in history
    assert history.count("Submitted again on") == 2
    assert Notification.objects.filter(recipient=people["auditor_alice"]).count() == 2
    # The moderator sees the earlier rounds on the moderation page too.
    moderator = Client()
    moderator.force_login(people["qa_lead_quinn"])
    moderation_page = moderator.get(f"/moderation/{audit.pk}/").content.decode()
    assert FIRST_REASON in moderation_page
    assert SECOND_REASON in moderation_page


def test_a_reason_is_required_to_return_and_nobody_is_told_without_one(
    people, work, client_for, django_capture_on_commit_callbacks
):
    alice, quinn = client_for(people["auditor_alice"]), client_for(people["qa_lead_quinn"])
    audit = work["first"]
    _submit(alice, audit)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = quinn.post(
            url(audit, "moderation/"), {"decision": "return", "reason": "  "}, format="json"
        )
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not Notification.objects.exists()
    assert mail.outbox == []
