"""A double-audited case's two audits side by side, for the people allowed to compare them.

The pair is blind until both audits are submitted: before that nobody is shown the pair
(``pair_of`` answers None for an auditor of it, and the other audit is outside their scope,
scoping._audit_auditor). Afterwards both auditors, the managers of the cycle (who moderate
and reconcile), internal audit and admins see the two audits' overall and domain grades and
rationales, and the reconciliation if the two disagreed.
"""

from audits.core import reconciliation as compare
from audits.models import Assignment, Audit, Reconciliation
from audits.selectors import scoping

COMPLETED = (Audit.Status.SUBMITTED, Audit.Status.FINAL)
SEEN = ("template", "assignment__auditor")


def _label(scale: dict, grade) -> str:
    return "\N{EN DASH}" if grade is None else f"{grade} \N{EN DASH} {scale.get(grade, grade)}"


def pair_of(user, audit: Audit) -> dict | None:
    """The case's two audits and its reconciliation, when ``audit`` (already in the user's
    scope) is half of a double audit whose halves are both submitted; else None."""
    audits = {
        a.assignment.role: a
        for a in Audit.objects.filter(assignment__sampled_case_id=audit.assignment.sampled_case_id)
        .exclude(status=Audit.Status.WITHDRAWN)
        .select_related(*SEEN)
    }
    first, second = audits.get(Assignment.Role.PRIMARY), audits.get(Assignment.Role.SECOND)
    if first is None or second is None or {first.status, second.status} - set(COMPLETED):
        return None
    # Both must be in the caller's scope: an auditor sees the other's once both submitted.
    visible = set(
        scoping.audits_for(user).filter(pk__in=[first.pk, second.pk]).values_list("pk", flat=True)
    )
    if visible != {first.pk, second.pk}:
        return None
    reconciliation = Reconciliation.objects.filter(
        sampled_case_id=audit.assignment.sampled_case_id
    ).first()
    return {"first": first, "second": second, "reconciliation": reconciliation}


def independent(audit: Audit) -> dict:
    return compare.independent_grades(audit.template.definition, audit.answers, audit.overall_grade)


def side_by_side(first: Audit, second: Audit, reconciliation: Reconciliation | None) -> dict:
    """Rows for a page: the overall grade and each domain, each auditor's grade in words,
    whether they differ, and the agreed grade once recorded; plus the two rationales."""
    scale = first.template.scale
    a, b = independent(first), independent(second)
    agreed = None
    if reconciliation is not None and reconciliation.status == Reconciliation.Status.AGREED:
        agreed = {
            compare.OVERALL: reconciliation.agreed_overall_grade,
            "domains": reconciliation.agreed_domain_grades or {},
        }
    rows = [
        {
            "key": compare.OVERALL,
            "label": "Overall grade",
            "first": a[compare.OVERALL],
            "second": b[compare.OVERALL],
        }
    ] + [
        {
            "key": domain,
            "label": domain,
            "first": a["domains"].get(domain),
            "second": b["domains"].get(domain),
        }
        for domain in sorted(set(a["domains"]) | set(b["domains"]))
    ]
    for row in rows:
        row["apart"] = None not in (row["first"], row["second"]) and row["first"] != row["second"]
        row["first_label"] = _label(scale, row["first"])
        row["second_label"] = _label(scale, row["second"])
        if agreed is not None:
            value = (
                agreed[compare.OVERALL]
                if row["key"] == compare.OVERALL
                else agreed["domains"].get(row["key"])
            )
            row["agreed_label"] = _label(scale, value)
    return {
        "rows": rows,
        "apart": [row["label"] for row in rows if row["apart"]],
        "first_auditor": first.assignment.auditor.name,
        "second_auditor": second.assignment.auditor.name,
        "first_rationale": first.rationale,
        "second_rationale": second.rationale,
        "reconciliation": reconciliation,
        "scale": sorted(scale.items()),
    }


def as_data(first: Audit, second: Audit, reconciliation: Reconciliation | None) -> dict:
    """The same for the API: grades as numbers."""

    def side(audit: Audit) -> dict:
        grades = independent(audit)
        return {
            "audit": audit.pk,
            "auditor": audit.assignment.auditor.staff_ref,
            "status": audit.status,
            "overall_grade": grades[compare.OVERALL],
            "domain_grades": grades["domains"],
            "rationale": audit.rationale,
        }

    return {
        "first": side(first),
        "second": side(second),
        "disagreements": compare.disagreements(independent(first), independent(second)),
        "reconciliation": None if reconciliation is None else reconciliation_data(reconciliation),
    }


def reconciliation_data(reconciliation: Reconciliation) -> dict:
    return {
        "id": reconciliation.pk,
        "status": reconciliation.status,
        "first_audit": reconciliation.first_audit_id,
        "second_audit": reconciliation.second_audit_id,
        "first_grades": reconciliation.first_grades,
        "second_grades": reconciliation.second_grades,
        "disagreements": reconciliation.disagreements,
        "opened_at": reconciliation.opened_at,
        "agreed_overall_grade": reconciliation.agreed_overall_grade,
        "agreed_domain_grades": reconciliation.agreed_domain_grades,
        "reason": reconciliation.reason,
        "agreed_by": getattr(reconciliation.agreed_by, "staff_ref", None),
        "agreed_at": reconciliation.agreed_at,
    }
