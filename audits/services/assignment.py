"""Assigning sampled cases to independent auditors, and the manager's tools around it:
overrides with a reason, and moving an unavailable auditor's unstarted audits."""

from collections import Counter

from django.db import transaction
from django.utils import timezone

from audits.core import assignment, rules
from audits.core.errors import DomainError, StateConflict
from audits.core.statuses import CYCLE_DRAWN
from audits.infra import notify
from audits.models import Assignment, Audit, Cycle, SampledCase, Staff
from audits.selectors.case_facts import auditor_pool, blocking_rules, case_facts
from audits.services.audit_window import window_default
from audits.services.history import event_record
from audits.services.templates import current_template

NOT_STARTED = (Audit.Status.ASSIGNED,)


def _enabled_rules(cycle: Cycle) -> list[str]:
    return [rule for rule, on in cycle.rules.items() if on and rule in rules.RULES]


def _carried_loads(cycle: Cycle) -> Counter:
    # A withdrawn audit (its case was replaced) takes none of the auditor's capacity.
    return Counter(
        Assignment.objects.filter(sampled_case__cycle=cycle)
        .exclude(audit__status=Audit.Status.WITHDRAWN)
        .values_list("auditor_id", flat=True)
    )


def _pool(cycle: Cycle) -> list[rules.Auditor]:
    carried = _carried_loads(cycle)
    return [
        rules.Auditor(
            id=a.id,
            team=a.team,
            capacity=a.capacity,
            managed_teams=a.managed_teams,
            load=carried.get(a.id, 0),
        )
        for a in auditor_pool(cycle)
    ]


def _create_audits(cycle: Cycle, actor, placed: dict[int, int], role: str) -> list[Assignment]:
    template = cycle.template or current_template()
    if template is None:
        raise StateConflict("No grading form is published; publish one before assigning.")
    # The window's due date, set at the draw; never the end of the period audited, which a
    # retrospective audit has passed already (a cycle without one: due as if drawn today).
    due = cycle.audit_due_date or window_default(drawn_on=timezone.localdate())[1]
    created = Assignment.objects.bulk_create(
        Assignment(sampled_case_id=case_id, auditor_id=auditor_id, role=role, created_by=actor)
        for case_id, auditor_id in sorted(placed.items())
    )
    Audit.objects.bulk_create(
        Audit(assignment=item, template=template, due_date=due) for item in created
    )
    return created


def _unassignable_rows(result, staff_refs: dict[int, str], refs: dict[int, str]) -> list[dict]:
    """One row per case no auditor could take: its reasons, how many auditors each reason
    stopped and the one that decided it (``why``). What stopped each auditor is kept in
    ``blocked`` for the Event only: on a 2,000-case cycle it was ~380 kB of the cycle row,
    read (~30 ms) by every view of the cycle page (bench/pages.py)."""
    rows = []
    for item in result.unassignable:
        counts = Counter(reason for reasons in item.blocked.values() for reason in reasons)
        rows.append(
            {
                "sampled_case": item.case_id,
                "case_ref": refs.get(item.case_id, item.case_ref),
                "role": item.role,
                "reasons": item.reasons,
                "auditors_blocked_by": dict(sorted(counts.items())),
                "why": rules.unassignable_why(item.blocked.values(), item.reasons),
                "blocked": {staff_refs.get(a, str(a)): r for a, r in sorted(item.blocked.items())},
            }
        )
    return rows


def _compact(summary: dict) -> dict:
    """The summary the cycle keeps: every unassignable row without its per-auditor detail."""
    rows = [{k: v for k, v in row.items() if k != "blocked"} for row in summary["unassignable"]]
    return {**summary, "unassignable": rows}


