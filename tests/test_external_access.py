"""External reviewers (issue 20 item 3): an administrator gives a named outsider read access
to one cycle's sample and its audits (or a case records review drawn from it) for a date
range. Told as stories about people of the scope council (tests/scope_world.py) and two
outsiders: inspector Ian (Ofsted) and peer reviewer Pat."""

import hashlib
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client
from pypdf import PdfReader
from rest_framework.test import APIClient

from audits.core import external_access as rules
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.models import AccessLog, Audit, Event, ExternalAccess, SampledCase
from audits.selectors import external_access as reads
from audits.services import external_access as service
from audits.services import reports
from tests import scope_world
from worker.compile import report_compile

LONDON = ZoneInfo("Europe/London")
DONE = ("submitted", "final")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


@pytest.fixture
def world(db):
    return scope_world.build()


@pytest.fixture
def ian(db):
    return User.objects.create_user("inspector_ian", first_name="Ian", last_name="Inspector")


def grant(world, person, *, cycle="south", days=7, **extra):
    fields = {
        "organisation": "Ofsted",
        "purpose": "inspection",
        "scope": "sample",
        "starts_on": date.today(),
        "ends_on": date.today() + timedelta(days=days - 1),
    } | extra
    return service.external_access_grant(
        actor=world.people["admin_ada"], person=person, cycle=world.cycles[cycle], **fields
    )


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def audit_links(html: bytes) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/external/audits/(\d+)/"', html.decode())}


