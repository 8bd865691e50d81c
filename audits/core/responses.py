"""What practitioners said about the final findings of a cycle's audits, as report figures.

The response rate counts an audit once it can be judged: it was answered (by the case's
worker or manager at the time), or the window to answer has closed. An audit still inside
its window and not yet answered counts in neither part, so a report compiled the day after
moderation does not read as "nobody answered". With no audit to count, the rate is not
measured (None), never 0%.
"""

from collections import Counter

VERDICTS = ("agree", "agree_with_comments", "disagree")


def response_figures(audits: list[dict]) -> dict:
    """``audits``: one dict per final primary audit of the cycle with ``audit``,
    ``case_ref``, ``window_closed`` (bool) and ``responses`` (dicts with ``verdict``,
    ``held_as`` and ``comment``). Returns the counts, the rate and the disagreements."""
    answered = [a for a in audits if a["responses"]]
    counted = [a for a in audits if a["responses"] or a["window_closed"]]
    verdicts = Counter(r["verdict"] for a in audits for r in a["responses"])
    disagreements = [
        {
            "audit": a["audit"],
            "case_ref": a["case_ref"],
            "held_as": r["held_as"],
            "reason": r["comment"],
        }
        for a in sorted(audits, key=lambda row: row["case_ref"])
        for r in a["responses"]
        if r["verdict"] == "disagree"
    ]
    return {
        "final_audits": len(audits),
        "counted": len(counted),
        "answered": len(answered),
        "rate": len(answered) / len(counted) if counted else None,
        "awaiting": len(audits) - len(counted),
        "responses": sum(verdicts.values()),
        "verdicts": {verdict: verdicts.get(verdict, 0) for verdict in VERDICTS},
        "disagreement_count": len(disagreements),
        "disagreements": disagreements,
    }
