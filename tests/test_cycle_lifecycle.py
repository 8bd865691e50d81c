"""Findings 10 of issue 12: a replaced case's audit is withdrawn (it cannot be saved or
submitted and counts nowhere), and a manager closes a cycle, after which its audits cannot
be saved, submitted or moderated."""

from datetime import date

import pytest
from django.test import Client

from audits.models import Audit, Case, Cycle, Event, Staff, Template
from audits.selectors.report_appendix import audit_rows
from audits.selectors.report_inputs import report_inputs
from audits.services import assignment, sample
from tests.builders import known_server_random
from tests.test_audits_api import FULL


@pytest.fixture
def cycle(people, teams):
    cp = teams["Child Protection One"]
    worker = Staff.objects.create(staff_ref="SW1", name="Sam Worker", team=cp)
    for ref in range(1001, 1021):
        Case.objects.create(
            case_ref=str(ref), team=cp, case_type="cp", opened_on=date(2025, 1, 1), worker=worker
        )
    lead = people["qa_lead_quinn"]
    cycle = Cycle.objects.create(
        name="Q3 CP",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        template=Template.objects.get(status="published"),
        moderation_share=1,
        second_share=0,
        plan={"method": "fixed", "n": 3, "allocation": "proportional", "minimum": 0},
        created_by=lead,
    )
    cycle.teams.set([cp])
    with known_server_random("LA-QA-2025-06"):
        sample.sample_draw(cycle=cycle, actor=lead)
    assignment.cycle_assign(cycle=cycle, actor=lead)
    return cycle


def alices(cycle):
    return list(Audit.objects.filter(assignment__sampled_case__cycle=cycle).order_by("pk"))


def url(audit, suffix=""):
    return f"/api/v1/audits/{audit.pk}/{suffix}"


def save(client, audit, **body):
    version = client.get(url(audit)).json()["version"]
    return client.patch(url(audit), {"version": version, **body}, format="json")


# --- Withdrawn audits ------------------------------------------------------------------------
def replace(client, audit, reason="Case transferred to another council"):
    sampled = audit.assignment.sampled_case_id
    return client.post(f"/api/v1/sampled-cases/{sampled}/replace/", {"reason": reason})


def test_a_replaced_cases_audit_is_withdrawn_and_cannot_be_saved_or_submitted(
    people, cycle, client_for
):
    alice, quinn = client_for(people["auditor_alice"]), client_for(people["qa_lead_quinn"])
    audit = alices(cycle)[0]
    assert replace(quinn, audit).status_code == 201
    audit.refresh_from_db()
    assert audit.status == "withdrawn"
    assert audit.withdrawn_reason == "Case transferred to another council"
    event = Event.objects.get(verb="audit.withdrawn", object_id=str(audit.pk))
    assert event.reason == "Case transferred to another council"

    shown = alice.get(url(audit)).json()
    assert (shown["status"], shown["withdrawn_reason"]) == (
        "withdrawn",
        "Case transferred to another council",
    )
    saved = alice.patch(url(audit), {"version": audit.version, "answers": FULL}, format="json")
    assert saved.status_code == 409
    assert "withdrawn" in saved.json()["detail"]
    submitted = alice.post(url(audit, "submit/"), {"version": audit.version}, format="json")
    assert submitted.status_code == 409
    audit.refresh_from_db()
    assert (audit.status, audit.answers) == ("withdrawn", {})


def test_a_withdrawn_audit_counts_in_no_report_row_or_figure(people, cycle, client_for):
    quinn = client_for(people["qa_lead_quinn"])
    withdrawn, kept, _ = alices(cycle)
    replace(quinn, withdrawn)
    case_refs = {row["case_ref"] for row in audit_rows(cycle)}
    assert withdrawn.assignment.sampled_case.case.case_ref not in case_refs
    assert kept.assignment.sampled_case.case.case_ref in case_refs
    inputs = report_inputs(cycle, cycle.created_at)
    assert sum(group["audits"] for group in inputs["completed"]) == 0


def test_the_auditor_sees_the_withdrawn_audit_and_why_on_her_pages(people, cycle, client_for):
    audit = alices(cycle)[0]
    replace(client_for(people["qa_lead_quinn"]), audit, reason="Child moved out of area")
    browser = Client()
    browser.force_login(people["auditor_alice"])
    listing = browser.get("/audits/").content.decode()
    assert "Withdrawn" in listing
    assert "Child moved out of area" in listing
    page = browser.get(f"/audits/{audit.pk}/").content.decode()
    assert "withdrawn" in page
    assert "Child moved out of area" in page
    assert 'id="grading-form"' not in page
    posted = browser.post(f"/audits/{audit.pk}/", {"version": audit.version, "strengths": "x"})
    assert posted.status_code == 409


def test_replacing_a_case_whose_audit_started_is_refused(people, cycle, client_for):
    alice, quinn = client_for(people["auditor_alice"]), client_for(people["qa_lead_quinn"])
    audit = alices(cycle)[0]
    assert save(alice, audit, strengths="Clear plan").status_code == 200
    assert replace(quinn, audit).status_code == 409
    audit.refresh_from_db()
    assert audit.status == "in_progress"


# --- Closing a cycle ---------------------------------------------------------------------------
def close(client, cycle, **body):
    return client.post(f"/api/v1/cycles/{cycle.pk}/close/", body, format="json")


