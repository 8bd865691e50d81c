"""A report's content read and computed (no file, no row written): the inputs and details
from the selectors, the figures from the pure core, and the report hash over all three.

Also the report's *fingerprint*: a few aggregates over the rows the report covers (how many,
their versions, the newest change), read in a handful of queries. It is stored with the
report, so "has the data changed since?" compares two fingerprints instead of compiling the
whole report again inside a request.
"""

import hashlib
import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max, Q, Sum

from audits.core import sampling
from audits.core.figures import appendix, compute_figures
from audits.core.opinion import OpinionThresholds
from audits.core.responses import response_figures
from audits.models import (
    Action,
    Assignment,
    Audit,
    AuditSummary,
    Cycle,
    DomainGrade,
    Escalation,
    PractitionerResponse,
    Reconciliation,
    SampledCase,
    Staff,
    Team,
)
from audits.models.opinion import opinion_thresholds
from audits.selectors import snapshot
from audits.selectors.report_appendix import audit_rows, sampled_rows
from audits.selectors.report_inputs import report_inputs, report_setting
from audits.selectors.report_responses import response_inputs
from audits.selectors.sample_record import sample_verify


def canonical_hash(data) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def report_build(
    cycle: Cycle, as_of: datetime, thresholds: OpinionThresholds | None = None
) -> tuple[dict, str, list[dict], str]:
    """Inputs -> figures with the appendix, and the report hash over the inputs, the
    details (every audit's and sampled case's row) and the figures; plus the CSV rows and
    the fingerprint of the same moment. The opinion uses ``thresholds``, by default the
    organisation's thresholds now."""
    with snapshot.one_snapshot():  # figures, rows, hash and fingerprint of the same moment
        inputs = report_inputs(cycle, as_of)
        verify = sample_verify(cycle=cycle) if hasattr(cycle, "frame") else {}
        rows = audit_rows(cycle)
        responses = response_inputs(cycle, as_of)
        details = {"audits": rows, "sampled": sampled_rows(cycle), "responses": responses}
        fingerprint = report_fingerprint(cycle)
    figures = compute_figures(
        inputs,
        verify={k: verify.get(k) for k in ("command", "script")},
        thresholds=thresholds or opinion_thresholds(),
    )
    figures["appendix"] = appendix(rows)
    figures["practitioner_responses"] = response_figures(responses)
    report_hash = canonical_hash({"inputs": inputs, "details": details, "figures": figures})
    return figures, report_hash, rows, fingerprint


def _totals(queryset, **aggregates) -> dict:
    return queryset.order_by().aggregate(rows=Count("pk"), **aggregates)


def report_fingerprint(cycle: Cycle) -> str:
    """SHA-256 over what a report on ``cycle`` is computed from, cheaply: the cycle's
    definition, form and frame as they are (small), and for the many rows -- audits,
    summaries, domain grades, sampled cases, their cases, assignments, escalations and
    actions of the cycle, and the audits of earlier cycles (the trend) -- their count with
    their versions or newest change (reconciliations and practitioners' responses too).
    Every change the services make to those rows moves one of these: saving, submitting,
    moderating or withdrawing an audit raises its version; drawing, extending or replacing
    adds sampled cases; importing a case stamps its ``updated_at``. Names shown in the
    report (teams, auditors' staff refs) are taken whole; they are few."""
    cycle = Cycle.objects.select_related("frame", "template").get(pk=cycle.pk)
    audits = Audit.objects.filter(assignment__sampled_case__cycle=cycle)
    earlier = Q(assignment__sampled_case__cycle__period_end__lt=cycle.period_start)
    sampled = SampledCase.objects.filter(cycle=cycle)
    replaced = Count("pk", filter=Q(status=SampledCase.Status.REPLACED))
    acknowledged = Count("pk", filter=Q(acknowledged_at__isnull=False))
    parts = {
        "setting": report_setting(cycle),
        "audits": _totals(audits, versions=Sum("version"), newest=Max("updated_at")),
        "earlier_audits": _totals(Audit.objects.filter(earlier), versions=Sum("version")),
        "earlier_summaries": _totals(
            AuditSummary.objects.filter(cycle__period_end__lt=cycle.period_start), last=Max("pk")
        ),
        "summaries": _totals(AuditSummary.objects.filter(cycle=cycle), last=Max("pk")),
        "domain_grades": _totals(DomainGrade.objects.filter(cycle=cycle), last=Max("pk")),
        "sampled": _totals(
            sampled, last=Max("pk"), replaced=replaced, cases_changed=Max("case__updated_at")
        ),
        "assignments": _totals(
            Assignment.objects.filter(sampled_case__cycle=cycle),
            last=Max("pk"),
            auditors=Sum("auditor_id"),
        ),
        "escalations": _totals(
            Escalation.objects.filter(audit__assignment__sampled_case__cycle=cycle),
            last=Max("pk"),
            acknowledged=acknowledged,
        ),
        "actions": sorted(
            Action.objects.filter(audit__assignment__sampled_case__cycle=cycle).values_list(
                "pk", "priority", "status", "due_date", "done_at"
            )
        ),
        # A reconciliation agreed rewrites a summary in place; a response adds a row.
        "reconciliations": _totals(
            Reconciliation.objects.filter(sampled_case__cycle=cycle),
            last=Max("pk"),
            agreed=Max("agreed_at"),
        ),
        "responses": _totals(
            PractitionerResponse.objects.filter(audit__assignment__sampled_case__cycle=cycle),
            last=Max("pk"),
        ),
        "teams": sorted(Team.objects.values_list("pk", "name")),
        "auditors": sorted(
            Staff.objects.filter(assignments__sampled_case__cycle=cycle)
            .values_list("pk", "staff_ref")
            .distinct()
        ),
        "verify_script": hashlib.sha256(sampling.verify_script_text().encode()).hexdigest(),
    }
    return canonical_hash(parts)
