"""Report inputs about cases audited twice: the pairs of blind grades that agreement
(alpha) is measured on, and the reconciliations of pairs that disagreed. Read as plain data
for the figures core, like the rest of report_inputs.py."""

from collections import Counter

from django.db import connection
from django.db.models import Count

from audits.models import Assignment, Cycle, DomainGrade, Reconciliation

PRIMARY, SECOND = Assignment.Role.PRIMARY, Assignment.Role.SECOND


def counted(groups) -> list[tuple]:
    """Rows of (grouping values..., count) in the order of their values, None first.
    Sorted here, not by an ORDER BY: with one PostgreSQL sorts every row before grouping."""
    return sorted(groups, key=lambda row: tuple((v is not None, v) for v in row[:-1]))


def reconciled(cycle: Cycle) -> list[tuple[Counter, Counter]]:
    """Of each reconciled double audit counted in the figures (a first audit of the random
    sample, completed): its first audit's domain grades and the agreed ones, as counts."""
    agreed = Reconciliation.objects.filter(
        sampled_case__cycle=cycle,
        status=Reconciliation.Status.AGREED,
        first_audit__summary__isnull=False,
        sampled_case__is_follow_up=False,
    ).values_list("first_audit_id", "agreed_domain_grades")
    agreed = dict(agreed)
    stored: dict[int, Counter] = {audit: Counter() for audit in agreed}
    for audit, domain, grade in DomainGrade.objects.filter(
        summary_id__in=list(agreed), counted=True
    ).values_list("summary_id", "domain", "grade"):
        stored[audit][(domain, grade)] += 1
    return [
        (stored[audit], Counter({(d, float(g)): 1 for d, g in (domains or {}).items()}))
        for audit, domains in sorted(agreed.items())
    ]


def reconciliations(cycle: Cycle) -> dict:
    """How many double audits of the cycle disagreed, by the state of their reconciliation."""
    by_status = dict(
        Reconciliation.objects.filter(sampled_case__cycle=cycle)
        .exclude(first_audit__status="withdrawn")
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "open": by_status.get(Reconciliation.Status.OPEN, 0),
        "agreed": by_status.get(Reconciliation.Status.AGREED, 0),
    }


# A case's completed first and second audits side by side: the pairs of their overall
# grades, and per domain of the first audit the two final domain grades (None where the
# second has none), counted. The first's grades are looked up by index per pair (a LATERAL
# subquery the planner cannot flatten into a hash of every domain grade); the second's
# come from the cycle's uncounted domain grades. Plain SQL: the ORM has no relation from a
# summary to its case's other summary.
_DOUBLES_SQL = """
    WITH pairs AS MATERIALIZED (
        SELECT f.audit_id AS first_id, s.audit_id AS second_id,
               f.overall_grade AS first, s.overall_grade AS second
        FROM audits_auditsummary s
        JOIN audits_auditsummary f
          ON f.cycle_id = s.cycle_id AND f.case_id = s.case_id AND f.role = %s
        WHERE s.cycle_id = %s AND s.role = %s
    )
    SELECT NULL AS domain, CAST(first AS FLOAT), CAST(second AS FLOAT), COUNT(*)
    FROM pairs GROUP BY 2, 3
    UNION ALL
    SELECT fd.domain, fd.grade, sd.grade, COUNT(*)
    FROM pairs p
    {first_grades}
    LEFT JOIN audits_domaingrade sd
      ON sd.summary_id = p.second_id AND sd.domain = fd.domain
         AND sd.cycle_id = %s AND NOT sd.counted
    GROUP BY 1, 2, 3
"""
_FIRST_GRADES = {
    "postgresql": """CROSS JOIN LATERAL (
        SELECT x.domain, x.grade FROM audits_domaingrade x
        WHERE x.summary_id = p.first_id OFFSET 0
    ) AS fd""",
    # SQLite has no LATERAL; its planner looks the first's grades up by index anyway.
    "sqlite": "JOIN audits_domaingrade fd ON fd.summary_id = p.first_id",
}


def double_audits(cycle: Cycle) -> dict:
    """Cases whose first and second (blind) audits are both completed: the pairs of their
    overall grades, and per domain of the first audit the pairs of final domain grades
    (None where the second audit has none), counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            _DOUBLES_SQL.format(first_grades=_FIRST_GRADES[connection.vendor]),
            [PRIMARY, cycle.pk, SECOND, cycle.pk],
        )
        rows = cursor.fetchall()
    overall = counted((int(a), int(b), n) for domain, a, b, n in rows if domain is None)
    domains = counted(row for row in rows if row[0] is not None)
    return {
        "cases": sum(n for *_, n in overall),
        "overall": [{"first": a, "second": b, "cases": n} for a, b, n in overall],
        "domains": [
            {"domain": domain, "first": a, "second": b, "cases": n} for domain, a, b, n in domains
        ],
    }
