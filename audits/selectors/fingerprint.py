"""What a report's fingerprint is computed from (``report_build.report_fingerprint``): the
cycle's definition, form and frame as they are (small), and for the many rows -- audits,
summaries, domain grades, sampled cases, their cases, assignments, escalations and actions
of the cycle, and the audits of earlier cycles (the trend) -- their count with their
versions or newest change (reconciliations and practitioners' responses too).

Every change the services make to those rows moves one of these: saving, submitting,
moderating or withdrawing an audit raises its version; drawing, extending or replacing adds
sampled cases; importing a case stamps its ``updated_at``. Names shown in the report (teams,
auditors' staff refs) are taken whole; they are few.

The dashboard reads the fingerprint at every view (``live_figures``). The cycle comes with
its frame, its teams and the name of who drew it (2 queries, not 6). Each count is its own
query, compiled once per process (``compiled.py``): all of them as subqueries of one row
(tried) made PostgreSQL plan for 8 ms and the ORM compile for 20 ms, against some 0.3 ms a
query for the 11 apart (bench/pages.py, 100,000 cases, on this shared 2-core machine).
"""

import functools
import hashlib

from django.db import router
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value

from audits.core.sampling import verify_script_text
from audits.models import (
    Action,
    Assignment,
    Audit,
    AuditSummary,
    Case,
    Cycle,
    DomainGrade,
    Escalation,
    ExternalAccess,
    PractitionerResponse,
    Reconciliation,
    SampledCase,
    Staff,
    Team,
)
from audits.selectors.compiled import Compiled, rows_of_all
from audits.selectors.report_inputs import report_setting

CASE_CHANGED = Subquery(
    Case.objects.filter(pk=OuterRef("case_id")).order_by().values("updated_at")[:1]
)


def _counted(CYCLE: int) -> dict[str, tuple]:
    """Each counted part: (its rows, {name: aggregate}); every part also counts its rows."""
    # Cycles that ended before this one began: the trend.
    EARLIER = Subquery(Cycle.objects.filter(pk=CYCLE).values("period_start"))
    return {
        "audits": (
            Audit.objects.filter(assignment__sampled_case__cycle=CYCLE),
            {"versions": Sum("version"), "newest": Max("updated_at")},
        ),
        "earlier_audits": (
            Audit.objects.filter(assignment__sampled_case__cycle__period_end__lt=EARLIER),
            {"versions": Sum("version")},
        ),
        "earlier_summaries": (
            AuditSummary.objects.filter(cycle__period_end__lt=EARLIER),
            {"last": Max("pk")},
        ),
        "summaries": (AuditSummary.objects.filter(cycle=CYCLE), {"last": Max("pk")}),
        "domain_grades": (DomainGrade.objects.filter(cycle=CYCLE), {"last": Max("pk")}),
        "sampled": (
            SampledCase.objects.filter(cycle=CYCLE),
            {
                "last": Max("pk"),
                "replaced": Count("pk", filter=Q(status=SampledCase.Status.REPLACED)),
                # Each case's stamp read by its key: joined, PostgreSQL hashed a scan of
                # the whole register for a 2,000-case cycle (10 ms against 4 ms on the
                # pages bench); the same maximum either way (tests/test_fingerprint.py).
                "cases_changed": Max(CASE_CHANGED),
            },
        ),
        "assignments": (
            Assignment.objects.filter(sampled_case__cycle=CYCLE),
            {"last": Max("pk"), "auditors": Sum("auditor_id")},
        ),
        "escalations": (
            Escalation.objects.filter(audit__assignment__sampled_case__cycle=CYCLE),
            {
                "last": Max("pk"),
                "acknowledged": Count("pk", filter=Q(acknowledged_at__isnull=False)),
            },
        ),
        # A reconciliation agreed rewrites a summary in place; a response adds a row.
        "reconciliations": (
            Reconciliation.objects.filter(sampled_case__cycle=CYCLE),
            {"last": Max("pk"), "agreed": Max("agreed_at")},
        ),
        "responses": (
            PractitionerResponse.objects.filter(audit__assignment__sampled_case__cycle=CYCLE),
            {"last": Max("pk")},
        ),
        # Grants of external access (the section lists them); their reads are counted up to
        # the report's moment and do not make it stale.
        "external_access": (
            ExternalAccess.objects.filter(cycle=CYCLE),
            {"last": Max("pk"), "changed": Max("updated_at")},
        ),
    }


def _cycle(cycle_pk: int) -> Cycle:
    """The cycle with what ``report_setting`` reads of it: its frame and who drew it (with
    their name in the register), its form and its teams; two queries."""
    drawn_by_name = Staff.objects.filter(user=OuterRef("frame__drawn_by")).values("name")[:1]
    return (
        Cycle.objects.select_related("frame__drawn_by", "template")
        # Not part of the setting: the draw's reserve (tens of kilobytes of JSON on a big
        # cycle) and the form's questions, decoded on every dashboard view for nothing.
        .defer("frame__reserve", "template__definition", "template__description")
        .prefetch_related("teams")
        .annotate(fp_drawn_by_staff_name=Subquery(drawn_by_name))
        .get(pk=cycle_pk)
    )


def _totals_query(part: str) -> Compiled:
    """The part's count and aggregates as one row, as ``aggregate()`` gives them (grouped by
    a constant: no GROUP BY, so an empty set still gives its row)."""

    def build(key: int) -> QuerySet:
        rows, aggregates = _counted(key)[part]
        whole = rows.order_by().annotate(whole=Value(1)).values("whole")
        return whole.annotate(rows=Count("pk"), **aggregates).values_list("rows", *aggregates)

    return Compiled(build)


TOTALS = {part: _totals_query(part) for part in _counted(0)}
NAMES = {part: ("rows", *aggregates) for part, (_rows, aggregates) in _counted(0).items()}
ACTIONS = Compiled(
    lambda key: Action.objects.filter(audit__assignment__sampled_case__cycle=key).values_list(
        "pk", "priority", "status", "due_date", "done_at"
    )
)
AUDITORS = Compiled(
    lambda key: (
        Staff.objects.filter(assignments__sampled_case__cycle=key)
        .values_list("pk", "staff_ref")
        .distinct()
    )
)


TEAMS = Compiled(lambda key: Team.objects.values_list("pk", "name"), keyed=False)


def fingerprint_parts(cycle: Cycle) -> dict:
    """The parts the fingerprint hashes (the same parts and values as ``aggregate()`` and
    ``values_list()`` give: tests/test_fingerprint.py)."""
    using = router.db_for_read(Cycle)
    cycle = _cycle(cycle.pk)
    *totals, actions, teams, auditors = rows_of_all(
        [*TOTALS.values(), ACTIONS, TEAMS, AUDITORS], cycle.pk, using
    )
    return {
        "setting": report_setting(cycle),
        **{
            part: dict(zip(NAMES[part], values, strict=True))
            for part, (values,) in zip(TOTALS, totals, strict=True)
        },
        "actions": sorted(actions),
        "teams": sorted(teams),
        "auditors": sorted(auditors),
        "verify_script": _verify_script_hash(),
    }


@functools.cache
def _verify_script_hash() -> str:
    """The published re-check script's SHA-256 (a file of the installed code: read once)."""
    return hashlib.sha256(verify_script_text().encode()).hexdigest()
