"""Notifications in one place (issue 15, item 8): one list per person with an unread count
in every page's header, emails only for the kinds a person keeps by email, each with a link
and no case detail; nobody sees anyone else's; preference changes are recorded."""

import pytest
from django.core import mail
from django.test import Client

from audits.core import notification_kinds
from audits.infra import notify
from audits.models import Event, Notification, Staff


@pytest.fixture
def alice_told(people):
    """Two notifications for auditor Alice, one for manager Bob."""
    alice = Staff.objects.get(user=people["auditor_alice"])
    bob = Staff.objects.get(user=people["manager_bob"])
    _returned([alice], 7)
    _assigned([alice, bob])
    return alice


def _returned(staff, audit_id):
    page = notify.link("web:audit", audit_id)
    text = f"Audit {audit_id} was returned to you for rework"
    notify.send(staff, text, "Body.", page=page, kind=notify.RETURNED_FOR_REWORK)


def _assigned(staff):
    page = notify.link("web:my-audits")
    notify.send(staff, "2 new case audit(s) for Spring", "Body.", page=page, kind=notify.ASSIGNED)


def _page(user):
    client = Client()
    client.force_login(user)
    return client


def test_each_person_is_told_in_the_service_and_by_email_with_a_link(people, alice_told):
    assert Notification.objects.filter(recipient=people["auditor_alice"]).count() == 2
    assert Notification.objects.filter(recipient=people["manager_bob"]).count() == 1
    assert len(mail.outbox) == 2
    assert "Open it in CaseAssure (sign in first): http://127.0.0.1:8000/audits/7/" in (
        mail.outbox[0].body
    )


def test_an_unknown_kind_is_refused(people):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify.send([], "x", "y", page="/", kind="gossip")


def test_the_header_counts_unread_on_every_page_and_reading_lowers_it(people, alice_told):
    client = _page(people["auditor_alice"])
    for path in ("/", "/audits/", "/notifications/"):
        assert 'id="unread-count">2<' in client.get(path).content.decode(), path
    newest = Notification.objects.filter(recipient=people["auditor_alice"]).first()
    response = client.post(f"/notifications/{newest.pk}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == newest.link
    assert 'id="unread-count">1<' in client.get("/").content.decode()
    assert client.post("/notifications/read-all/").status_code == 302
    assert 'id="unread-count"' not in client.get("/").content.decode()
    unread = Notification.objects.filter(read_at__isnull=True)
    assert not unread.filter(recipient=people["auditor_alice"]).exists()
    # Read marks are personal screen state: no Event.
    assert not Event.objects.filter(verb__startswith="notification.").exists()


def test_nobody_sees_or_marks_anyone_elses_notifications(people, alice_told, client_for):
    bobs = Notification.objects.get(recipient=people["manager_bob"])
    alice = _page(people["auditor_alice"])
    page = alice.get("/notifications/").content.decode()
    assert page.count('<li class="notification-unread" id="notification-') == 2
    assert alice.post(f"/notifications/{bobs.pk}/read/").status_code == 404
    api = client_for(people["auditor_alice"])
    rows = api.get("/api/v1/notifications/").json()["results"]
    assert {row["kind"] for row in rows} == {"returned", "assigned"}
    assert all(row["id"] != bobs.pk for row in rows)
    assert api.post(f"/api/v1/notifications/{bobs.pk}/read/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None
    own = rows[0]["id"]
    response = api.post(f"/api/v1/notifications/{own}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client_for(people["outsider_eve"]).get("/api/v1/notifications/").status_code == 404
    assert client_for(None).get("/api/v1/notifications/").status_code in (401, 403)


def test_email_preferences_are_recorded_and_keep_the_in_app_notice(people):
    client = _page(people["auditor_alice"])
    kept = [kind for kind in notification_kinds.KINDS if kind != "returned"]
    response = client.post("/notifications/preferences/", {"email_kinds": kept})
    assert response.status_code == 302
    event = Event.objects.get(verb="notification.preferences_changed")
    assert "returned" in event.before["email_kinds"]
    assert "returned" not in event.after["email_kinds"]
    mail.outbox.clear()
    alice = Staff.objects.get(user=people["auditor_alice"])
    _returned([alice], 9)
    _assigned([alice])
    assert Notification.objects.filter(recipient=people["auditor_alice"]).count() == 2
    assert [m.subject for m in mail.outbox] == ["[CaseAssure] 2 new case audit(s) for Spring"]
    page = client.get("/notifications/").content.decode()
    assert 'id="email-returned" checked' not in page
    assert 'id="email-assigned" checked' in page


def test_a_bad_preference_is_refused_and_nothing_is_saved(people):
    client = _page(people["auditor_alice"])
    response = client.post("/notifications/preferences/", {"email_kinds": ["gossip"]})
    assert response.status_code == 400
    assert b'href="#email_kinds"' in response.content
    assert not Event.objects.filter(verb="notification.preferences_changed").exists()


def test_every_notify_call_names_a_kind_and_the_kinds_for_later_work_exist():
    # h7 (double audits) and the practitioner work call notify.send with these kinds.
    assert notify.DOUBLE_AUDIT_READY == "double_audit_ready"
    assert notify.RESPONSE_REQUESTED == "response_requested"
    assert set(notification_kinds.LABELS) == set(notification_kinds.KINDS)
