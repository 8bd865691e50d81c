"""A report compile holds one page of the appendix at a time, not the whole cycle: the
memory the worker's process allocates while compiling stays under a ceiling, and does not
grow with the number of audits (the worker is restarted above CELERY_MAX_MEMORY_KB, so a
compile that grows with the cycle fails on the largest councils).

The audits are copied in bulk from a cycle built through the services (submitting
thousands through the services would take minutes); the compile is the worker's own.
"""

import tracemalloc

import pytest

from audits.models import Assignment, Audit, Case, SampledCase
from audits.selectors.report_appendix import AuditRows
from audits.selectors.report_build import _canonical, canonical_hash, canonical_hash_streamed
from audits.services import reports
from tests.builders import finished_cycle
from tests.conftest import use_local_files
from worker.compile import report_compile

# What a compile may allocate at its peak (Python objects, measured by tracemalloc in the
# process that compiles): about 7 MB. Before the rows were streamed the peak grew by about
# 7 KB per audit (a list of every audit's row, the appendix in the figures, the PDF's
# tables, whole audits read for the responses): 22 MB at 2,000 and 330 MB at 50,000.
CEILING_MB = 12


def more_audits(cycle, count: int) -> None:
    """``count`` more final audits in ``cycle``, each a copy of one already there, on new
    cases of the same teams."""
    model = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, status=Audit.Status.FINAL
    ).select_related("assignment__sampled_case__case")[0]
    sampled, case = model.assignment.sampled_case, model.assignment.sampled_case.case
    start = Case.objects.count()
    cases = Case.objects.bulk_create(
        Case(
            case_ref=f"M{start + number:06d}",
            team_id=case.team_id,
            case_type=case.case_type,
            opened_on=case.opened_on,
        )
        for number in range(count)
    )
    sampled_cases = SampledCase.objects.bulk_create(
        SampledCase(cycle=cycle, case=new, stratum=sampled.stratum, rank=10_000 + start + number)
        for number, new in enumerate(cases)
    )
    assignments = Assignment.objects.bulk_create(
        Assignment(sampled_case=new, auditor_id=model.assignment.auditor_id, role="primary")
        for new in sampled_cases
    )
    Audit.objects.bulk_create(
        Audit(
            assignment=new,
            template_id=model.template_id,
            status=model.status,
            answers=model.answers,
            overall_grade=model.overall_grade,
            themes=model.themes,
        )
        for new in assignments
    )


def compile_peak(cycle, lead) -> float:
    """The peak of what the compile allocates, in MB, and its report."""
    job = reports.report_request(cycle=cycle, actor=lead)
    tracemalloc.start()
    try:
        report = report_compile(job.pk, f"task-{job.pk}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report is not None
    return peak / 2**20


@pytest.mark.django_db
def test_a_report_on_thousands_of_audits_compiles_under_a_memory_ceiling(settings, tmp_path):
    use_local_files(settings, tmp_path)
    cycle = finished_cycle()
    lead = cycle.created_by
    more_audits(cycle, 700)
    smaller = compile_peak(cycle, lead)
    more_audits(cycle, 1_400)
    larger = compile_peak(cycle, lead)
    assert larger < CEILING_MB, f"{larger:.1f} MB at 2,100 audits"
    # Flat in the number of audits: three times the audits, about the same peak.
    assert larger < smaller * 1.3 + 1, f"{smaller:.1f} MB at 700, {larger:.1f} MB at 2,100"


def test_the_streamed_hash_is_the_hash_of_the_whole():
    rows = [{"case_ref": f"C{n}", "grades": {"b": n, "a": [n, None]}} for n in range(5)]
    whole = {"inputs": {"x": 1}, "details": {"audits": rows, "sampled": [], "other": "y"}}
    standing_in = {"inputs": {"x": 1}, "details": {"audits": "\0a", "sampled": "\0s", "other": "y"}}
    streamed = canonical_hash_streamed(standing_in, {"\0a": iter(rows), "\0s": iter([])})
    assert streamed == canonical_hash(whole)
    assert streamed != canonical_hash_streamed(standing_in, {"\0a": iter(rows[1:]), "\0s": []})


def test_rows_kept_as_their_canonical_text_hash_the_same_and_read_back_the_same():
    """The compile encodes each audit row once, for its file and for the hash."""
    rows = [{"case_ref": f"C{n}", "themes": ["é\nx"], "grades": {"b": n}} for n in range(5)]
    whole = {"details": {"audits": rows}}
    kept = AuditRows()
    try:
        streamed = canonical_hash_streamed(
            {"details": {"audits": "\0a"}},
            {"\0a": kept.kept(iter(rows), _canonical)},
            encoded=["\0a"],
        )
        assert streamed == canonical_hash(whole)
        assert list(kept) == rows
        assert len(kept) == 5
    finally:
        kept.close()
