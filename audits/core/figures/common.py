"""Helpers every section of the figures shares: groups of completed first audits, counted."""

from collections import defaultdict

from audits.core.grading import is_good_or_better


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _primaries(inputs: dict, follow_up: bool = False) -> list[dict]:
    """The groups of completed first audits, of the random sample or of follow-ups, each
    with its final grade: the agreed grade of a reconciled double audit, else the
    moderator's when moderated, else the auditor's."""
    return [
        {
            **group,
            "final_grade": group.get("reconciled_grade")
            or group["moderated_grade"]
            or group["overall_grade"],
        }
        for group in inputs["completed"]
        if group["role"] == "primary" and group["follow_up"] == follow_up
    ]


def _count(groups: list[dict], key: str) -> dict[str, list[int]]:
    """Audits and good-or-better ones per value of ``key``."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group in groups:
        counts[group[key]][0] += group["audits"]
        counts[group[key]][1] += group["audits"] * is_good_or_better(group["final_grade"])
    return counts
