"""The assurance report as CSV: one row per audit, for a spreadsheet (DESIGN.md section 7).

Pure: rows of plain dicts in, text out. Lists (domain grades, themes) are joined with "; "
so each audit stays on one row. Council staff open these files in Excel, which runs a cell
that starts with = + - or @ as a formula; such text is prefixed with an apostrophe, the
usual guard against formula injection, so a case note can never run as a formula.
"""

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

CSV_COLUMNS = [
    "case_ref",
    "team",
    "case_type",
    "stratum",
    "auditor",
    "overall_grade",
    "moderated_grade",
    "final_grade",
    "domain_grades",
    "themes",
    "status",
    "follow_up",
]
JOIN = "; "
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _joined(value: Any) -> str:
    """Join a list, or a mapping of name -> grade as "name: grade", with "; "."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return JOIN.join(f"{name}: {_plain(grade)}" for name, grade in value.items())
    if isinstance(value, str):
        return value
    parts = []
    for item in value:
        if isinstance(item, Mapping) and "domain" in item:
            parts.append(f"{item['domain']}: {_plain(item.get('grade'))}")
        else:
            parts.append(_plain(item))
    return JOIN.join(parts)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_row(row: Mapping) -> dict[str, str]:
    """One audit as the strings written to the file."""
    values = {column: _plain(row.get(column)) for column in CSV_COLUMNS}
    values["domain_grades"] = _joined(row.get("domain_grades"))
    values["themes"] = _joined(row.get("themes"))
    return {column: _safe(value) for column, value in values.items()}


def render_csv(rows: Iterable[dict], stream: TextIO) -> None:
    """Write a header and one line per audit to ``stream`` (open it with newline="")."""
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row(row))
