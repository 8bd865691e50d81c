"""The report's figures on practitioners' responses: the rate counts an audit once it was
answered or its time to respond ended; "not measured" when none can be counted; every
disagreement listed with its reason in the JSON, the PDF and the assurance summaries."""

import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from audits.core.responses import response_figures
from audits.models import Moderation
from audits.services import reports
from audits.services.responses import response_record
from tests import scope_world
from worker.compile import report_compile


def audit(number, *, closed=False, responses=()):
    return {
        "audit": number,
        "case_ref": f"C{number}",
        "window_closed": closed,
        "responses": [{"verdict": v, "held_as": "worker", "comment": c} for v, c in responses],
    }


def test_no_audit_to_count_is_not_measured_rather_than_zero():
    figures = response_figures([audit(1), audit(2)])
    assert figures["rate"] is None
    assert (figures["counted"], figures["awaiting"]) == (0, 2)
    assert response_figures([])["rate"] is None


def test_an_unanswered_audit_counts_once_its_window_has_closed():
    figures = response_figures(
        [audit(1, closed=True), audit(2, responses=[("agree", "")]), audit(3)]
    )
    assert (figures["answered"], figures["counted"], figures["awaiting"]) == (1, 2, 1)
    assert figures["rate"] == 0.5


def test_disagreements_are_listed_with_their_reasons():
    figures = response_figures(
        [
            audit(2, responses=[("disagree", "Plan was on time"), ("agree", "")]),
            audit(1, closed=True, responses=[("agree_with_comments", "Fair")]),
        ]
    )
    assert figures["verdicts"] == {"agree": 1, "agree_with_comments": 1, "disagree": 1}
    assert figures["disagreement_count"] == 1
    assert figures["disagreements"] == [
        {"audit": 2, "case_ref": "C2", "held_as": "worker", "reason": "Plan was on time"}
    ]


def test_the_compiled_report_carries_the_responses_everywhere(db):
    world = scope_world.build()
    final = world.extra["final"]
    response_record(
        actor=world.people["prac_wes"],
        audit=final,
        verdict="disagree",
        comment="The chronology was up to date",
    )
    job = reports.report_request(cycle=world.cycles["south"], actor=world.people["two_tom"])
    report = report_compile(job.pk, "responses")
    found = report.figures["practitioner_responses"]
    assert (found["answered"], found["counted"], found["rate"]) == (1, 1, 1.0)
    assert found["disagreements"][0]["reason"] == "The chronology was up to date"
    pdf = reports.report_file_bytes(report, "pdf")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Practitioners' responses" in text
    assert "Response rate: 100%" in text
    assert "The chronology was up to date" in text
    client = APIClient()
    client.force_authenticate(world.people["ia_ivy"])
    rows = client.get(reverse("api:assurance-summaries")).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    south = next(r for r in rows if r["cycle"] == world.cycles["south"].pk)
    assert south["key_figures"]["practitioner_response_rate"] == 1.0
    assert south["key_figures"]["practitioner_disagreements"] == 1


def test_a_report_of_a_cycle_with_no_response_due_yet_says_not_measured(db):
    world = scope_world.build()
    assert world.report.figures["practitioner_responses"]["rate"] is None
    # Once the window has closed without an answer, the audit counts: 0 of 1.
    Moderation.objects.filter(audit=world.extra["final"]).update(
        at=timezone.now() - timedelta(days=40)
    )
    job = reports.report_request(cycle=world.cycles["south"], actor=world.people["two_tom"])
    report = report_compile(job.pk, "late")
    assert report.figures["practitioner_responses"]["rate"] == 0.0
