"""The report's section on practitioners' responses to the final findings, as reportlab
flowables. Self-contained: the PDF module passes its own styles."""

from collections.abc import Mapping
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

HELD_AS = {"worker": "allocated worker", "manager": "team manager"}
VERDICT_WORDS = {
    "agree": "agreed",
    "agree_with_comments": "agreed with comments",
    "disagree": "disagreed",
}


def practitioner_responses_flowables(figures: Mapping, *, heading, body) -> list:
    """Heading, the response rate (or "not measured"), the verdicts and every disagreement
    with its reason, from ``figures["practitioner_responses"]``."""
    found = figures.get("practitioner_responses") or {}
    parts = [Paragraph("Practitioners' responses", heading)]
    counted, answered = found.get("counted", 0), found.get("answered", 0)
    rate = found.get("rate")
    if rate is None:
        parts.append(
            Paragraph(
                "Response rate: not measured. No final audit had been answered or had reached "
                "the end of its time to respond when this report was compiled.",
                body,
            )
        )
    else:
        parts.append(
            Paragraph(
                f"Response rate: {rate * 100:.0f}%. Of {counted} final audits that were "
                f"answered or whose time to respond had ended, {answered} were answered by the "
                "case's worker or manager at the time of the audit. "
                f"{found.get('awaiting', 0)} more are still within their time to respond.",
                body,
            )
        )
    verdicts = found.get("verdicts") or {}
    if found.get("responses"):
        words = ", ".join(f"{verdicts.get(key, 0)} {word}" for key, word in VERDICT_WORDS.items())
        parts.append(Paragraph(f"Of {found['responses']} responses: {words}.", body))
    disagreements = found.get("disagreements") or []
    if disagreements:
        parts.append(Paragraph(f"Disagreements ({len(disagreements)}):", body))
        for row in disagreements:
            who = HELD_AS.get(row.get("held_as"), "practitioner")
            case_ref, reason = escape(str(row.get("case_ref"))), escape(row.get("reason") or "")
            text = f"Case {case_ref} ({who}): {reason}"
            parts.append(Paragraph(text, body))
    else:
        parts.append(Paragraph("No practitioner disagreed with the findings.", body))
    return parts
