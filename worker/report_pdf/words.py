"""Plain words for values: every figure may be None ("not measured") or of an unexpected
type, and the report then says so in words instead of failing."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from itertools import chain
from typing import Any

from django.utils.text import slugify

from audits.core.display import NOT_MEASURED, case_type_words, interval, percent, stratum_words


def section(figures: Any, *keys: str) -> Mapping:
    """The nested mapping at keys, or {} when any level is missing or None."""
    for key in keys:
        figures = figures.get(key) if isinstance(figures, Mapping) else None
    return figures if isinstance(figures, Mapping) else {}


def records(mapping: Mapping, key: str) -> list[Mapping]:
    value = mapping.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def as_text(value: Any) -> str:
    return NOT_MEASURED if value is None or value == "" else str(value)


def as_count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else as_text(value)


def as_decimal(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value:.2f}"


def as_yes_no(value: bool | None) -> str:
    return NOT_MEASURED if value is None else ("Yes" if value else "No")


def as_date(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return as_text(value)
    return f"{day.day} {day:%B %Y}"


def as_datetime(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return as_text(value)
    offset = moment.utcoffset()
    zone = "" if offset is None else (" UTC" if not offset else f" (UTC{moment:%z})")
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M}{zone}"


def as_limits(pair: Any) -> str:
    return interval(*pair) if isinstance(pair, list | tuple) and len(pair) == 2 else NOT_MEASURED


def with_rate(count: int | None, rate: float | None) -> str:
    return as_count(count) if rate is None else f"{as_count(count)} ({percent(rate)})"


def opinion_words(level: str | None) -> str:
    if not level:
        return "No opinion formed"
    return level if level.lower().endswith("assurance") else f"{level} assurance"


def staff_names(figures: Mapping, appendix_rows: Iterable[Mapping] = ()) -> dict[str, str]:
    """Staff reference -> how the report names the person: by name, with the reference
    added only where two people in the report share that name, and by the reference alone
    where no name is known (the appendix's and the overrides' auditors)."""
    overrides = records(section(figures, "methodology"), "overrides")
    known = getattr(appendix_rows, "auditors", lambda: None)()  # without reading the rows
    rows = chain(() if known is not None else appendix_rows, overrides)
    people = {(str(r["auditor"]), r.get("auditor_name") or "") for r in rows if r.get("auditor")}
    people |= known or set()
    refs_by_name: dict[str, set[str]] = defaultdict(set)
    for ref, name in people:
        refs_by_name[name].add(ref)
    return {
        ref: ref if not name else name if len(refs_by_name[name]) == 1 else f"{name} ({ref})"
        for ref, name in people
    }


def team_names(figures: Mapping) -> dict[str, str]:
    """Stratum label (a team's name as a slug) -> the team's name, from the teams the report
    names (its findings by team; the figures hold no appendix)."""
    rows = records(section(figures, "findings"), "by_team")
    return {slugify(name): name for name in {str(r["team"]) for r in rows if r.get("team")}}


def case_type_text(value: Any) -> str:
    """'care_leaver' -> 'Care leaver'."""
    return as_text(value) if value in (None, "") else case_type_words(str(value))


def stratum_text(value: Any, teams: Mapping[str, str]) -> str:
    """'assessment-north/cp' -> 'Assessment North, child protection'."""
    return as_text(value) if value in (None, "") else stratum_words(str(value), teams)
