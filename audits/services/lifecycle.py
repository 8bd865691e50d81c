"""A cycle's life after the draw: an audit is withdrawn with its replaced case, and a
manager closes the cycle. Once closed (or reported) its audits no longer change: saves,
submissions and moderation get a 409 that says why."""

from django.db import transaction

from audits.core.errors import StateConflict
from audits.core.statuses import AUDIT_UNFINISHED, CYCLE_CLOSED
from audits.models import Audit, Cycle, SampledCase
from audits.services.history import event_record

CLOSED_MESSAGE = (
    "This cycle is closed, so its audits can no longer be saved, submitted or moderated."
)


def is_closed(cycle: Cycle) -> bool:
    return cycle.status in CYCLE_CLOSED


def check_cycle_open(cycle: Cycle) -> None:
    """A 409 if ``cycle`` is closed or reported."""
    if is_closed(cycle):
        raise StateConflict(CLOSED_MESSAGE)


def check_drawn(cycle: Cycle) -> Cycle:
    """``cycle`` if its sample has been drawn; a 409 otherwise (nothing to extend, assign or
    verify before the draw)."""
    if not hasattr(cycle, "frame"):
        raise StateConflict("This cycle's sample has not been drawn yet.")
    return cycle


def withdrawn_message(audit: Audit) -> str:
    return (
        "This audit was withdrawn because its case was replaced in the sample "
        f"(reason: {audit.withdrawn_reason}). It does not count and can no longer be changed."
    )


def audits_withdraw(*, sampled_case: SampledCase, actor, reason: str) -> list[Audit]:
    """Withdraw the audits of a case leaving the sample, in the caller's transaction.
    Only audits nobody has started can go: the rows are locked first, so a save racing the
    replacement either lands before (and the replacement is refused) or finds the audit
    withdrawn."""
    audits = list(
        Audit.objects.select_for_update(of=("self",))
        .filter(assignment__sampled_case=sampled_case)
        .order_by("pk")
    )
    if any(audit.status != Audit.Status.ASSIGNED for audit in audits):
        raise StateConflict("An audit of this case has started; it cannot be replaced.")
    for audit in audits:
        audit.status = Audit.Status.WITHDRAWN
        audit.withdrawn_reason = reason
        audit.version += 1
        audit.save(update_fields=["status", "withdrawn_reason", "version", "updated_at"])
        event_record(
            actor=actor,
            verb="audit.withdrawn",
            obj=audit,
            before={"status": Audit.Status.ASSIGNED},
            after={"status": audit.status, "sampled_case": sampled_case.pk},
            reason=reason,
        )
    return audits


def cycle_close(*, cycle: Cycle, actor, reason: str = "") -> Cycle:
    """Close a cycle: from now on its audits are as they are. Unfinished audits stay
    unfinished (the report counts them as not completed)."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if is_closed(cycle):
            raise StateConflict(f"This cycle is already {cycle.get_status_display().lower()}.")
        unfinished = Audit.objects.filter(
            assignment__sampled_case__cycle=cycle, status__in=AUDIT_UNFINISHED
        ).count()
        status_before = cycle.status
        cycle.status = Cycle.Status.CLOSED
        cycle.save(update_fields=["status"])
        event_record(
            actor=actor,
            verb="cycle.closed",
            obj=cycle,
            before={"status": status_before},
            after={"status": cycle.status, "unfinished_audits": unfinished},
            reason=(reason or "").strip(),
        )
    return cycle
