"""The facts the independence rules need, read from the database in a few batched queries
and handed to the pure assignment core as plain data."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from audits.core.rules import Auditor, CaseFacts, eligibility
from audits.models import Allocation, Assignment, Case, Conflict, Cycle, SampledCase, Staff
from audits.selectors.frames import months_before


def case_facts(sampled: Iterable[SampledCase], cycle: Cycle) -> list[CaseFacts]:
    """Facts for each sampled case; ids are SampledCase ids, people are Staff ids."""
    sampled = list(sampled)
    case_ids = [s.case_id for s in sampled]
    cases = Case.objects.in_bulk(case_ids)
    allocated: dict[int, set[int]] = defaultdict(set)
    for case_id, staff_id in Allocation.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "staff_id"
    ):
        allocated[case_id].add(staff_id)
    for case in cases.values():
        allocated[case.id] |= {s for s in (case.worker_id, case.manager_id) if s}
    by_case: dict[int, set[int]] = defaultdict(set)
    by_worker: dict[int, set[int]] = defaultdict(set)
    workers = {c.worker_id for c in cases.values() if c.worker_id}
    for auditor_id, case_id, worker_id in Conflict.objects.filter(
        Q(case_id__in=case_ids) | Q(worker_id__in=workers)
    ).values_list("auditor_id", "case_id", "worker_id"):
        if case_id:
            by_case[case_id].add(auditor_id)
        if worker_id:
            by_worker[worker_id].add(auditor_id)
    recent: dict[int, set[int]] = defaultdict(set)
    cutoff = months_before(cycle.period_start, 12)
    for case_id, auditor_id in (
        Assignment.objects.filter(
            sampled_case__case_id__in=case_ids, sampled_case__cycle__period_end__gte=cutoff
        )
        .exclude(sampled_case__cycle=cycle)
        .values_list("sampled_case__case_id", "auditor_id")
    ):
        recent[case_id].add(auditor_id)
    facts = []
    for item in sampled:
        case = cases[item.case_id]
        facts.append(
            CaseFacts(
                id=item.pk,
                case_ref=case.case_ref,
                team=str(case.team_id),
                current_worker=case.worker_id,
                allocated_staff=frozenset(allocated[case.id]),
                conflicted_auditors=frozenset(
                    by_case[case.id] | by_worker.get(case.worker_id, set())
                ),
                recent_auditors=frozenset(recent[case.id]),
            )
        )
    return facts


def auditor_pool(cycle: Cycle, staff: Iterable[Staff] | None = None) -> list[Auditor]:
    """Active auditors with capacity; load counts audits they already hold in this cycle."""
    if staff is None:
        staff = Staff.objects.filter(
            is_active=True, user__is_active=True, user__groups__name="auditor", capacity__gt=0
        )
    staff = list(staff)
    managed: dict[int, set[str]] = defaultdict(set)
    for staff_id, team_id in Staff.managed_teams.through.objects.filter(
        staff_id__in=[s.pk for s in staff]
    ).values_list("staff_id", "team_id"):
        managed[staff_id].add(str(team_id))
    return [
        Auditor(
            id=member.pk,
            team=str(member.team_id) if member.team_id else None,
            capacity=member.capacity,
            managed_teams=frozenset(managed[member.pk]),
        )
        for member in staff
    ]


def blocking_rules(sampled: SampledCase, staff: Staff, rules=None) -> list[str]:
    """The rules that stop ``staff`` auditing or moderating ``sampled``'s case."""
    cycle = sampled.cycle
    (facts,) = case_facts([sampled], cycle)
    (auditor,) = auditor_pool(cycle, [staff])
    enabled = rules if rules is not None else [r for r, on in cycle.rules.items() if on]
    return eligibility(facts, auditor, enabled)
