"""The practitioner's side of an audit: the case's worker and manager when it was audited read
its final findings and respond once, within the window; the moderator reads the responses.

The people are those of ``tests/scope_world.py``: ``prac_wes`` (worker of the final audit's
case then), ``prac_mel`` (its manager then), ``prac_oli`` (worker of another case) and
``prac_fay`` (the case's worker until a year before the audit).
"""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audits.models import Allocation, Audit, Event, Moderation, PractitionerResponse, Staff
from audits.services import moderation
from audits.services.responses import responses_request_and_remind
from tests import scope_world


@pytest.fixture
def world(db):
    return scope_world.build()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def finding_url(audit) -> str:
    return reverse("api:finding-detail", args=[audit.pk])


def respond(user, audit, **body):
    return api_as(user).post(reverse("api:finding-response", args=[audit.pk]), body, format="json")


def test_the_worker_and_the_manager_at_the_time_read_the_final_findings(world, client):
    final = world.extra["final"]
    for name in ("prac_wes", "prac_mel"):
        listed = api_as(world.people[name]).get(reverse("api:finding-list")).json()["results"]
        assert [row["audit"] for row in listed] == [final.pk]
        assert listed[0]["case_ref"] == final.assignment.sampled_case.case.case_ref
        client.force_login(world.people[name])
        page = client.get(reverse("web:finding", args=[final.pk]))
        assert page.status_code == 200
        assert "Do you agree with the findings?" in page.content.decode()


def test_the_findings_show_the_moderated_grade_not_the_auditors_first_one(world):
    final = world.extra["final"]
    Audit.objects.filter(pk=final.pk).update(overall_grade=3, moderated_overall_grade=1)
    seen = api_as(world.people["prac_wes"]).get(finding_url(final)).json()
    assert (seen["overall_grade"], seen["overall_label"]) == (1, "Inadequate")
    assert "answers" not in seen
    assert "rationale" not in seen


def test_a_worker_of_another_case_and_a_former_worker_see_nothing(world):
    final = world.extra["final"]
    for name in ("prac_oli", "prac_fay"):
        reader = api_as(world.people[name])
        assert reader.get(reverse("api:finding-list")).json()["results"] == []
        assert reader.get(finding_url(final)).status_code == 404
        assert respond(world.people[name], final, verdict="agree").status_code == 404
    assert not PractitionerResponse.objects.exists()


def test_a_practitioner_never_reads_a_draft_or_an_audit_not_yet_final(world, client):
    wes = world.people["prac_wes"]
    staff = Staff.objects.get(user=wes)
    # Wes also held every other South case: drafts and submitted audits stay hidden.
    for audit in world.audits("south").exclude(status="final"):
        Allocation.objects.get_or_create(
            case=audit.assignment.sampled_case.case,
            staff=staff,
            role="worker",
            from_date=timezone.localdate() - timedelta(days=900),
        )
    hidden = list(world.audits("south").exclude(status="final"))
    assert {a.status for a in hidden} >= {"submitted", "in_progress"}
    client.force_login(wes)
    for audit in hidden:
        assert api_as(wes).get(finding_url(audit)).status_code == 404
        assert client.get(reverse("web:finding", args=[audit.pk])).status_code == 404
        assert client.get(reverse("web:audit", args=[audit.pk])).status_code == 404
        assert api_as(wes).get(reverse("api:audit-detail", args=[audit.pk])).status_code == 404
        assert respond(wes, audit, verdict="agree").status_code == 404


def test_the_blind_second_audit_is_never_shown_even_once_final(world):
    second = world.audits("south", assignment__role="second", status="submitted").first()
    assert second is not None
    Allocation.objects.create(
        case=second.assignment.sampled_case.case,
        staff=Staff.objects.get(user=world.people["prac_wes"]),
        role="worker",
        from_date=timezone.localdate() - timedelta(days=900),
    )
    moderation.moderation_record(audit=second, actor=world.people["lead"], decision="agree")
    assert Audit.objects.get(pk=second.pk).status == "final"
    wes = api_as(world.people["prac_wes"])
    assert second.pk not in [
        r["audit"] for r in wes.get(reverse("api:finding-list")).json()["results"]
    ]
    assert wes.get(finding_url(second)).status_code == 404


