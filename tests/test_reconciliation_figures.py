"""A reconciled double audit in the report: the grade figures count the agreed grades,
reliability the auditors' own; an open one is a caveat and counts with the first audit's."""

from django.utils import timezone

from audits.models import Reconciliation
from audits.selectors.report_appendix import audit_rows
from audits.selectors.report_build import report_build
from audits.services.reconciliation import reconciliation_agree
from tests.test_audits_api import FULL
from tests.test_reconciliation import GOOD, RI, pair, submit  # noqa: F401 (fixture)


def figures_of(cycle):
    figures, _, rows, _ = report_build(cycle, timezone.now())
    return figures, rows


def disagree(people, pair, client_for):  # noqa: F811
    submit(client_for(people["auditor_alice"]), pair["first"], GOOD)
    lower = {**FULL, "plan_smart": 2, "plan_progress": 2}
    submit(client_for(pair["carol"]), pair["second"], RI, answers=lower)
    return Reconciliation.objects.get()


def test_an_open_reconciliation_counts_the_first_grades_and_is_a_caveat(
    people,
    pair,  # noqa: F811
    client_for,
):
    disagree(people, pair, client_for)
    figures, _ = figures_of(pair["sampled"].cycle)
    assert figures["findings"]["grade_distribution"]["3"] == 1
    assert figures["reconciliation"] == {
        "double_audits": 1,
        "agreed_at_once": 0,
        "disagreed": 1,
        "reconciled": 0,
        "open": 1,
        "caveat": figures["reconciliation"]["caveat"],
    }
    assert "1 double audit still awaits agreed grades" in figures["opinion"]["caveats"][-1]


def test_the_agreed_grades_are_counted_and_reliability_keeps_the_independent_ones(
    people,
    pair,  # noqa: F811
    client_for,
):
    reconciliation = disagree(people, pair, client_for)
    cycle = pair["sampled"].cycle
    before, _ = figures_of(cycle)
    reconciliation_agree(
        reconciliation=reconciliation,
        actor=people["qa_lead_quinn"],
        overall_grade=RI,
        domain_grades={"Planning": RI},
        reason="The plan has no dates.",
    )
    after, rows = figures_of(cycle)
    assert before["findings"]["grade_distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0}
    assert after["findings"]["grade_distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0}
    assert after["summary"]["good_or_better"]["estimate"] == 0
    planning = next(d for d in after["findings"]["by_domain"] if d["domain"] == "Planning")
    assert planning["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0}
    risk = next(d for d in after["findings"]["by_domain"] if d["domain"] == "Risk")
    assert risk["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0}
    # Reliability is measured on what each auditor gave, blind: unchanged.
    assert after["reliability"]["double_audits"] == before["reliability"]["double_audits"] == 1
    assert (
        after["reliability"]["alpha_by_domain_pairs"]
        == (before["reliability"]["alpha_by_domain_pairs"])
    )
    assert (after["reconciliation"]["reconciled"], after["reconciliation"]["open"]) == (1, 0)
    assert not any("await" in caveat for caveat in after["opinion"]["caveats"])
    first = next(row for row in rows if row["role"] == "primary")
    assert (first["overall_grade"], first["reconciled_grade"], first["final_grade"]) == (3, 2, 2)
    assert first["domain_grades"]["Planning"] == RI
    assert audit_rows(cycle) == rows


def test_the_pdf_and_the_assurance_summaries_report_the_reconciliations(
    people,
    pair,  # noqa: F811
    client_for,
):
    import io

    from pypdf import PdfReader

    from audits.models import ReportJob
    from worker.compile import report_compile
    from worker.report_pdf import render_pdf

    disagree(people, pair, client_for)
    cycle = pair["sampled"].cycle
    figures, _ = figures_of(cycle)
    stream = io.BytesIO()
    render_pdf(figures, stream)
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(stream.getvalue())).pages
    )
    assert "Reconciling double audits" in text
    assert "A grade or more apart (overall or an area) 1" in text
    assert "Still waiting for agreed grades 1" in text
    job = ReportJob.objects.create(
        cycle=cycle, requested_by=people["qa_lead_quinn"], as_of=timezone.now()
    )
    report_compile(job.pk, "reconciliation")
    summaries = client_for(people["internal_ian"]).get("/api/v1/assurance-summaries/").json()
    rows = summaries["results"] if isinstance(summaries, dict) else summaries
    assert rows[0]["reconciliation"] == {
        "double_audits": 1,
        "agreed_at_once": 0,
        "disagreed": 1,
        "reconciled": 0,
        "open": 1,
    }
    assert any("awaits agreed grades" in caveat for caveat in rows[0]["caveats"])
