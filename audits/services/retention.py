"""The retention purge: delete what is past its retention period, unless held.

History (Event, AccessLog) is never deleted by the application itself. On PostgreSQL it goes
through caseassure_retention_purge (migration 0002_postgresql), a function that runs as the
tables' owner and applies the rule below, because the runtime role may not delete history.
The embedded SQLite default applies the same rule here.
"""

import json
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audits.models import (
    AccessLog,
    Action,
    Case,
    Event,
    Evidence,
    RetentionPolicy,
    SampledCase,
)
from audits.selectors.frames import months_before
from audits.services.evidence import evidence_purge
from audits.services.history import event_record

HISTORY_TYPES = (RetentionPolicy.RecordType.ACCESS_LOG, RetentionPolicy.RecordType.EVENT)
# History younger than this is kept whatever a retention policy says (as in the database
# function), so the purge cannot be turned into a way to wipe recent history.
HISTORY_MINIMUM_MONTHS = 12


def policies() -> dict[str, RetentionPolicy]:
    found = {p.record_type: p for p in RetentionPolicy.objects.all()}
    for record_type, months in RetentionPolicy.DEFAULT_MONTHS.items():
        found.setdefault(record_type, RetentionPolicy(record_type=record_type, months=months))
    return found


def _held_case_ids():
    return Case.objects.filter(legal_hold=True).values_list("pk", flat=True)


def _kept_months(policy: RetentionPolicy) -> int:
    if policy.record_type in HISTORY_TYPES:
        return max(policy.months, HISTORY_MINIMUM_MONTHS)
    return policy.months


def _candidates(policy: RetentionPolicy, today):
    cutoff = months_before(today, _kept_months(policy))
    held_cases = [str(pk) for pk in _held_case_ids()]
    about_held_case = Q(object_type="case", object_id__in=held_cases)
    if policy.record_type == RetentionPolicy.RecordType.ACCESS_LOG:
        return AccessLog.objects.filter(at__date__lt=cutoff).exclude(about_held_case)
    if policy.record_type == RetentionPolicy.RecordType.EVENT:
        return Event.objects.filter(at__date__lt=cutoff).exclude(about_held_case)
    if policy.record_type == RetentionPolicy.RecordType.EVIDENCE:
        # Kept, whatever its age, while the audit's or the action's case is on legal hold.
        return Evidence.objects.filter(uploaded_at__date__lt=cutoff).exclude(
            Q(audit__assignment__sampled_case__case__legal_hold=True)
            | Q(action__case__legal_hold=True)
        )
    return (
        Case.objects.filter(closed_on__lt=cutoff, legal_hold=False)
        .exclude(pk__in=SampledCase.objects.values("case_id"))
        .exclude(pk__in=Action.objects.values("case_id"))
    )


def _history_in_database(*, dry_run: bool, as_of) -> dict[str, dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT caseassure_retention_purge(%s, %s)", [dry_run, as_of])
        report = cursor.fetchone()[0]
    return json.loads(report) if isinstance(report, str) else report


def _purge_one(policy: RetentionPolicy, *, dry_run: bool, today) -> dict:
    entry = {"months": _kept_months(policy), "legal_hold": policy.legal_hold, "deleted": 0}
    if not policy.legal_hold:
        candidates = _candidates(policy, today)
        entry["deleted"] = candidates.count()
        if not dry_run and entry["deleted"]:
            if policy.record_type == RetentionPolicy.RecordType.EVIDENCE:
                evidence_purge(candidates)  # the files go with their rows
            else:
                # A raw delete: history rows refuse Model.delete() by design.
                candidates._raw_delete(candidates.db)
    return entry


def _purge(*, dry_run: bool, as_of) -> dict[str, dict]:
    found = policies()
    report: dict[str, dict] = {}
    if connection.vendor == "postgresql":
        report.update(_history_in_database(dry_run=dry_run, as_of=as_of))
    for record_type, policy in found.items():
        if record_type not in report:
            report[record_type] = _purge_one(policy, dry_run=dry_run, today=as_of)
    return dict(sorted(report.items()))


def retention_purge(*, dry_run: bool, actor=None) -> dict[str, dict]:
    """Per record type: the retention period applied, whether held, and how many records are
    (or, in a dry run, would be) deleted."""
    today = timezone.localdate()
    with transaction.atomic():
        report = _purge(dry_run=dry_run, as_of=today)
        if not dry_run:
            event_record(
                actor=actor,
                verb="retention.purged",
                object_type="retention",
                object_id=str(today),
                after=report,
            )
    return report


def retention_due_soon(days: int = 30) -> dict[str, int]:
    """How many records the purge would take within ``days`` (for the dry-run report)."""
    later = timezone.localdate() + timedelta(days=days)
    with transaction.atomic():
        report = _purge(dry_run=True, as_of=later)
    return {record_type: entry["deleted"] for record_type, entry in report.items()}
