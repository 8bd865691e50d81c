"""The case facts an auditor grades with: read through the person's own case scope, so
the panel shows only cases they may see (an auditor: the cases they are assigned)."""

from django.utils import timezone

from audits.core.case_view import age_band, case_type_words, role_words
from audits.models import Allocation, Audit
from audits.selectors.scoping import cases_for


def _name(staff) -> str:
    return staff.name if staff is not None else "Not recorded"


def case_panel(user, audit: Audit) -> dict | None:
    """The facts of the audit's case for ``user``, or None when the case is outside their
    scope. Key dates, who holds it and who held it; the child's age as a band only."""
    case = (
        cases_for(user)
        .select_related("team", "worker", "manager")
        .filter(pk=audit.assignment.sampled_case.case_id)
        .first()
    )
    if case is None:
        return None
    history = Allocation.objects.filter(case=case).select_related("staff").order_by("-from_date")
    cycle = audit.assignment.sampled_case.cycle
    return {
        "case_ref": case.case_ref,
        "team": case.team.name,
        "case_type": case_type_words(case.case_type),
        "worker": _name(case.worker),
        "manager": _name(case.manager),
        "age_band": age_band(case.birth_year, timezone.localdate()),
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "allocations": [
            {
                "role": role_words(row.role),
                "name": row.staff.name,
                "from_date": row.from_date,
                "to_date": row.to_date,
            }
            for row in history
        ],
    }
