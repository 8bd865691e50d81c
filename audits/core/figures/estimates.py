"""The headline estimate: the share of the frame graded good or better, stratified, with
its interval and the strata it covers; and the same estimate cycle by cycle (the trend)."""

from audits.core import stats
from audits.core.figures.common import _count

# The interval stats.stratified_proportion gives (DESIGN.md section 7), named in the JSON so
# that anyone can recompute it with audits/standalone/recompute_report.py: the
# Korn-Graubard lower end with Jeffreys' upper end.
INTERVAL_METHOD = "korn-graubard-jeffreys"


def _coverage(by_stratum: dict, sizes: dict) -> dict:
    """Which strata of the frame the estimate covers: a stratum with no completed audit
    cannot be estimated, so it is left out and named, with the share of the frame left."""
    population = sum(sizes.values())
    audited = sorted(name for name in sizes if by_stratum.get(name, (0, 0))[0] > 0)
    covered = sum(sizes[name] for name in audited)
    return {
        "strata": len(sizes),
        "audited_strata": len(audited),
        "unaudited_strata": sorted(set(sizes) - set(audited)),
        "population": population,
        "population_covered": covered,
        "share_of_frame": covered / population if population else None,
    }


def _stratified(by_stratum: dict, sizes: dict) -> tuple[float, float, float]:
    strata = {name: (max(sizes.get(name, n), n), n, good) for name, (n, good) in by_stratum.items()}
    return stats.stratified_proportion(strata)


def _good_or_better(groups: list[dict], frame: dict | None) -> dict:
    """The stratified estimate of good or better, unrounded: the opinion is decided on
    these values and every page rounds them only to print them (audits/core/display.py)."""
    by_stratum = _count(groups, "stratum")
    sizes = (frame or {}).get("strata") or {}
    coverage = _coverage(by_stratum, sizes)
    if not groups:
        return {
            "estimate": None,
            "low": None,
            "high": None,
            "audited": 0,
            "good": 0,
            "coverage": coverage,
        }
    estimate, low, high = _stratified(by_stratum, sizes)
    return {
        "estimate": estimate,
        "low": low,
        "high": high,
        "interval_method": INTERVAL_METHOD,
        "audited": sum(n for n, _ in by_stratum.values()),
        "good": sum(good for _, good in by_stratum.values()),
        "coverage": coverage,
    }


def _trend(inputs: dict, current: dict) -> list[dict]:
    """Good or better in each earlier cycle and this one, every one the stratified estimate
    over its own frame (the figure the report headlines), with its 95% interval."""
    rows = []
    for row in inputs["earlier"]:
        counted = {name: (n, good) for name, (_, n, good) in row["strata"].items() if n}
        sizes = {name: size for name, (size, _, _) in row["strata"].items()}
        if not counted:
            continue
        estimate, low, high = _stratified(counted, sizes)
        rows.append(
            {
                "cycle": row["cycle"],
                "period_end": row["period_end"],
                "audited": sum(n for n, _ in counted.values()),
                "good_or_better": estimate,
                "low": low,
                "high": high,
            }
        )
    if current["audited"]:
        rows.append(
            {
                "cycle": inputs["cycle"]["name"],
                "period_end": inputs["cycle"]["period_end"],
                "audited": current["audited"],
                "good_or_better": current["estimate"],
                "low": current["low"],
                "high": current["high"],
            }
        )
    return rows