def test_a_manager_closes_the_cycle_and_its_audits_stop_changing(people, cycle, client_for):
    alice, quinn = client_for(people["auditor_alice"]), client_for(people["qa_lead_quinn"])
    drafting, submitted, untouched = alices(cycle)
    assert save(alice, drafting, strengths="Clear plan").status_code == 200
    assert save(alice, submitted, answers=FULL, overall_grade=3).status_code == 200
    version = alice.get(url(submitted)).json()["version"]
    response = alice.post(url(submitted, "submit/"), {"version": version}, format="json")
    assert response.json()["status"] == "submitted"  # waiting for moderation

    response = close(quinn, cycle)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    cycle.refresh_from_db()
    assert cycle.status == "closed"
    assert Event.objects.filter(verb="cycle.closed", object_id=str(cycle.pk)).exists()

    before = {a.pk: (a.status, a.version) for a in Audit.objects.all()}
    events = Event.objects.count()
    attempts = [
        save(alice, drafting, strengths="Changed after closing"),
        save(alice, untouched, strengths="Started after closing"),
        alice.post(url(drafting, "submit/"), {"version": drafting.version + 1}, format="json"),
        quinn.post(url(submitted, "moderation/"), {"decision": "agree"}, format="json"),
    ]
    assert [a.status_code for a in attempts] == [409, 409, 409, 409]
    assert "closed" in attempts[0].json()["detail"]
    assert {a.pk: (a.status, a.version) for a in Audit.objects.all()} == before
    assert Event.objects.count() == events
    assert close(quinn, cycle).status_code == 409  # already closed


def test_a_reported_cycle_refuses_changes_too(people, cycle, client_for):
    alice = client_for(people["auditor_alice"])
    Cycle.objects.filter(pk=cycle.pk).update(status="reported")
    audit = alices(cycle)[0]
    assert save(alice, audit, strengths="Too late").status_code == 409
    assert close(client_for(people["qa_lead_quinn"]), cycle).status_code == 409


def test_only_a_manager_of_the_cycle_closes_it(people, cycle, client_for):
    assert close(client_for(people["auditor_alice"]), cycle).status_code in (403, 404)
    assert close(client_for(people["outsider_eve"]), cycle).status_code in (403, 404)
    assert close(client_for(people["internal_ian"]), cycle).status_code in (403, 404)
    cycle.refresh_from_db()
    assert cycle.status == "assigned"


def test_the_cycle_page_closes_the_cycle_after_confirmation(people, cycle):
    browser = Client()
    browser.force_login(people["qa_lead_quinn"])
    page = browser.get(f"/cycles/{cycle.pk}/").content.decode()
    assert f"/cycles/{cycle.pk}/close/" in page
    browser.post(f"/cycles/{cycle.pk}/close/", {})  # not confirmed
    cycle.refresh_from_db()
    assert cycle.status == "assigned"
    response = browser.post(f"/cycles/{cycle.pk}/close/", {"confirm": "yes"}, follow=True)
    cycle.refresh_from_db()
    assert cycle.status == "closed"
    assert "closed" in response.content.decode()


def test_the_auditor_is_told_in_plain_words_that_the_cycle_is_closed(people, cycle, client_for):
    close(client_for(people["qa_lead_quinn"]), cycle)
    audit = alices(cycle)[0]
    browser = Client()
    browser.force_login(people["auditor_alice"])
    page = browser.get(f"/audits/{audit.pk}/").content.decode()
    assert "This cycle is closed" in page
    assert 'id="grading-form"' not in page
    posted = browser.post(f"/audits/{audit.pk}/", {"version": audit.version, "strengths": "x"})
    assert posted.status_code == 409
    assert "closed" in posted.content.decode()


def test_a_closed_cycle_leaves_the_home_counts_and_the_moderation_queue(people, cycle, client_for):
    alice, quinn = client_for(people["auditor_alice"]), client_for(people["qa_lead_quinn"])
    submitted = alices(cycle)[1]
    save(alice, submitted, answers=FULL, overall_grade=3)
    version = alice.get(url(submitted)).json()["version"]
    alice.post(url(submitted, "submit/"), {"version": version}, format="json")
    browser = Client()
    browser.force_login(people["qa_lead_quinn"])
    assert f"/moderation/{submitted.pk}/" in browser.get("/moderation/").content.decode()
    close(quinn, cycle)
    assert f"/moderation/{submitted.pk}/" not in browser.get("/moderation/").content.decode()
    auditor = Client()
    auditor.force_login(people["auditor_alice"])
    listing = auditor.get("/audits/").content.decode()
    assert "Not finished when the cycle closed" in listing


def test_a_withdrawn_audit_frees_its_auditors_capacity(people, cycle, client_for):
    Staff.objects.filter(user=people["auditor_alice"]).update(capacity=3)
    quinn = client_for(people["qa_lead_quinn"])
    withdrawn = alices(cycle)[0]
    replace(quinn, withdrawn)
    response = quinn.post(f"/api/v1/cycles/{cycle.pk}/assign/")
    assert response.status_code == 201, response.content
    assert response.json()["assigned"] == 1
    live = Audit.objects.filter(assignment__sampled_case__cycle=cycle).exclude(status="withdrawn")
    assert live.count() == 3
