"""The pure grading rules: form checks, answer types, required, limiting, median."""

import json
from pathlib import Path

import pytest

from audits.core import grading

DEFAULT = json.loads(
    (Path(__file__).parent.parent / "audits" / "fixtures" / "default_template.json").read_text()
)
FORM = {
    "sections": [
        {
            "title": "Risk",
            "questions": [
                {
                    "key": "risk",
                    "text": "Risk managed?",
                    "kind": "grade",
                    "required": True,
                    "domain": "Risk",
                    "limiting": True,
                },
                {
                    "key": "plan",
                    "text": "Plan SMART?",
                    "kind": "grade",
                    "required": True,
                    "domain": "Planning",
                },
                {
                    "key": "voice",
                    "text": "Voice heard?",
                    "kind": "grade",
                    "required": False,
                    "domain": "Voice",
                },
                {"key": "seen", "text": "Child seen?", "kind": "yes_no_na", "required": True},
                {
                    "key": "kind",
                    "text": "Audit kind",
                    "kind": "choice",
                    "choices": ["Desk", "Collaborative"],
                },
                {"key": "days", "text": "Days open", "kind": "number"},
                {"key": "visit", "text": "Last visit", "kind": "date"},
                {"key": "notes", "text": "Notes", "kind": "text"},
            ],
        }
    ]
}


def test_the_default_form_is_sound_and_about_25_questions():
    assert grading.check_definition(DEFAULT["definition"]) == []
    questions = grading.questions(DEFAULT["definition"])
    assert 22 <= len(questions) <= 28
    domains = {q["domain"] for q in questions if q["domain"]}
    assert {
        "Risk",
        "Assessment",
        "Planning",
        "Voice of the child",
        "Management oversight",
        "Multi-agency working",
        "Outcomes",
        "Recording",
    } <= domains
    assert any(q["limiting"] for q in questions)
    assert "Drift and delay" in DEFAULT["themes"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda f: f["sections"][0]["questions"].append(dict(f["sections"][0]["questions"][0])),
            "used twice",
        ),
        (lambda f: f["sections"][0]["questions"][0].update(kind="stars"), "has kind"),
        (lambda f: f["sections"][0]["questions"][3].update(limiting=True), "only grade questions"),
        (lambda f: f["sections"][0]["questions"][4].update(choices=["only one"]), "two choices"),
        (lambda f: f["sections"][0]["questions"][0].update(key="Bad Key"), "lower-case"),
        (lambda f: f["sections"].append({"title": "", "questions": []}), "needs a title"),
    ],
)
def test_a_broken_form_is_explained(change, problem):
    form = json.loads(json.dumps(FORM))
    change(form)
    assert any(problem in message for message in grading.check_definition(form))


def test_answers_are_type_checked_and_unknown_keys_refused():
    clean, errors = grading.clean_answers(
        FORM,
        {
            "risk": "3",
            "seen": "maybe",
            "kind": "Desk",
            "days": float("nan"),
            "visit": "2026-02-30",
            "notes": "fine",
            "ghost": 1,
            "plan": None,
        },
    )
    assert clean == {"risk": 3, "kind": "Desk", "notes": "fine"}
    assert set(errors) == {"answers.seen", "answers.days", "answers.visit", "answers.ghost"}
    assert grading.clean_answers(FORM, {"risk": 5})[1] == {
        "answers.risk": ["Choose a grade from 1 to 4"]
    }
    assert grading.clean_answers(FORM, {"risk": True})[1]
    assert grading.clean_answers(FORM, ["risk"])[1] == {
        "answers": ["must be an object of question key to answer"]
    }


def test_required_answers_and_an_overall_grade_are_needed_to_submit():
    errors = grading.submission_errors(FORM, {"risk": 3}, overall_grade=None, rationale="")
    assert set(errors) == {"answers.plan", "answers.seen", "overall_grade"}


def test_the_overall_grade_is_no_better_than_a_limiting_judgement():
    answers = {"risk": 2, "plan": 3, "voice": 3, "seen": "yes"}
    errors = grading.submission_errors(FORM, answers, overall_grade=3, rationale="because")
    assert "Requires improvement" in errors["overall_grade"][0]
    assert grading.submission_errors(FORM, answers, overall_grade=2, rationale="because") == {}


def test_an_overall_grade_away_from_the_domain_median_needs_a_rationale():
    answers = {"risk": 4, "plan": 4, "voice": 2, "seen": "yes"}  # median of domains = 4
    errors = grading.submission_errors(FORM, answers, overall_grade=2, rationale="")
    assert "median" in errors["rationale"][0]
    assert grading.submission_errors(FORM, answers, overall_grade=2, rationale="Drift.") == {}
    assert grading.submission_errors(FORM, answers, overall_grade=4, rationale="") == {}
    # A median between two grades accepts either neighbour.
    answers = {"risk": 4, "plan": 3, "seen": "yes"}
    assert grading.submission_errors(FORM, answers, overall_grade=3, rationale="") == {}
    assert grading.submission_errors(FORM, answers, overall_grade=4, rationale="") == {}


@pytest.mark.parametrize(
    ("grades", "domain_grade"),
    [
        ([1, 2], 1),
        ([2, 3], 2),
        ([3, 4], 3),
        ([1, 2, 3, 4], 2),
        ([1, 3], 2),  # the median is a grade itself
        ([2, 2, 3], 2),
        ([3, 3, 4, 4], 3),
        ([4], 4),
    ],
)
def test_a_domain_median_between_two_grades_goes_to_the_lower_grade(grades, domain_grade):
    # Issue 13, finding 10: halves were rounded to even (1.5 -> 2, 2.5 -> 2, 3.5 -> 4), a
    # rule nobody chose. Ties now go down, never up.
    assert grading.domain_grade(grades) == domain_grade
    form = {
        "sections": [
            {
                "title": "Planning",
                "questions": [
                    {"key": f"q{i}", "text": "Q", "kind": "grade", "domain": "Planning"}
                    for i in range(len(grades))
                ],
            }
        ]
    }
    answers = {f"q{i}": grade for i, grade in enumerate(grades)}
    assert grading.domain_grades(form, answers) == {"Planning": domain_grade}
    assert grading.audit_summary(form, answers=answers, overall_grade=3)["domain_grades"] == {
        "Planning": domain_grade
    }
