"""Comparing the two blind audits of a case, and checking the grades a moderator agrees. Pure.

Grades are compared as an auditor gave them (never moderated): an overall grade and the
grade of each domain (grading.domain_grade of the domain's question grades). The pair
disagrees when the two differ by a grade or more on the overall grade or on any domain
both graded.
"""

from typing import Any

from audits.core import grading

OVERALL = "overall"


def independent_grades(definition: dict, answers: dict, overall_grade: int | None) -> dict:
    """``{"overall": grade, "domains": {domain: grade}}`` from an auditor's own answers."""
    return {
        OVERALL: overall_grade,
        "domains": dict(sorted(grading.domain_grades(definition, answers).items())),
    }


def disagreements(first: dict, second: dict) -> list[str]:
    """What the two audits grade apart: ``"overall"`` first, then each domain by name."""
    found = [OVERALL] if first[OVERALL] != second[OVERALL] else []
    shared = sorted(set(first["domains"]) & set(second["domains"]))
    return found + [d for d in shared if first["domains"][d] != second["domains"][d]]


def _grade(value: Any, scale: dict[int, str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError
    grade = int(value)
    if grade not in scale:
        raise ValueError
    return grade


def agreed_grades(
    first: dict,
    second: dict,
    *,
    overall_grade: Any,
    domain_grades: Any,
    scale: dict[int, str],
) -> tuple[dict, dict[str, list[str]]]:
    """The agreed ``{"overall", "domains"}`` and the field errors ({} when sound).

    A grade the pair disagreed on must be given; one they agreed on defaults to theirs and
    may be changed too. Domain keys are the domains either audit graded."""
    errors: dict[str, list[str]] = {}
    apart = set(disagreements(first, second))
    allowed = f"must be one of {', '.join(map(str, sorted(scale)))}"
    overall = first[OVERALL] if OVERALL not in apart else None
    if overall_grade not in (None, ""):
        try:
            overall = _grade(overall_grade, scale)
        except ValueError:
            errors["overall_grade"] = [allowed]
    elif overall is None:
        errors["overall_grade"] = ["choose the agreed overall grade"]
    given = domain_grades if domain_grades not in (None, "") else {}
    if not isinstance(given, dict):
        return {}, {**errors, "domain_grades": ["must be an object of domain to grade"]}
    domains_graded = sorted(set(first["domains"]) | set(second["domains"]))
    domains = {}
    for domain in sorted(set(given) - set(domains_graded)):
        errors[f"domain_grades.{domain}"] = ["is not a domain either audit graded"]
    for domain in domains_graded:
        value = given.get(domain)
        if value not in (None, ""):
            try:
                domains[domain] = _grade(value, scale)
            except ValueError:
                errors[f"domain_grades.{domain}"] = [allowed]
        elif domain in apart:
            errors[f"domain_grades.{domain}"] = [
                "choose the agreed grade for this area of practice"
            ]
        else:
            domains[domain] = first["domains"].get(domain, second["domains"].get(domain))
    return {OVERALL: overall, "domains": domains}, errors


def report_figures(inputs: dict) -> dict:
    """The report's reconciliation figures (report inputs in): cases audited twice, blind,
    with both audits completed; how many disagreed, were reconciled, were still open.

    Alpha is measured on the auditors' own grades; the grade figures count the agreed
    ones. A reconciliation still open at the report counts with its first audit's grades
    and is a caveat of the opinion."""
    found = inputs.get("reconciliations") or {"open": 0, "agreed": 0}
    waiting, agreed = found["open"], found["agreed"]
    double_audits = inputs["double_audits"]["cases"]
    several = waiting != 1
    caveat = None
    if waiting:
        caveat = (
            f"{waiting} double audit{'s' if several else ''} still "
            f"await{'' if several else 's'} agreed grades: the first audit's grades are "
            f"counted for {'them' if several else 'it'} until a moderator reconciles the two."
        )
    return {
        "double_audits": double_audits,
        "agreed_at_once": max(double_audits - waiting - agreed, 0),
        "disagreed": waiting + agreed,
        "reconciled": agreed,
        "open": waiting,
        "caveat": caveat,
    }
