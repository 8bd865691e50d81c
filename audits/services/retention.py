"""The retention purge: delete what is past its retention period, unless held."""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audits.frames import months_before
from audits.models import AccessLog, Action, Case, Event, RetentionPolicy, SampledCase
from audits.services.history import event_record


def policies() -> dict[str, RetentionPolicy]:
    found = {p.record_type: p for p in RetentionPolicy.objects.all()}
    for record_type, months in RetentionPolicy.DEFAULT_MONTHS.items():
        found.setdefault(record_type, RetentionPolicy(record_type=record_type, months=months))
    return found


def _held_case_ids():
    return Case.objects.filter(legal_hold=True).values_list("pk", flat=True)


def _candidates(policy: RetentionPolicy, today):
    cutoff = months_before(today, policy.months)
    held_cases = [str(pk) for pk in _held_case_ids()]
    about_held_case = Q(object_type="case", object_id__in=held_cases)
    if policy.record_type == RetentionPolicy.RecordType.ACCESS_LOG:
        return AccessLog.objects.filter(at__date__lt=cutoff).exclude(about_held_case)
    if policy.record_type == RetentionPolicy.RecordType.EVENT:
        return Event.objects.filter(at__date__lt=cutoff).exclude(about_held_case)
    return (
        Case.objects.filter(closed_on__lt=cutoff, legal_hold=False)
        .exclude(pk__in=SampledCase.objects.values("case_id"))
        .exclude(pk__in=Action.objects.values("case_id"))
    )


def retention_purge(*, dry_run: bool, actor=None) -> dict[str, dict]:
    """Per record type: the retention period, whether held, and how many records are (or,
    in a dry run, would be) deleted."""
    today = timezone.localdate()
    report: dict[str, dict] = {}
    with transaction.atomic():
        if connection.vendor == "postgresql" and not dry_run:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL caseassure.purge = 'on'")
        for record_type, policy in sorted(policies().items()):
            entry = {"months": policy.months, "legal_hold": policy.legal_hold, "deleted": 0}
            if not policy.legal_hold:
                candidates = _candidates(policy, today)
                entry["deleted"] = candidates.count()
                if not dry_run and entry["deleted"]:
                    # A raw delete: history rows refuse Model.delete() by design.
                    candidates._raw_delete(candidates.db)
            report[record_type] = entry
        if not dry_run:
            event_record(actor=actor, verb="retention.purged", object_type="retention",
                         object_id=str(today), after=report)  # fmt: skip
    return report


def retention_due_soon(days: int = 30) -> dict[str, int]:
    """How many records the purge would take within ``days`` (for the dry-run report)."""
    later = timezone.localdate() + timedelta(days=days)
    return {
        record_type: 0 if policy.legal_hold else _candidates(policy, later).count()
        for record_type, policy in sorted(policies().items())
    }