def cycle_assign(*, cycle: Cycle, actor) -> dict:
    """Assign every sampled case that has no auditor yet; report the ones nobody can take."""
    with transaction.atomic():
        cycle = (
            Cycle.objects.select_for_update(of=("self",)).select_related("frame").get(pk=cycle.pk)
        )
        if cycle.status not in CYCLE_DRAWN:
            raise StateConflict(f"A cycle that is {cycle.status} cannot be assigned.")
        waiting = list(
            SampledCase.objects.filter(cycle=cycle, status=SampledCase.Status.SELECTED)
            .exclude(assignments__role=Assignment.Role.PRIMARY)
            .select_related("case")
        )
        if not waiting:
            raise StateConflict("Every sampled case already has an auditor.")
        pool = _pool(cycle)
        result = assignment.assign(
            case_facts(waiting, cycle),
            pool,
            seed=cycle.frame.seed,
            rules=_enabled_rules(cycle),
            second_share=float(cycle.second_share),
        )
        primaries = _create_audits(cycle, actor, result.primary, Assignment.Role.PRIMARY)
        seconds = _create_audits(cycle, actor, result.second, Assignment.Role.SECOND)
        staff_refs = dict(
            Staff.objects.filter(pk__in=[a.id for a in pool]).values_list("id", "staff_ref")
        )
        summary = {
            "assigned": len(primaries),
            "second": len(seconds),
            "max_load": result.max_load,
            "optimum_max_load": result.optimum_max_load,
            "loads": {staff_refs[a]: n for a, n in sorted(result.loads.items()) if n},
            "rules": _enabled_rules(cycle),
            "unassignable": _unassignable_rows(
                result, staff_refs, {s.pk: s.case.case_ref for s in waiting}
            ),
        }
        status_before = cycle.status
        if cycle.status == Cycle.Status.SAMPLED:
            cycle.status = Cycle.Status.ASSIGNED
        cycle.assignment_summary = _compact(summary)
        cycle.save(update_fields=["status", "assignment_summary"])
        event_record(
            actor=actor,
            verb="cycle.assigned",
            obj=cycle,
            before={"status": status_before},
            after={**summary, "status": cycle.status},  # with the detail per auditor
        )
        summary = cycle.assignment_summary
        per_auditor = Counter(a.auditor_id for a in [*primaries, *seconds])
        transaction.on_commit(lambda: _tell_auditors(per_auditor, cycle))
    return summary


def _tell_auditors(per_auditor: Counter, cycle: Cycle) -> None:
    for staff in Staff.objects.filter(pk__in=per_auditor):
        notify.send(
            [staff],
            f"{per_auditor[staff.pk]} new case audit(s) for {cycle.name}",
            f"You have been assigned {per_auditor[staff.pk]} case audit(s) in {cycle.name}. "
            "Open CaseAssure to see them under My audits.",
            page=notify.link("web:my-audits"),
            kind=notify.ASSIGNED,
        )


def assignment_override(
    *,
    sampled_case: SampledCase,
    auditor: Staff,
    role: str,
    actor,
    reason: str,
    over_capacity: bool = False,
) -> Assignment:
    """A manager chooses the auditor for a case, waiving rules only with a reason, and
    going past the auditor's capacity only when ``over_capacity`` says so (the page asks)."""
    reason = (reason or "").strip()
    if role not in Assignment.Role.values:
        raise DomainError("Unknown role.", fields={"role": ["primary or second"]})
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=sampled_case.cycle_id)
        if cycle.status not in CYCLE_DRAWN:
            raise StateConflict(f"A cycle that is {cycle.status} cannot be assigned.")
        if sampled_case.status != SampledCase.Status.SELECTED:
            raise StateConflict("A replaced case is not audited.")
        other = sampled_case.assignments.exclude(role=role).filter(auditor=auditor).exists()
        if other:
            raise DomainError("The two auditors of a case must be different people.")
        blocked = blocking_rules(sampled_case, auditor, _enabled_rules(cycle))
        if blocked and not reason:
            raise DomainError(
                "This auditor is not independent of the case; give a reason to override.",
                fields={"reason": ["required to override " + ", ".join(blocked)]},
                rules=blocked,
            )
        existing = sampled_case.assignments.filter(role=role).select_related("audit").first()
        load = _carried_loads(cycle).get(auditor.pk, 0)
        load -= existing is not None and existing.auditor_id == auditor.pk
        if load + 1 > auditor.capacity and not over_capacity:
            raise DomainError(
                capacity_words(auditor, load),
                fields={"over_capacity": ["confirm to go past the auditor's capacity"]},
                load=load,
                capacity=auditor.capacity,
            )
        before = None
        if existing is not None:
            if existing.audit.status not in NOT_STARTED:
                raise StateConflict("That audit has started; it cannot move to another auditor.")
            before = {"auditor": existing.auditor.staff_ref}
            existing.auditor = auditor
            existing.override_rules = blocked
            existing.override_reason = reason
            existing.save()
            item = existing
        else:
            (item,) = _create_audits(cycle, actor, {sampled_case.pk: auditor.pk}, role)
            item.override_rules, item.override_reason = blocked, reason
            item.save()
        event_record(
            actor=actor,
            verb="assignment.overridden" if blocked else "assignment.set",
            obj=item,
            before=before,
            after={
                "auditor": auditor.staff_ref,
                "role": role,
                "rules": blocked,
                # Past capacity only with the manager's confirmation: kept in the record.
                **(
                    {"load": load + 1, "capacity": auditor.capacity}
                    if load + 1 > auditor.capacity
                    else {}
                ),
            },
            reason=reason,
        )
    return item


