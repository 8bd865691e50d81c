"""How figures are written for people: the one place that rounds, for every page, the PDF
and the opinion's sentences. Pure.

Decisions are taken on unrounded values (audits/core/opinion.py); rounding is for display only,
and a value that failed a threshold must never print as if it met it: 0.799979 against
"at least 80%" reads "79.99%", not "80.0%".
"""

NOT_MEASURED = "not measured"
# Digits tried beyond the usual before a failing value is written in words instead.
_EXTRA_PLACES = 3


def percent(value: float | None, places: int = 1) -> str:
    """0.2134 -> "21.3%"; None -> "not measured"."""
    return NOT_MEASURED if value is None else f"{value * 100:.{places}f}%"


def threshold_percent(threshold: float) -> str:
    """A threshold as people set it: 0.8 -> "80%", 0.875 -> "87.5%"."""
    return f"{round(threshold * 100, 6):g}%"


def _below(value: float, threshold: float, places: int, scale: float, suffix: str) -> str:
    """A value under its threshold, with as many places as it takes to read as under it;
    past a few more places, in words."""
    for digits in range(places, places + _EXTRA_PLACES + 1):
        shown = f"{value * scale:.{digits}f}"
        if float(shown) < threshold * scale:
            return f"{shown}{suffix}"
    return f"just below {round(threshold * scale, 6):g}{suffix}"


def percent_against(value: float, threshold: float, places: int = 1) -> str:
    """A percentage printed beside the threshold it was tested against."""
    if value >= threshold:
        return percent(value, places)
    return _below(value, threshold, places, 100, "%")


def decimal_against(value: float, threshold: float, places: int = 3) -> str:
    """A coefficient (alpha, kappa) printed beside the threshold it was tested against."""
    if value >= threshold:
        return f"{value:.{places}f}"
    return _below(value, threshold, places, 1, "")


def interval(low: float | None, high: float | None) -> str:
    return NOT_MEASURED if low is None or high is None else f"{percent(low)} to {percent(high)}"


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else NOT_MEASURED


def headline(figures: dict) -> dict[str, str]:
    """The key figures as every page and the PDF print them, from one figures dict: the
    same words and digits on the dashboard, the report pages and the PDF."""
    summary = figures.get("summary") or {}
    good = summary.get("good_or_better") or {}
    coverage = good.get("coverage") or {}
    audited, sampled = summary.get("audited"), summary.get("sampled")
    completion = NOT_MEASURED
    if isinstance(audited, int) and isinstance(sampled, int):
        completion = (
            f"{audited:,} of {sampled:,} cases in the sample "
            f"({percent(summary.get('completion_rate'))})"
        )
    missing = coverage.get("unaudited_strata") or []
    share = coverage.get("share_of_frame")
    if not coverage:
        scope = NOT_MEASURED
    elif missing:
        scope = (
            f"Only the audited strata: {_count(coverage.get('population_covered'))} of "
            f"{_count(coverage.get('population'))} cases in the frame ({percent(share)}). "
            f"No audit was completed in {', '.join(missing)}."
        )
    else:
        scope = f"All {_count(coverage.get('population'))} cases in the frame"
    return {
        "good_or_better": percent(good.get("estimate")),
        "interval": interval(good.get("low"), good.get("high")),
        "lower_end": percent(good.get("low")),
        "completion": completion,
        "scope": scope,
        "interim": "Interim" if figures.get("interim") else "",
    }