def test_a_disagreement_needs_a_reason_and_is_recorded_once(world):
    final, wes = world.extra["final"], world.people["prac_wes"]
    refused = respond(wes, final, verdict="disagree", comment="  ")
    assert refused.status_code == 400
    assert "comment" in refused.json()
    assert respond(wes, final, verdict="maybe").status_code == 400
    assert not PractitionerResponse.objects.exists()
    given = respond(wes, final, verdict="disagree", comment="The plan was reviewed on time.")
    assert given.status_code == 201
    assert Event.objects.filter(verb="practitioner_response.recorded").count() == 1
    again = respond(wes, final, verdict="agree")
    assert again.status_code == 409
    assert PractitionerResponse.objects.get().verdict == "disagree"
    # The manager at the time answers for herself.
    assert respond(world.people["prac_mel"], final, verdict="agree").status_code == 201
    held = dict(PractitionerResponse.objects.values_list("staff__user__username", "held_as"))
    assert held == {"prac_wes": "worker", "prac_mel": "manager"}


def test_no_response_after_the_window_closes(world):
    final = world.extra["final"]
    Moderation.objects.filter(audit=final).update(at=timezone.now() - timedelta(days=30))
    late = respond(world.people["prac_wes"], final, verdict="agree")
    assert late.status_code == 409
    assert "ended" in late.json()["detail"]
    assert not PractitionerResponse.objects.exists()


def test_the_moderator_sees_the_responses_and_filters_them(world, client):
    final = world.extra["final"]
    respond(world.people["prac_wes"], final, verdict="disagree", comment="Chronology was there.")
    respond(world.people["prac_mel"], final, verdict="agree")
    tom = api_as(world.people["two_tom"])
    rows = tom.get(reverse("api:practitioner-response-list") + "?verdict=disagree").json()
    assert [(r["person"], r["comment"]) for r in rows["results"]] == [
        ("Prac Wes", "Chronology was there.")
    ]
    client.force_login(world.people["two_tom"])
    page = client.get(reverse("web:responses") + "?verdict=disagree").content.decode()
    assert "Chronology was there." in page
    assert "Prac Mel" not in page
    # A manager who does not run the South cycle sees none; a practitioner only their own.
    assert (
        api_as(world.people["peer_nora"])
        .get(reverse("api:practitioner-response-list"))
        .json()["results"]
        == []
    )
    mine = api_as(world.people["prac_mel"]).get(reverse("api:practitioner-response-list")).json()
    assert [r["person"] for r in mine["results"]] == ["Prac Mel"]


def test_practitioners_are_asked_once_and_reminded_once_by_email_with_no_case_detail(
    world, settings
):
    final = world.extra["final"]
    case_ref = final.assignment.sampled_case.case.case_ref
    mail.outbox.clear()
    assert responses_request_and_remind()["asked"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "prac_mel@council.example",
        "prac_wes@council.example",
    ]
    for message in mail.outbox:
        assert f"/findings/{final.pk}/" in message.body
        assert case_ref not in message.body
    assert Event.objects.filter(verb="response_request.sent").count() == 2
    mail.outbox.clear()
    assert responses_request_and_remind() == {"asked": 0, "reminded": 0}
    # Wes answers; two working days before the end, only Mel is reminded, and only once.
    respond(world.people["prac_wes"], final, verdict="agree")
    due_on = final.response_requests.first().due_on
    near = timezone.make_aware(datetime.combine(due_on - timedelta(days=1), time(9)))
    assert responses_request_and_remind(now=near) == {"asked": 0, "reminded": 1}
    assert [m.to[0] for m in mail.outbox] == ["prac_mel@council.example"]
    assert responses_request_and_remind(now=near)["reminded"] == 0


def test_the_findings_lists_take_the_same_queries_however_many_findings(world):
    """The page and the API list each read a fixed number of queries: no query per audit."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    wes = world.people["prac_wes"]
    page, api = Client(), api_as(wes)
    page.force_login(wes)

    def counts():
        with CaptureQueriesContext(connection) as on_page:
            assert page.get(reverse("web:my-findings")).status_code == 200
        with CaptureQueriesContext(connection) as on_api:
            assert api.get(reverse("api:finding-list")).status_code == 200
        return len(on_page.captured_queries), len(on_api.captured_queries)

    counts()  # once to warm the per-process caches (the published form)
    before = counts()
    shown = len(api.get(reverse("api:finding-list")).json()["results"])
    staff = Staff.objects.get(user=wes)
    for audit in Audit.objects.exclude(pk=world.extra["final"].pk).filter(
        assignment__role="primary", submitted_at__isnull=False
    )[:3]:
        Audit.objects.filter(pk=audit.pk).update(status="final")
        Allocation.objects.create(
            case=audit.assignment.sampled_case.case,
            staff=staff,
            role="worker",
            from_date=audit.submitted_at.date() - timedelta(days=30),
        )
    assert len(api.get(reverse("api:finding-list")).json()["results"]) > shown
    assert counts() == before
