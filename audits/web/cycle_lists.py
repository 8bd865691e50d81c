"""The sample's counts for the cycle's page, and the long lists of its assignment page, one
page of rows each, with their own GET parameters (``loads_page``, ``unassignable_q``, ...)
so paging one list leaves the rest of the page as it was: the loads per auditor, the cases
no auditor could take (summarised by reason, with a total, before the detail) and the
manager's overrides. The sample's list is web/cycle_sample.py's."""

from collections import Counter

from django.db.models import Count, Q
from django.utils.html import escape
from django.utils.safestring import mark_safe

from audits.core import rules
from audits.core.rules import REASONS, reason_words
from audits.models import Assignment, Cycle, SampledCase
from audits.web import listing

ROLE_WORDS = {"primary": "first audit", "second": "second audit"}
UNASSIGNABLE_PER_PAGE = 25  # each row lists several reasons: a shorter page


def sample_counts(cycle: Cycle) -> dict:
    """In one grouped query: cases drawn per stratum (follow-ups aside), cases still in the
    sample and replaced, how many have a first and a second auditor, how many of them wait
    for assignment, and whether any case has an auditor."""
    rows = (
        SampledCase.objects.filter(cycle=cycle)
        .values("stratum", "status", "is_follow_up")
        .annotate(
            n=Count("pk", distinct=True),
            with_primary=Count("assignments", filter=Q(assignments__role="primary")),
            with_second=Count("assignments", filter=Q(assignments__role="second")),
            assignments_n=Count("assignments"),
        )
        .order_by()
    )
    drawn, active, waiting, assigned = Counter(), 0, 0, False
    replaced = first = second = 0
    for row in rows:
        assigned = assigned or row["assignments_n"] > 0
        if row["status"] != SampledCase.Status.SELECTED:
            replaced += row["n"]
            continue
        active += row["n"]
        first += row["with_primary"]
        second += row["with_second"]
        waiting += row["n"] - row["with_primary"]
        if not row["is_follow_up"]:
            drawn[row["stratum"]] += row["n"]
    # Assignment is offered only for cases it has not tried yet (new by extension or
    # replacement): a case it found nobody for would be refused again, so those go to
    # "Choose the auditor for a case" instead.
    tried = {
        row["sampled_case"]
        for row in cycle.assignment_summary.get("unassignable", [])
        if row["role"] == "primary"
    }
    if tried and waiting:
        waiting -= (
            SampledCase.objects.filter(pk__in=tried, status=SampledCase.Status.SELECTED)
            .exclude(assignments__role="primary")
            .count()
        )
    return {
        "drawn": drawn,
        "active": active,
        "replaced": replaced,
        "waiting": waiting,
        "assigned": assigned,
        # Cases still in the sample with a first auditor, with a second, and without one.
        "with_first": first,
        "with_second": second,
        "without_first": active - first,
    }


def _taken(rows: list[dict]) -> set[tuple[int, str]]:
    """Which of the unassignable (case, role) pairs a manager has since placed."""
    ids = {row["sampled_case"] for row in rows}
    if not ids:
        return set()
    return set(
        Assignment.objects.filter(sampled_case_id__in=ids).values_list("sampled_case_id", "role")
    )


def loads_list(request, rows: list[dict]) -> dict:
    """Audits per auditor by name (``assignment_lists``: a hundred people), each row as the
    table and the "unavailable" picker show it."""
    # Everyone with a load, read once: the table pages through it, and the "auditor is
    # unavailable" list offers all of them (a few dozen people).
    everyone = [_load(person) for person in rows]
    found = listing.paginate(
        request, everyone, noun=("auditor", "auditors"), prefix="loads_", anchor="loads"
    )
    found["everyone"] = everyone
    return found


def _load(person: dict) -> dict:
    primary, second, capacity = person["primary"], person["second"], person["capacity"]
    return {
        "pk": person["pk"],
        "name": person["name"],
        "team": person["team"],
        "primary": primary,
        "second": second,
        "total": primary + second,
        "capacity": capacity,
        # The table's four number cells, made here: whole numbers, nothing to escape (per
        # cell in the template, with its number formatting, they were most of the table).
        "cells": mark_safe(  # noqa: S308 - integers only
            "".join(
                f'<td class="num">{int(n)}</td>'
                for n in (primary, second, primary + second, capacity)
            )
        ),
    }


