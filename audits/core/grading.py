"""Grading forms as plain data: checking a template, checking answers, and the rules a
submission must meet (required answers, limiting judgements, the domain median). Pure.

A template definition is ``{"sections": [{"title", "questions": [question, ...]}, ...]}``
where a question is ``{"key", "text", "guidance", "kind", "required", "domain",
"limiting", "choices"}``. Answers are ``{question key: value}``.
"""

import math
import re
from datetime import date
from statistics import median
from typing import Any

KINDS = ("grade", "yes_no_na", "choice", "text", "number", "date")
YES_NO_NA = ("yes", "no", "na")
DEFAULT_SCALE = {1: "Inadequate", 2: "Requires improvement", 3: "Good", 4: "Outstanding"}
# The grades as keys of stored JSON (a form's scale, a distribution of grades).
GRADE_KEYS = tuple(str(grade) for grade in DEFAULT_SCALE)
# Why a submitted audit is moderated (Audit.moderation_reason), and the words for people.
RANDOM_SHARE, INADEQUATE, OUTSTANDING = "random", "inadequate", "outstanding"
MODERATION_REASONS = {
    INADEQUATE: "Inadequate overall",
    OUTSTANDING: "Outstanding overall",
    RANDOM_SHARE: "Random share",
}
GOOD = 3  # "good or better" means a grade of at least this
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_TEXT = 20_000
# An audit's free text beside its answers.
TEXT_FIELDS = ("rationale", "strengths", "improvements")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)  # as every date field of the API
# What to do, in the words of the field's inline error (GOV.UK style: say how to fix it).
NUMBER_HELP = "Enter a number, like 140"
DATE_HELP = "Enter a date, like 2026-03-01"


def _choose_grade(scale: dict[int, str]) -> str:
    return f"Choose a grade from {min(scale)} to {max(scale)}"


def questions(definition: dict) -> list[dict]:
    return [q for section in definition.get("sections", []) for q in section.get("questions", [])]


def check_definition(definition: Any) -> list[str]:
    """Every problem with a template definition, as sentences; [] when it is sound."""
    if not isinstance(definition, dict) or not isinstance(definition.get("sections"), list):
        return ["the definition must be an object with a list of sections"]
    problems: list[str] = []
    seen: set[str] = set()
    if not definition["sections"]:
        problems.append("a form needs at least one section")
    for number, section in enumerate(definition["sections"], start=1):
        if not isinstance(section, dict) or not str(section.get("title", "")).strip():
            problems.append(f"section {number} needs a title")
            continue
        if not isinstance(section.get("questions"), list) or not section["questions"]:
            problems.append(f"section {number} needs at least one question")
            continue
        for question in section["questions"]:
            problems += _check_question(question, seen)
    return problems


def _check_question(question: Any, seen: set[str]) -> list[str]:
    if not isinstance(question, dict):
        return ["each question must be an object"]
    key = question.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        return [f"question key {key!r} must be lower-case letters, digits and _"]
    problems = []
    if key in seen:
        problems.append(f"question key {key!r} is used twice")
    seen.add(key)
    if not str(question.get("text", "")).strip():
        problems.append(f"question {key!r} needs text")
    if question.get("kind") not in KINDS:
        problems.append(f"question {key!r} has kind {question.get('kind')!r}, not one of {KINDS}")
    if question.get("kind") == "choice":
        choices = question.get("choices")
        if (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) and c for c in choices)
        ):
            problems.append(f"question {key!r} needs at least two choices")
    if question.get("limiting") and question.get("kind") != "grade":
        problems.append(f"question {key!r}: only grade questions can be limiting")
    return problems


def _clean_value(question: dict, value: Any, scale: dict[int, str]) -> Any:
    kind = question["kind"]
    if value is None or value == "":
        return None
    if kind == "grade":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(_choose_grade(scale))
        try:
            grade = int(value)
        except ValueError:
            raise ValueError(_choose_grade(scale)) from None
        if grade not in scale:
            raise ValueError(_choose_grade(scale))
        return grade
    if kind == "yes_no_na":
        if value not in YES_NO_NA:
            raise ValueError("Choose yes, no or not applicable")
        return value
    if kind == "choice":
        if value not in question.get("choices", []):
            raise ValueError("Choose one of the answers listed")
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise ValueError("Enter text")
        if len(value) > MAX_TEXT or "\x00" in value:
            raise ValueError(f"Shorten this answer to {MAX_TEXT:,} characters or fewer")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(NUMBER_HELP)
        if not math.isfinite(value) or abs(value) > 1e9:
            raise ValueError("Enter a number smaller than a billion")
        return value
    if not isinstance(value, str):
        raise ValueError(DATE_HELP)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(DATE_HELP) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("Enter a date between 1900 and 2100")
    return day.isoformat()


