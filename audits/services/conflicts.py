"""Declared conflicts of interest (rule R4 of assignment).

An auditor declares their own conflicts, with a case they have been given or with a worker.
A manager records one for any auditor against a case or a worker of the teams they manage,
and is the only one who may change or withdraw one, with a reason: otherwise an auditor could
withdraw a conflict, or move it onto someone else, to become eligible again. Every change is
an Event. A case outside the caller's scope gets the same answer as a case that does not
exist, so errors never tell which references exist.
"""

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from audits.core import roles
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.models import Case, Conflict, Staff, Team
from audits.selectors import conflict_scope
from audits.services.history import event_record

NO_CASE = (
    "There is no case {ref!r} among the cases you can name. Check the reference; for a case "
    "you have not been given, ask a manager of its team to record the conflict."
)
NO_WORKER = "There is no member of staff {ref!r} among those you can name."


def conflict_snapshot(conflict: Conflict) -> dict[str, Any]:
    return {
        "auditor": conflict.auditor.staff_ref,
        "case": conflict.case.case_ref if conflict.case_id else None,
        "worker": conflict.worker.staff_ref if conflict.worker_id else None,
        "reason": conflict.reason,
    }


def _managed_cases(actor) -> QuerySet[Case]:
    if not roles.has_role(actor, roles.MANAGER):
        return Case.objects.none()
    return Case.objects.filter(team__managers__user=actor)


def _managed_workers(actor) -> QuerySet[Staff]:
    if not roles.has_role(actor, roles.MANAGER):
        return Staff.objects.none()
    in_teams = Q(team__managers__user=actor)
    unmanaged = Team.objects.filter(cases__isnull=False).exclude(managers__user=actor)
    if not unmanaged.exists():
        # A manager of every team that holds cases (the QA lead): staff of no team too.
        in_teams |= Q(team__isnull=True)
    return Staff.objects.filter(in_teams)


def _named_case(ref: str, cases: QuerySet[Case]) -> Case:
    case = cases.filter(case_ref=ref).first()
    if case is None:
        raise DomainError("Check the case.", fields={"case": [NO_CASE.format(ref=ref)]})
    return case


def _named_worker(ref: str, workers: QuerySet[Staff]) -> Staff:
    worker = workers.filter(staff_ref=ref).first()
    if worker is None:
        raise DomainError("Check the worker.", fields={"worker": [NO_WORKER.format(ref=ref)]})
    return worker


def _one_of(case, worker) -> None:
    if (case is None) == (worker is None):
        raise DomainError(
            "Name either a case or a worker.", fields={"case": ["Name either a case or a worker."]}
        )


def _reason_given(change_reason: str | None) -> str:
    reason = (change_reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why the conflict is changed.",
            fields={"change_reason": ["required: say why the declared conflict changes"]},
        )
    return reason


def conflict_declare(
    *, actor, auditor_ref: str | None, case_ref: str | None, worker_ref: str | None, reason: str
) -> Conflict:
    """Declare a conflict: one's own (auditor role), or any auditor's against a case or a
    worker of the teams one manages (manager role)."""
    held = roles.roles_of(actor)
    if not held & {roles.AUDITOR, roles.MANAGER}:
        raise Forbidden("Only auditors and managers declare conflicts.")
    own = Staff.objects.filter(user=actor).first()
    for_self = not auditor_ref or (own is not None and auditor_ref == own.staff_ref)
    if for_self and own is None:
        raise DomainError(
            "You have no staff record: ask an administrator to add one.",
            fields={"auditor": ["you have no staff record"]},
        )
    if not for_self and roles.MANAGER not in held:
        # The same words whether or not the named person exists.
        raise DomainError(
            "You can only declare your own conflicts.", fields={"auditor": ["must be you"]}
        )
    cases, workers = _managed_cases(actor), _managed_workers(actor)
    if for_self and roles.AUDITOR in held:
        # An auditor names a case they have been given to audit, or any worker.
        cases = cases | Case.objects.filter(samplings__assignments__auditor=own)
        workers = Staff.objects.all()
    if for_self:
        auditor = own
    else:
        auditor = Staff.objects.filter(staff_ref=auditor_ref).first()
        if auditor is None:
            raise DomainError(
                "Check the auditor.", fields={"auditor": [NO_WORKER.format(ref=auditor_ref)]}
            )
    case = _named_case(case_ref, cases.distinct()) if case_ref else None
    worker = _named_worker(worker_ref, workers.distinct()) if worker_ref else None
    _one_of(case, worker)
    with transaction.atomic():
        if Conflict.objects.filter(auditor=auditor, case=case, worker=worker).exists():
            raise StateConflict("This conflict is already declared.")
        conflict = Conflict.objects.create(auditor=auditor, case=case, worker=worker, reason=reason)
        event_record(
            actor=actor, verb="conflict.declared", obj=conflict, after=conflict_snapshot(conflict)
        )
    return conflict


def conflict_check_may_change(*, actor, conflict: Conflict) -> None:
    if not conflict_scope.conflicts_managed_by(actor).filter(pk=conflict.pk).exists():
        raise Forbidden(
            "Only a manager of the case's team (or of the worker's team) can change or "
            "withdraw a declared conflict: ask them."
        )


def conflict_change(
    *, actor, conflict: Conflict, changes: dict[str, Any], change_reason: str | None
) -> Conflict:
    """Change a conflict's case, worker or reason (never its auditor), with a reason."""
    conflict_check_may_change(actor=actor, conflict=conflict)
    why = _reason_given(change_reason)
    before = conflict_snapshot(conflict)
    if changes.get("auditor") not in (None, "", before["auditor"]):
        raise DomainError(
            "A conflict stays with its auditor.",
            fields={"auditor": ["cannot change: withdraw this conflict and declare a new one"]},
        )
    case, worker = conflict.case, conflict.worker
    if "case" in changes:
        ref = changes["case"]
        case = _named_case(ref, _managed_cases(actor)) if ref else None
    if "worker" in changes:
        ref = changes["worker"]
        worker = _named_worker(ref, _managed_workers(actor)) if ref else None
    _one_of(case, worker)
    with transaction.atomic():
        conflict.case, conflict.worker = case, worker
        conflict.reason = changes.get("reason", conflict.reason)
        after = conflict_snapshot(conflict)
        if after != before:
            conflict.save(update_fields=["case", "worker", "reason"])
            event_record(
                actor=actor,
                verb="conflict.changed",
                obj=conflict,
                before=before,
                after=after,
                reason=why,
            )
    return conflict


def conflict_withdraw(*, actor, conflict: Conflict, change_reason: str | None) -> None:
    """Withdraw a conflict, with a reason; the Event keeps what it said."""
    conflict_check_may_change(actor=actor, conflict=conflict)
    why = _reason_given(change_reason)
    with transaction.atomic():
        event_record(
            actor=actor,
            verb="conflict.withdrawn",
            obj=conflict,
            before=conflict_snapshot(conflict),
            reason=why,
        )
        conflict.delete()
