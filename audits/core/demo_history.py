"""The demo council's history, as plain data: which quarters its cycles cover and what an
auditor answers on a case. Pure and deterministic: the same seed, form and case give the
same answers on every run, with no random state kept between calls.

Grades are skewed by team (some teams do well, some need help), so the funnel plot and the
opinion have something to say; rationales and themes come from short phrase lists."""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from audits.core.grading import questions

# How well each team's casework is going, on the 1-4 scale (unlisted teams: 2.8).
TEAM_LEVEL = {
    "Front Door": 3.2,
    "Assessment North": 3.1,
    "Assessment South": 2.2,
    "Child in Need East": 2.9,
    "Child in Need West": 2.4,
    "Child Protection One": 3.0,
    "Child Protection Two": 1.9,
    "Children Looked After": 3.3,
    "Care Leavers": 2.6,
    "Early Help": 3.4,
    "Disabled Children": 2.7,
}
DEFAULT_LEVEL = 2.8
STRENGTHS = [
    "The child's voice is clear throughout the record",
    "The plan is specific and reviewed on time",
    "Management oversight is recorded and shapes the work",
    "Partner agencies share information promptly",
    "Visits are regular and purposeful",
]
WORRIES = [
    "The chronology stops several months ago",
    "Actions from the last review are not followed up",
    "The assessment repeats the referral without analysis",
    "There is no record of the child being seen alone",
    "Drift between the strategy discussion and the plan",
]
ACTIONS = [
    "Bring the chronology up to date",
    "See the child alone at the next visit and record what they say",
    "Follow up the actions agreed at the last review",
    "Add analysis of risk to the assessment",
    "Record the manager's decision on the plan",
]
TEXT_ANSWER = "Recorded from the case file during the demo audit."


@dataclass(frozen=True)
class Quarter:
    label: str
    start: date
    end: date


def quarter_of(day: date) -> Quarter:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    end = next_start - timedelta(days=1)
    return Quarter(f"{start:%B} to {end:%B %Y}", start, end)


def quarters_to(today: date, before: int) -> list[Quarter]:
    """The ``before`` quarters before today's, oldest first, then today's quarter."""
    quarters = [quarter_of(today)]
    for _ in range(before):
        quarters.insert(0, quarter_of(quarters[0].start - timedelta(days=1)))
    return quarters


def unit(*parts) -> float:
    """A number in [0, 1) fixed by ``parts``."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick(items: list, *parts):
    return items[int(unit(*parts) * len(items))]


def case_level(seed: int, team: str, case_ref: str, lift: float = 0.0) -> int:
    """The grade a careful auditor would give the case overall: the team's level (raised
    by ``lift`` as practice improves), moved by up to a grade either way for this case."""
    level = TEAM_LEVEL.get(team, DEFAULT_LEVEL) + lift + (unit(seed, "case", case_ref) - 0.5) * 2
    return max(1, min(4, round(level)))


def server_random(seed: int, label: str) -> str:
    """The demo's stand-in for the server's random bits of a draw (64 hex digits)."""
    return hashlib.sha256(f"caseassure-demo:{seed}:{label}".encode()).hexdigest()


def audit_answers(
    *,
    seed: int,
    definition: dict,
    themes: list[str],
    team: str,
    case_ref: str,
    auditor: str,
    shift: int = 0,
    lift: float = 0.0,
) -> dict:
    """A complete, submittable set of changes for ``audit_save``: every question answered,
    the overall grade no better than a limiting answer, a rationale and two themes.
    ``shift`` moves this auditor's view of the case (a second audit that disagrees); ``lift``
    raises every team's level (a later quarter, after the actions of an earlier one).
    A limiting question is never graded below the case's level, so the overall grade is
    the level, not dragged down by noise."""
    level = max(1, min(4, case_level(seed, team, case_ref, lift) + shift))
    answers: dict = {}
    for question in questions(definition):
        key, kind = question["key"], question["kind"]
        here = (seed, case_ref, auditor, key)
        if kind == "grade":
            step = pick([0, 0, 0, 0, 1] if question.get("limiting") else [-1, 0, 0, 0, 0, 1], *here)
            answers[key] = max(1, min(4, level + step))
        elif kind == "yes_no_na":
            answers[key] = "yes" if unit(*here) < 0.25 + 0.18 * level else "no"
        elif kind == "choice":
            answers[key] = pick(question["choices"], *here)
        elif kind == "number":
            answers[key] = 30 + int(unit(*here) * 600)
        elif kind == "date":
            answers[key] = "2025-01-15"
        elif kind == "text":
            answers[key] = TEXT_ANSWER
    limiting = [answers[q["key"]] for q in questions(definition) if q.get("limiting")]
    overall = min([level, *limiting])
    good = pick(STRENGTHS, seed, case_ref, auditor, "strength")
    worry = pick(WORRIES, seed, case_ref, auditor, "worry")
    rationale = f"{good}. {worry}." if overall >= 3 else f"{worry}. {good}, but not enough."
    first = int(unit(seed, case_ref, "theme") * len(themes)) if themes else 0
    chosen = sorted({themes[first], themes[(first + 1 + level) % len(themes)]}) if themes else []
    return {"answers": answers, "overall_grade": overall, "rationale": rationale, "themes": chosen}
