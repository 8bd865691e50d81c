"""How figures are written for people: the one place that rounds, for every page, the PDF
and the opinion's sentences. Pure.

Decisions are taken on unrounded values (audits/core/opinion.py); rounding is for display only,
and a value that failed a threshold must never print as if it met it: 0.799979 against
"at least 80%" reads "79.99%", not "80.0%".

It also holds the words for the codes a page or the PDF would otherwise print: case types,
strata, roles (the independence rules' words are in audits/core/rules.py).
"""

from collections.abc import Mapping

NOT_MEASURED = "not measured"
# The stratum of a cycle drawn without strata.
ALL_CASES = "all"
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


# --- Codes in words: what a page or the PDF prints instead of a stored code ---------------
CASE_TYPE_WORDS = {
    "referral": "Contact and referral",
    "assessment": "Assessment",
    "cin": "Child in need",
    "cp": "Child protection",
    "cla": "Child looked after",
    "care_leaver": "Care leaver",
    "early_help": "Early help",
}
PERSON_ROLE_WORDS = {
    "auditor": "Auditor",
    "manager": "Manager",
    "internal_auditor": "Internal audit",
    "admin": "Administrator",
    "practitioner": "Practitioner",
    "external_reviewer": "External reviewer",
    # An audit's place in a double audit.
    "primary": "First auditor",
    "second": "Second (blind) auditor",
}


def _code_words(code: str) -> str:
    """A code nobody gave words to, read as words: 'early-help_north' -> 'Early help north'."""
    return str(code).replace("_", " ").replace("-", " ").strip().capitalize()


def case_type_words(code: str) -> str:
    """'cp' -> 'Child protection'; a type added by configuration reads as itself."""
    return CASE_TYPE_WORDS.get(code, _code_words(code))


def role_words(role: str) -> str:
    """'internal_auditor' -> 'Internal audit', 'second' -> 'Second (blind) auditor'."""
    return PERSON_ROLE_WORDS.get(role, _code_words(role))


def stratum_words(stratum: str, team_names: Mapping[str, str] | None = None) -> str:
    """A stratum as people read it: 'assessment-north/cp' -> 'Assessment North, child
    protection', 'cla' -> 'Child looked after', 'all' -> 'All cases'. ``team_names`` maps a
    team's stratum label (its name as a slug) to its name; a label not in it reads as words."""
    stratum = str(stratum)
    names = team_names or {}
    if stratum == ALL_CASES:
        return "All cases"
    team, slash, case_type = stratum.partition("/")
    if slash:
        kind = case_type_words(case_type)
        return f"{names.get(team) or _code_words(team)}, {kind[:1].lower()}{kind[1:]}"
    if stratum in CASE_TYPE_WORDS:
        return CASE_TYPE_WORDS[stratum]
    return names.get(stratum) or _code_words(stratum)
