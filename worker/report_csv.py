"""The assurance report as CSV: one row per audit, for a spreadsheet (DESIGN.md section 7).

Anyone can recompute the report's headline figures from this file and data.json without
CaseAssure (audits/standalone/recompute_report.py): each row says its role (primary, second,
follow-up), the team when the audit was completed (the one the figures use) and the
case's team now, its stratum, every grade (overall, moderated, final and one column per
domain) and whether it counts in the estimate.

Pure: rows of plain dicts in, text out. Themes are joined with "; " so each audit stays on
one row. Council staff open these files in Excel, which runs a cell
that starts with = + - or @ as a formula; such text is prefixed with an apostrophe, the
usual guard against formula injection, so a case note can never run as a formula.
"""

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from audits.core.spreadsheet import spreadsheet_safe

CSV_COLUMNS = [
    "case_ref",
    "role",
    "status",
    "counts_in_estimate",
    "stratum",
    "team_at_completion",
    "current_team",
    "case_type",
    "auditor",
    "overall_grade",
    "moderated_grade",
    "reconciled_grade",
    "final_grade",
    "themes",
]
# Then one column per domain of the form: "domain: Planning" holds the audit's final
# grade in that domain (the median of its questions, a half when it falls between).
DOMAIN_PREFIX = "domain: "
JOIN = "; "


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
    return spreadsheet_safe(text)


def _role(row: Mapping) -> str:
    role = str(row.get("role") or "")
    if not row.get("follow_up"):
        return role
    return "follow-up" if role in ("primary", "") else f"follow-up {role}"


def csv_row(row: Mapping) -> dict[str, str]:
    """One audit as the strings written to the file."""
    values = {column: _plain(row.get(column)) for column in CSV_COLUMNS}
    values["role"] = _role(row)
    values["counts_in_estimate"] = _plain(bool(row.get("counts_in_estimate")))
    values["themes"] = _joined(row.get("themes"))
    for domain, grade in (row.get("domain_grades") or {}).items():
        values[f"{DOMAIN_PREFIX}{domain}"] = _plain(grade)
    return {column: _safe(value) for column, value in values.items()}


def csv_columns(rows: Iterable[Mapping]) -> list[str]:
    """The fixed columns, then one per domain any audit was graded in, by name."""
    domains = sorted({domain for row in rows for domain in (row.get("domain_grades") or {})})
    return [*CSV_COLUMNS, *(f"{DOMAIN_PREFIX}{domain}" for domain in domains)]


def render_csv(rows: Iterable[dict], stream: TextIO, domains: Iterable[str] | None = None) -> None:
    """Write a header and one line per audit to ``stream`` (open it with newline="").
    Given the ``domains`` any audit was graded in, the rows are read once, one at a time."""
    if domains is None:
        rows = list(rows)
        columns = csv_columns(rows)
    else:
        columns = [*CSV_COLUMNS, *(f"{DOMAIN_PREFIX}{domain}" for domain in sorted(domains))]
    writer = csv.DictWriter(stream, fieldnames=columns, restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row(row))
