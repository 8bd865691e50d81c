"""The figures by group: by team with the funnel limits and the flags they raise, by case
type, by domain of the form, and the median grade."""

import math
from collections import Counter, defaultdict
from statistics import median

from audits.core import funnel
from audits.core.figures.common import _count, _share
from audits.core.grading import GRADE_KEYS


def _by_team(groups: list[dict]) -> tuple[list[dict], float | None, list[dict]]:
    """Per team: audits, good ones, the exact funnel limits around the overall proportion
    (funnel.funnel_limits), the flag at 95% and at 99.8% and the exact one-sided tail
    probability behind them (funnel.funnel_position)."""
    teams = _count(groups, "team")
    total = sum(n for n, _ in teams.values())
    overall = sum(g for _, g in teams.values()) / total if total else None
    rows = []
    for team, (n, good) in sorted(teams.items()):
        low95, high95 = funnel.funnel_limits(overall, n, 0.95)
        low998, high998 = funnel.funnel_limits(overall, n, 0.998)
        flag, tail = funnel.funnel_position(good, n, overall, 0.95)
        flag998, _ = funnel.funnel_position(good, n, overall, 0.998)
        rows.append(
            {
                "team": team,
                "audited": n,
                "good_or_better": good,
                "proportion": round(good / n, 4),
                "limits95": [round(low95, 4), round(high95, 4)],
                "limits998": [round(low998, 4), round(high998, 4)],
                "flag": flag,
                "flag998": flag998,
                "tail_probability": round(tail, 6),
            }
        )
    curve = []
    if overall is not None:
        sizes = range(1, max(n for n, _ in teams.values()) + 1)
        low95, high95 = funnel.funnel_curve(overall, sizes, 0.95)
        low998, high998 = funnel.funnel_curve(overall, sizes, 0.998)
        names = ("low95", "high95", "low998", "high998")
        for n, *limits in zip(sizes, low95, high95, low998, high998, strict=True):
            rounded = (round(float(value), 4) for value in limits)
            curve.append({"n": n, **dict(zip(names, rounded, strict=True))})
    return rows, None if overall is None else round(overall, 4), curve


def _funnel_chance(teams: int) -> dict:
    """How many teams a funnel flags by chance alone: each team is tested against each
    limit, so even if all performed alike up to teams x (1 - confidence) fall outside it
    (fewer, as exact tests on few cases are conservative)."""
    expected95, expected998 = round(teams * 0.05, 3), round(teams * 0.002, 3)
    text = (
        f"{teams} teams are each compared with the limits, so even if every team worked to "
        f"the same standard up to {expected95:g} would fall outside the 95% limits and "
        f"{expected998:g} outside the 99.8% limits by chance alone. A team outside the 95% "
        "limits is a prompt to look closer, not a finding; the exact probability behind each "
        "flag is given."
    )
    return {"teams": teams, "expected95": expected95, "expected998": expected998, "text": text}


def _by(groups: list[dict], key: str) -> list[dict]:
    return [
        {key: name, "audited": n, "good_or_better": good, "proportion": _share(good, n)}
        for name, (n, good) in sorted(_count(groups, key).items())
    ]


def _by_domain(domain_grades: list[dict]) -> list[dict]:
    """Per domain: how many audits rated it, the mean of their domain grades, the share
    good or better and the distribution of the grades (grading.domain_grade: a median
    between two grades is the lower one)."""
    by_domain: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for row in domain_grades:
        by_domain[row["domain"]].append((row["grade"], row["audits"]))
    rows = []
    for domain, counted in sorted(by_domain.items()):
        rated = sum(n for _, n in counted)
        # Domain grades are whole grades, so this sum is exact in any order.
        total = sum(grade * n for grade, n in counted)
        distribution: Counter[str] = Counter()
        for grade, n in counted:
            distribution[str(math.floor(grade))] += n
        rows.append(
            {
                "domain": domain,
                "rated": rated,
                "mean": round(total / rated, 2),
                "good_or_better": _share(sum(n for g, n in counted if g >= 3), rated),
                "distribution": {g: distribution.get(g, 0) for g in GRADE_KEYS},
            }
        )
    return rows


def _median_grade(groups: list[dict]) -> float | int | None:
    grades = sorted((g["final_grade"], g["audits"]) for g in groups)
    finals = [grade for grade, n in grades for _ in range(n)]
    return median(finals) if finals else None