def capacity_words(auditor: Staff, load: int) -> str:
    audits = "audit" if load == 1 else "audits"
    return (
        f"{auditor.name} already has {load} {audits} in this cycle and a capacity of "
        f"{auditor.capacity}. Assigning this case makes {load + 1}."
    )


# Audits move between auditors only while the cycle is being audited: not before its sample
# is drawn, nor once it is closed or reported on.


def auditor_unavailable(*, cycle: Cycle, staff: Staff, actor) -> dict:
    """Move an auditor's unstarted audits in this cycle to others, rules still holding."""
    with transaction.atomic():
        cycle = (
            Cycle.objects.select_for_update(of=("self",)).select_related("frame").get(pk=cycle.pk)
        )
        if cycle.status not in CYCLE_DRAWN:
            raise StateConflict(f"Audits cannot move while the cycle is {cycle.status}.")
        items = list(
            Assignment.objects.filter(sampled_case__cycle=cycle).select_related(
                "audit", "sampled_case__case"
            )
        )
        mine = [a for a in items if a.auditor_id == staff.pk]
        if not mine:
            raise DomainError("This auditor has no audits in the cycle.")
        primary = {
            a.sampled_case_id: a.auditor_id for a in items if a.role == Assignment.Role.PRIMARY
        }
        second = {
            a.sampled_case_id: a.auditor_id for a in items if a.role == Assignment.Role.SECOND
        }
        started = {
            (a.sampled_case_id, a.auditor_id) for a in items if a.audit.status not in NOT_STARTED
        }
        moving = [a for a in mine if (a.sampled_case_id, a.auditor_id) not in started]
        pool = [a for a in auditor_pool(cycle) if a.id != staff.pk]
        result = assignment.reassign(
            case_facts([a.sampled_case for a in moving], cycle),
            [*pool, rules.Auditor(id=staff.pk, team=None, capacity=0)],
            seed=cycle.frame.seed,
            primary=primary,
            second=second,
            unavailable={staff.pk},
            started=started,
            rules=_enabled_rules(cycle),
        )
        moved = {}
        for item in moving:
            placed = (
                result.primary if item.role == Assignment.Role.PRIMARY else result.second
            ).get(item.sampled_case_id)
            if placed is not None and placed != staff.pk:
                item.auditor_id = placed
                item.save(update_fields=["auditor"])
                moved[item.sampled_case.case.case_ref] = placed
        refs = dict(
            Staff.objects.filter(pk__in={*moved.values(), *(a.id for a in pool)}).values_list(
                "id", "staff_ref"
            )
        )
        case_refs = {a.sampled_case_id: a.sampled_case.case.case_ref for a in moving}
        summary = {
            "moved": {case: refs[a] for case, a in moved.items()},
            "kept_started": len(mine) - len(moving),
            "unassignable": [u.case_ref for u in result.unassignable],
            # The same cases with the rules that blocked each other auditor, as for assign.
            "unassignable_detail": _unassignable_rows(result, refs, case_refs),
        }
        event_record(
            actor=actor,
            verb="cycle.auditor_unavailable",
            obj=cycle,
            after={"auditor": staff.staff_ref, **summary},
        )
    return summary