def clean_answers(
    definition: dict, answers: Any, scale: dict[int, str] = DEFAULT_SCALE
) -> tuple[dict, dict[str, list[str]]]:
    """Type-check answers against the form; return (clean answers, field errors).

    Empty values are dropped (a draft may leave anything blank). Unknown keys are errors,
    so a typo in a client never silently loses an answer.
    """
    if not isinstance(answers, dict):
        return {}, {"answers": ["must be an object of question key to answer"]}
    by_key = {q["key"]: q for q in questions(definition)}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        if key not in by_key:
            errors[f"answers.{key}"] = ["is not a question on this form"]
            continue
        try:
            clean = _clean_value(by_key[key], value, scale)
        except ValueError as problem:
            errors[f"answers.{key}"] = [str(problem)]
            continue
        if clean is not None:
            cleaned[key] = clean
    return cleaned, errors


def domain_grade(grades: list[int]) -> int:
    """A domain's grade: the median of its question grades, where a median between two
    grades goes to the lower one (1.5 -> 1, 2.5 -> 2, 3.5 -> 3). The rule is chosen to be
    conservative: a domain is never reported better than half of its questions were
    graded, and an even split between Requires improvement and Good is not "good"."""
    return math.floor(median(grades))


def domain_grades(definition: dict, answers: dict) -> dict[str, int]:
    """The grade of each domain (``domain_grade``), over the grade questions answered in it."""
    by_domain: dict[str, list[int]] = {}
    for question in questions(definition):
        if question["kind"] == "grade" and question.get("domain") and question["key"] in answers:
            by_domain.setdefault(question["domain"], []).append(answers[question["key"]])
    return {domain: domain_grade(grades) for domain, grades in by_domain.items()}


def submission_errors(
    definition: dict,
    answers: dict,
    *,
    overall_grade: int | None,
    rationale: str,
    scale: dict[int, str] = DEFAULT_SCALE,
) -> dict[str, list[str]]:
    """What stops an audit being submitted, by field; {} when it can be submitted.

    - every required question answered;
    - an overall grade on the scale;
    - the limiting rule: the overall grade is no better than any limiting question's grade;
    - a rationale when the overall grade is not the median of the domain grades (when the
      median falls between two grades, either neighbour counts as the median).
    """
    errors: dict[str, list[str]] = {}
    for question in questions(definition):
        if question.get("required") and question["key"] not in answers:
            errors[f"answers.{question['key']}"] = ["Answer this question"]
    if overall_grade is None:
        errors["overall_grade"] = ["Choose an overall grade"]
        return errors
    if overall_grade not in scale:
        errors["overall_grade"] = [_choose_grade(scale)]
        return errors
    for question in questions(definition):
        grade = answers.get(question["key"])
        if question.get("limiting") and grade is not None and overall_grade > grade:
            errors.setdefault("overall_grade", []).append(
                f"Choose an overall grade no better than {scale[grade]} ({grade}), the limiting "
                f"judgement on '{question['text']}'"
            )
    domains = domain_grades(definition, answers)
    if domains and not (rationale or "").strip():
        middle = median(domains.values())
        if overall_grade not in {math.floor(middle), math.ceil(middle)}:
            errors["rationale"] = [
                f"Explain why the overall grade ({overall_grade}) differs from the median of "
                f"the domain grades ({middle:g})"
            ]
    return errors


def is_good_or_better(grade: int | None) -> bool:
    return grade is not None and grade >= GOOD


def audit_summary(
    definition: dict,
    *,
    answers: dict,
    overall_grade: int | None,
    moderated_answers: dict | None = None,
    moderated_overall_grade: int | None = None,
    themes: list[str] | None = None,
) -> dict:
    """What the assurance figures count of a completed audit: the auditor's overall grade,
    the moderator's (None unless moderated), the final one (the moderator's when moderated),
    the grade of each domain over the final answers (sorted by domain) and the themes
    (sorted)."""
    final_answers = moderated_answers or answers
    return {
        "overall_grade": overall_grade,
        "moderated_grade": moderated_overall_grade,
        "final_grade": moderated_overall_grade or overall_grade,
        "domain_grades": dict(sorted(domain_grades(definition, final_answers).items())),
        "themes": sorted(themes or []),
    }