# --- reading through a grant ------------------------------------------------------------------
def test_ian_reads_the_cycles_sample_and_its_submitted_audits_only(world, ian):
    access = grant(world, ian)
    client = web(ian)
    home = client.get("/")
    assert f'href="/external/{access.pk}/"'.encode() in home.content
    assert client.get("/external/").status_code == 200
    page = client.get(f"/external/{access.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Read-only access" in text
    assert "until the end of" in text
    sample = SampledCase.objects.filter(cycle=world.cycles["south"], status="selected")
    for row in sample.select_related("case"):
        assert f"Case {row.case.case_ref}" in text
    submitted = set(
        world.audits("south", status__in=("submitted", "final")).values_list("pk", flat=True)
    )
    assert audit_links(page.content) == submitted
    one = next(iter(submitted))
    shown = client.get(f"/external/audits/{one}/")
    assert shown.status_code == 200
    assert b"Overall judgement" in shown.content
    assert b"external-banner" in shown.content
    # Nora's drafts in the same cycle, and every audit of another cycle: not there.
    draft = world.audits("south", assignment__auditor__user=world.people["peer_nora"]).first()
    other = world.audits("all").first()
    assert client.get(f"/external/audits/{draft.pk}/").status_code == 404
    assert client.get(f"/external/audits/{other.pk}/").status_code == 404


def test_nothing_else_in_the_service_is_visible_to_ian(world, ian):
    access = grant(world, ian)
    audit = world.audits("south", status="submitted").first()
    client, rest = web(ian), api(ian)
    for url in (
        "/api/v1/cases/",
        "/api/v1/audits/",
        f"/api/v1/audits/{audit.pk}/",
        f"/api/v1/cycles/{world.cycles['south'].pk}/",
        f"/api/v1/cycles/{world.cycles['south'].pk}/sample/",
        "/api/v1/staff/",
        "/api/v1/reports/",
        "/api/v1/external-access/",
        f"/api/v1/external-access/{access.pk}/",
    ):
        assert rest.get(url).status_code == 404, url
    for url in (
        f"/audits/{audit.pk}/",
        f"/cycles/{world.cycles['south'].pk}/",
        f"/reports/{world.report.job_id}/",
        "/actions/",
        "/external-access/",
    ):
        assert client.get(url).status_code == 404, url
    # Someone else's grant is not his to read, even on the same cycle.
    pat = User.objects.create_user("peer_pat")
    theirs = grant(world, pat, organisation="Northshire peer review", purpose="peer_review")
    assert client.get(f"/external/{theirs.pk}/").status_code == 404


def test_without_a_grant_the_external_pages_do_not_exist(world, ian):
    assert web(ian).get("/external/").status_code == 404
    assert web(world.people["admin_ada"]).get("/external/").status_code == 404
    assert Client().get("/external/").status_code == 302  # to sign in


# --- access ends by itself ------------------------------------------------------------------
def test_access_opens_on_its_first_day_and_ends_after_its_last(world, ian):
    first = date.today() + timedelta(days=2)
    access = grant(world, ian, starts_on=first, ends_on=first + timedelta(days=6))
    audit = world.audits("south", status="submitted").first()
    review, page = f"/external/{access.pk}/", f"/external/audits/{audit.pk}/"
    with time_machine.travel(at(first - timedelta(days=1)), tick=False):
        assert web(ian).get(review).status_code == 404
    with time_machine.travel(at(first, 0), tick=False):
        assert web(ian).get(review).status_code == 200
    with time_machine.travel(at(access.ends_on, 23), tick=False):
        assert web(ian).get(review).status_code == 200
        assert web(ian).get(page).status_code == 200
    with time_machine.travel(at(access.ends_on + timedelta(days=1), 0), tick=False):
        client = web(ian)
        assert client.get(review).status_code == 404
        assert client.get(page).status_code == 404
        assert client.get("/external/").status_code == 404
        assert reads.state_of(access) == rules.ENDED


def test_a_withdrawn_access_ends_at_once_with_its_reason(world, ian):
    access = grant(world, ian)
    assert web(ian).get(f"/external/{access.pk}/").status_code == 200
    admin = web(world.people["admin_ada"])
    refused = admin.post(f"/external-access/{access.pk}/withdraw/", {"reason": ""})
    assert refused.status_code == 400
    assert b"Enter why the access is withdrawn" in refused.content
    done = admin.post(f"/external-access/{access.pk}/withdraw/", {"reason": "Visit cancelled"})
    assert done.status_code == 302
    assert web(ian).get(f"/external/{access.pk}/").status_code == 404
    event = Event.objects.get(verb="external_access.revoked")
    assert (event.object_id, event.reason) == (str(access.pk), "Visit cancelled")
    with pytest.raises(StateConflict):
        service.external_access_revoke(actor=world.people["admin_ada"], access=access, reason="x")


# --- every read is logged -------------------------------------------------------------------
def test_every_read_is_logged_with_the_grant_it_went_through(world, ian):
    access = grant(world, ian)
    audit = world.audits("south", status="submitted").first()
    client = web(ian)
    client.get(f"/external/{access.pk}/")
    client.get(f"/external/audits/{audit.pk}/")
    client.get(f"/external/audits/{audit.pk}/")
    client.get("/external/audits/999999/")  # refused: not a read
    rows = list(AccessLog.objects.filter(user=ian).order_by("pk"))
    assert [(r.object_type, r.object_id) for r in rows] == [
        ("externalaccess", str(access.pk)),
        ("audit", str(audit.pk)),
        ("audit", str(audit.pk)),
    ]
    assert all(r.detail["external_access"] == access.pk for r in rows)
    assert reads.reads_by_grant([access.pk]) == {access.pk: 3}


# --- reads only: every write is refused -----------------------------------------------------
def test_ian_can_change_nothing(world, ian):
    access = grant(world, ian)
    audit = world.audits("south", status="submitted").first()
    client, rest = web(ian), api(ian)
    assert client.post(f"/external/audits/{audit.pk}/").status_code == 405
    assert client.post(f"/external/{access.pk}/").status_code == 405
    assert client.post(f"/audits/{audit.pk}/", {"version": audit.version}).status_code == 404
    assert client.post(f"/moderation/{audit.pk}/", {"decision": "agree"}).status_code == 404
    assert rest.patch(f"/api/v1/audits/{audit.pk}/", {}, format="json").status_code == 403
    body = {"decision": "agree"}
    assert rest.post(f"/api/v1/audits/{audit.pk}/moderation/", body).status_code == 403
    revoke = rest.post(f"/api/v1/external-access/{access.pk}/revoke/", {"reason": "mine"})
    assert revoke.status_code == 403
    longer = {"ends_on": str(date.today() + timedelta(days=60))}
    assert rest.patch(f"/api/v1/external-access/{access.pk}/", longer).status_code == 403
    access.refresh_from_db()
    assert access.revoked_at is None
    assert access.ends_on == date.today() + timedelta(days=6)


# --- two roles: never more than the union ---------------------------------------------------
def test_someone_who_works_here_cannot_be_given_external_access(world):
    for name in ("aud_ann", "lead", "ia_ivy", "prac_wes", "admin_ada"):
        with pytest.raises(DomainError) as refused:
            grant(world, world.people[name])
        assert "person" in refused.value.fields, name


def test_ian_made_an_auditor_later_holds_the_union_and_no_more(world, ian):
    access = grant(world, ian)
    ian.groups.add(Group.objects.get(name="auditor"))
    ian = User.objects.get(pk=ian.pk)
    granted = world.audits("south", status="submitted").first()
    rest, client = api(ian), web(ian)
    # As an auditor he audits nothing: the audits API and the staff audit page show nothing.
    assert rest.get("/api/v1/audits/").json()["count"] == 0
    assert rest.get(f"/api/v1/audits/{granted.pk}/").status_code == 404
    assert client.get(f"/audits/{granted.pk}/").status_code == 404
    # His grant still shows its cycle, read-only, and nothing of another cycle.
    assert client.get(f"/external/audits/{granted.pk}/").status_code == 200
    other = world.audits("all").first()
    assert client.get(f"/external/audits/{other.pk}/").status_code == 404
    assert client.get(f"/external/{access.pk}/").status_code == 200


def test_an_auditor_of_the_cycle_reads_no_more_through_the_external_pages(world):
    """Ann audits in the whole-council cycle; she has no grant: the external pages are not
    a side door to the other audits of her cycle."""
    ann = world.people["aud_ann"]
    theirs = world.audits("all").exclude(assignment__auditor__user=ann).first()
    assert web(ann).get(f"/external/audits/{theirs.pk}/").status_code == 404
    assert web(ann).get("/external/").status_code == 404


# --- a case records review: N cases by the same verifiable rule ------------------------------
def test_a_case_records_review_draws_n_cases_anyone_can_recheck(world, ian):
    access = grant(world, ian, scope="review", review_size=3)
    drawn = list(access.cases.select_related("sampled_case__case").order_by("rank"))
    assert [row.rank for row in drawn] == [1, 2, 3]
    # Re-checked by hand, with hashlib only, from what the grant recorded.
    sample = sorted(
        SampledCase.objects.filter(cycle=world.cycles["south"], status="selected").values_list(
            "case__case_ref", flat=True
        )
    )
    assert access.review_frame == sample
    lines = "".join(f"{ref},review\n" for ref in sample).encode()
    assert hashlib.sha256(lines).hexdigest() == access.review_frame_hash
    parts = f"{access.review_frame_hash}\n{access.review_server_random}\n"
    assert hashlib.sha256(parts.encode()).hexdigest() == access.review_seed
    keys = sorted(
        (hashlib.sha256(f"{access.review_seed}:{ref}".encode()).hexdigest(), ref) for ref in sample
    )
    assert [row.sampled_case.case.case_ref for row in drawn] == [ref for _, ref in keys[:3]]
    assert [row.selection_key for row in drawn] == [key for key, _ in keys[:3]]
    check = rules.recheck_review(
        frame_refs=access.review_frame,
        frame_hash=access.review_frame_hash,
        server_random=access.review_server_random,
        seed=access.review_seed,
        drawn=[row.sampled_case.case.case_ref for row in drawn],
    )
    assert check.match
    # Ian sees those three cases and their audits, no other case of the sample.
    page = web(ian).get(f"/external/{access.pk}/")
    shown = set(re.findall(r"Case (\w+)</th>", page.content.decode()))
    assert shown == {row.sampled_case.case.case_ref for row in drawn}
    outside = world.audits("south", status__in=DONE).exclude(
        assignment__sampled_case__in=[row.sampled_case for row in drawn]
    )
    for audit in outside:
        assert web(ian).get(f"/external/audits/{audit.pk}/").status_code == 404
    inside = world.audits(
        "south", status__in=DONE, assignment__sampled_case__in=[r.sampled_case for r in drawn]
    )
    assert audit_links(page.content) == set(inside.values_list("pk", flat=True))
    event = Event.objects.get(verb="external_access.granted", object_id=str(access.pk))
    assert event.after["review"]["seed"] == access.review_seed


def test_a_review_larger_than_the_sample_is_a_field_error(world, ian):
    size = SampledCase.objects.filter(cycle=world.cycles["south"], status="selected").count()
    with pytest.raises(DomainError) as refused:
        grant(world, ian, scope="review", review_size=size + 1)
    assert f"from 1 to {size}" in refused.value.fields["review_size"][0]
    assert not ExternalAccess.objects.exists()


# --- granting: administrators only, through the API and the page ----------------------------
def test_the_api_grants_changes_and_withdraws_for_administrators_only(world, ian):
    body = {
        "person": "inspector_ian",
        "organisation": "Ofsted",
        "purpose": "inspection",
        "cycle": world.cycles["south"].pk,
        "scope": "review",
        "review_size": 2,
        "starts_on": str(date.today()),
        "ends_on": str(date.today() + timedelta(days=4)),
    }
    assert api(world.people["lead"]).post("/api/v1/external-access/", body).status_code == 403
    admin = api(world.people["admin_ada"])
    made = admin.post("/api/v1/external-access/", body, format="json")
    assert made.status_code == 201, made.content
    found = made.json()
    assert found["state"] == "open"
    assert len(found["review"]["cases"]) == 2
    longer = {"ends_on": str(date.today() + timedelta(days=10))}
    changed = admin.patch(f"/api/v1/external-access/{found['id']}/", longer, format="json")
    assert changed.status_code == 200
    assert changed.json()["ends_on"] == longer["ends_on"]
    event = Event.objects.get(verb="external_access.changed")
    assert event.before["ends_on"] != event.after["ends_on"] == longer["ends_on"]
    bad = admin.post(
        "/api/v1/external-access/", body | {"ends_on": str(date.today() - timedelta(days=1))}
    )
    assert bad.status_code == 400
    assert "ends_on" in bad.json()
    planned = admin.post("/api/v1/external-access/", body | {"cycle": world.cycles["north"].pk})
    assert planned.status_code == 409
    gone = admin.post(f"/api/v1/external-access/{found['id']}/revoke/", {"reason": "Done"})
    assert gone.status_code == 200
    assert gone.json()["state"] == "revoked"
    assert (
        admin.post(f"/api/v1/external-access/{found['id']}/revoke/", {"reason": "x"}).status_code
        == 409
    )
    with pytest.raises(Forbidden):
        service.external_access_grant(
            actor=world.people["lead"],
            person=ian,
            cycle=world.cycles["south"],
            organisation="Ofsted",
            purpose="inspection",
            scope="sample",
            starts_on=date.today(),
            ends_on=date.today(),
        )


def test_the_page_gives_access_with_errors_in_words(world, ian):
    admin = web(world.people["admin_ada"])
    assert admin.get("/external-access/new/").status_code == 200
    empty = admin.post("/external-access/new/", {})
    assert empty.status_code == 400
    for words in (b"Choose the person to give access to", b"Enter the first day of access"):
        assert words in empty.content
    today = date.today()
    end = today + timedelta(days=6)
    done = admin.post(
        "/external-access/new/",
        {
            "person": "inspector_ian",
            "organisation": "Ofsted",
            "purpose": "inspection",
            "cycle": str(world.cycles["south"].pk),
            "scope": "sample",
            "starts_on_day": today.day,
            "starts_on_month": today.month,
            "starts_on_year": today.year,
            "ends_on_day": end.day,
            "ends_on_month": end.month,
            "ends_on_year": end.year,
        },
    )
    assert done.status_code == 302, done.content[:2000]
    listed = admin.get("/external-access/")
    assert b"Ian Inspector" in listed.content
    assert b"Ofsted" in listed.content
    assert ExternalAccess.objects.get().person == ian
    # Not for the QA lead: the site's 404.
    assert web(world.people["lead"]).get("/external-access/new/").status_code == 404


# --- the report lists who had access --------------------------------------------------------
def test_the_report_lists_who_had_access_when_and_how_many_reads(world, ian):
    access = grant(world, ian)
    pat = User.objects.create_user("peer_pat", first_name="Pat", last_name="Peer")
    grant(
        world, pat, organisation="Northshire", purpose="peer_review", scope="review", review_size=2
    )
    client = web(ian)
    client.get(f"/external/{access.pk}/")
    client.get(f"/external/audits/{world.audits('south', status='submitted').first().pk}/")
    # The report is as of the second it is asked for: a minute later, as in life.
    with time_machine.travel(datetime.now(LONDON) + timedelta(minutes=1)):
        job = reports.report_request(cycle=world.cycles["south"], actor=world.people["two_tom"])
    report = report_compile(job.pk, "external")
    rows = report.figures["external_access"]
    assert [(r["person"], r["organisation"], r["reads"]) for r in rows] == [
        ("Ian Inspector", "Ofsted", 2),
        ("Pat Peer", "Northshire", 0),
    ]
    assert rows[0]["starts_on"] == date.today().isoformat()
    assert rows[1]["scope"] == "A case records review"
    assert rows[1]["cases"] == 2
    pdf = reports.report_file_bytes(report, "pdf")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "External access" in text
    assert "Ian Inspector (Ofsted), inspection" in text
    assert "2 reads" in text
    # Another cycle's report names nobody.
    other = reports.report_request(cycle=world.cycles["all"], actor=world.people["lead"])
    assert report_compile(other.pk, "external-2").figures["external_access"] == []


def test_a_grant_makes_the_report_stale_and_a_read_does_not(world, ian):
    from audits.selectors.report_build import report_fingerprint

    south = world.cycles["south"]
    before = report_fingerprint(south)
    access = grant(world, ian)
    granted = report_fingerprint(south)
    assert granted != before
    web(ian).get(f"/external/{access.pk}/")
    assert report_fingerprint(south) == granted


def test_states_in_words():
    today = date(2027, 3, 10)
    span = {"starts_on": date(2027, 3, 1), "ends_on": date(2027, 3, 10)}
    assert rules.state(**span, revoked=False, today=today) == rules.OPEN
    assert rules.state(**span, revoked=False, today=today + timedelta(days=1)) == rules.ENDED
    assert rules.state(**span, revoked=False, today=date(2027, 2, 28)) == rules.NOT_YET
    assert rules.state(**span, revoked=True, today=today) == rules.REVOKED
    assert set(rules.STATE_WORDS) == {rules.OPEN, rules.ENDED, rules.NOT_YET, rules.REVOKED}


def test_dates_past_or_too_long_are_refused():
    today = date(2027, 3, 10)
    assert rules.date_problems(starts_on=today, ends_on=today, today=today, changing=False) == {}
    long = rules.date_problems(
        starts_on=today, ends_on=today + timedelta(days=rules.MAX_DAYS), today=today, changing=False
    )
    assert "ends_on" in long
    past = rules.date_problems(
        starts_on=today - timedelta(days=3), ends_on=today, today=today, changing=False
    )
    assert "starts_on" in past


def test_audit_statuses_shown_are_the_completed_ones():
    from audits.core.statuses import AUDIT_COMPLETED
    from audits.web.external import STATUS_WORDS

    assert set(STATUS_WORDS) == set(AUDIT_COMPLETED)
    assert {"submitted", "final"} <= set(Audit.Status.values)


# --- list pages: the same queries however many rows -------------------------------------------
def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200  # warm the caches
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    return len(seen.captured_queries)


def test_the_list_pages_read_a_fixed_number_of_queries(world, ian):
    small = grant(world, ian, scope="review", review_size=1)
    whole = grant(world, User.objects.create_user("peer_pat"))
    assert whole.cases.count() == 0
    assert reads.sampled_cases_of(whole).count() > 3
    assert _queries(web(ian), f"/external/{small.pk}/") == _queries(
        web(whole.person), f"/external/{whole.pk}/"
    )
    admin = web(world.people["admin_ada"])
    few = _queries(admin, "/external-access/")
    for number in range(4):
        grant(world, User.objects.create_user(f"peer_{number}"))
    assert _queries(admin, "/external-access/") == few


def test_the_standalone_script_rechecks_a_review_from_the_api(world, ian, tmp_path):
    """What the API gives of a review is enough for internal audit's own script."""
    import subprocess
    import sys

    from audits.core.sampling import verify_script_text

    access = grant(world, ian, scope="review", review_size=3)
    review = api(world.people["admin_ada"]).get(f"/api/v1/external-access/{access.pk}/")
    review = review.json()["review"]
    script = tmp_path / "verify_sample.py"
    script.write_text(verify_script_text())
    frame = tmp_path / "frame.csv"
    frame.write_text("case_ref,stratum\n" + "".join(f"{ref},review\n" for ref in review["frame"]))
    drawn = tmp_path / "sample.csv"

    def run(cases) -> int:
        rows = "".join(f"review,{c['rank']},{c['case_ref']}\n" for c in cases)
        drawn.write_text("stratum,rank,case_ref\n" + rows)
        command = [sys.executable, "-I", str(script), str(frame), str(drawn)]
        command += ["--frame-hash", review["frame_hash"], "--seed", review["seed"]]
        command += ["--server-random", review["server_random"], "--witness-input", ""]
        return subprocess.run(command, capture_output=True, check=False).returncode

    assert run(review["cases"]) == 0
    swapped = [dict(review["cases"][0], case_ref=review["cases"][1]["case_ref"])]
    assert run(swapped + review["cases"][1:]) == 1