def reason_texts(reasons: list[str]) -> list[str]:
    return [f"{r}: {REASONS.get(r, r)}" for r in reasons]


def blocked_counts(auditors_blocked_by: dict[str, int]) -> list[str]:
    """``{"R1": 3}`` as "3 auditors - auditor is in the case's current team" (an en dash)."""
    return [
        f"{count} auditor{'s' if count != 1 else ''} \N{EN DASH} {REASONS.get(rule, rule)}"
        for rule, count in auditors_blocked_by.items()
    ]


NO_CAPACITY = rules.UNASSIGNABLE_WHY[rules.NO_CAPACITY]
ONLY_OTHER_ROLE = rules.UNASSIGNABLE_WHY[rules.ONLY_OTHER_ROLE]
NOT_INDEPENDENT = rules.UNASSIGNABLE_WHY[rules.NOT_INDEPENDENT]
NO_POOL = rules.UNASSIGNABLE_WHY[rules.NO_POOL]


def _why(row: dict) -> str:
    """The reason that decided it, in words: kept with the row since the summary is compact
    (``why``); worked out from the per-auditor detail of an older summary."""
    code = row.get("why") or rules.unassignable_why(
        row.get("blocked", {}).values(), row.get("reasons", [])
    )
    return rules.UNASSIGNABLE_WHY[code]


def unassignable_summary(rows: list[dict]) -> dict:
    """ "134 cases could not be assigned", then how many for each set of reasons (the
    largest group first) and for each role."""
    groups = Counter(_why(row) for row in rows)
    roles = Counter(ROLE_WORDS.get(row["role"], row["role"]) for row in rows)
    return {
        "total": len(rows),
        "by_reason": [{"count": n, "why": why} for why, n in groups.most_common()],
        "by_role": [f"{n} {role}{'s' if n != 1 else ''}" for role, n in sorted(roles.items())],
    }


def unassignable_list(request, cycle: Cycle) -> dict:
    rows = cycle.assignment_summary.get("unassignable", [])
    taken = _taken(rows)  # a manager has since assigned it by override
    rows = [row for row in rows if (row["sampled_case"], row["role"]) not in taken]
    q = listing.text_param(request, "unassignable_q")
    shown = [row for row in rows if q.lower() in row["case_ref"].lower()] if q else rows
    found = listing.paginate(
        request,
        shown,
        noun=("case", "cases"),
        prefix="unassignable_",
        anchor="unassignable",
        per_page=UNASSIGNABLE_PER_PAGE,
    )
    found["rows"] = [
        {
            "case_ref": row["case_ref"],
            "role_words": ROLE_WORDS.get(row["role"], row["role"]).capitalize(),
            # What stopped how many auditors, else the reasons: a few lines a row, as
            # list items made here (no nested template loops over a page of rows).
            "why": mark_safe(  # noqa: S308 - each text escaped here
                "".join(
                    f"<li>{escape(text)}</li>"
                    for text in blocked_counts(row.get("auditors_blocked_by", {}))
                    or reason_texts(row["reasons"])
                )
            ),
        }
        for row in found["rows"]
    ]
    return {
        "unassignable": found,
        "unassignable_q": q,
        "unassignable_summary": unassignable_summary(rows),
        # for the override form's list of suggestions: the case references only
        "unassignable_refs": sorted({row["case_ref"] for row in rows}),
    }


def overrides_list(request, rows: list[dict]) -> dict:
    """The assignments a manager chose (``assignment_lists``), each with the rules set aside
    in words. Overrides are few (one per case placed by hand): paged in memory."""
    for row in rows:
        row["rules_words"] = "; ".join(reason_words(str(code)) for code in row["override_rules"])
    return listing.paginate(
        request, rows, noun=("override", "overrides"), prefix="overrides_", anchor="overrides"
    )
