"""The report's section on external access: who from outside could read the cycle's sample
and audits (a peer review team, an inspector), for what, when, and how many reads they made,
from ``figures["external_access"]``. Self-contained: the PDF module passes its own styles."""

from collections.abc import Mapping
from datetime import date
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph


def _day(text: str | None) -> str:
    if not text:
        return ""
    day = date.fromisoformat(text)
    return f"{day.day} {day:%B %Y}"


def external_access_flowables(figures: Mapping, *, heading, body) -> list:
    rows = figures.get("external_access") or []
    parts = [Paragraph("External access", heading)]
    if not rows:
        parts.append(Paragraph("Nobody from outside the council was given access.", body))
        return parts
    parts.append(
        Paragraph(
            f"{len(rows)} grant{'s' if len(rows) != 1 else ''} of read-only access to this "
            "cycle. Every read is recorded; the count is of pages read.",
            body,
        )
    )
    for row in rows:
        what = row.get("scope", "")
        if row.get("cases"):
            what += f" of {row['cases']} cases"
        ended = f", withdrawn on {_day(row['withdrawn_on'])}" if row.get("withdrawn_on") else ""
        text = (
            f"{escape(row.get('person', ''))} ({escape(row.get('organisation', ''))}), "
            f"{escape(str(row.get('purpose', '')).lower())}: {escape(what.lower())}, from "
            f"{_day(row.get('starts_on'))} to {_day(row.get('ends_on'))}{ended}; "
            f"{row.get('reads', 0)} read{'s' if row.get('reads', 0) != 1 else ''}."
        )
        parts.append(Paragraph(text, body))
    return parts
