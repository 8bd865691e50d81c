"""The grading form, rendered from the audit's template: questions with their guidance, the
grade scale, themes and the free-text fields; and the posted form turned back into the
changes ``audit_save`` takes. The service checks every value; this only shapes them."""

from datetime import date

from django import forms

from audits.core import grading
from audits.models import Audit
from audits.web.dates import PARTS, DayMonthYearField, one_box

YES_NO_NA_LABELS = {"yes": "Yes", "no": "No", "na": "Not applicable"}
FIELD_LABELS = {
    "overall_grade": "Overall grade",
    "rationale": "Rationale for the overall grade",
    "themes": "Themes",
    "strengths": "Strengths",
    "improvements": "What would improve the work",
}


def _name(key: str) -> str:
    return f"answer-{key}"


def values_from_audit(audit: Audit) -> dict:
    def text(value):
        return "" if value is None else str(value)

    return {
        "answers": {key: text(value) for key, value in audit.answers.items()},
        "overall_grade": text(audit.overall_grade),
        "themes": list(audit.themes),
        **{field: getattr(audit, field) for field in grading.TEXT_FIELDS},
    }


# A date question is three boxes, day, month and year, like every date on the pages.
DATE_ANSWER = DayMonthYearField(what="the date", required=False)


def _posted_date(post, name: str) -> list[str]:
    """The day, month and year typed; one ISO date posted (a script, an older page) too."""
    parts = [post.get(f"{name}_{part}", "") for part in PARTS]
    if not any(part.strip() for part in parts) and post.get(name, "").strip():
        return one_box(post[name])
    return parts


def date_parts(value) -> list[str]:
    """A date answer as its day, month and year: typed (a list) or saved (ISO)."""
    if isinstance(value, list):
        return [str(part) for part in value]
    if not value:
        return ["", "", ""]
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return one_box(str(value))
    return [str(day.day), str(day.month), str(day.year)]


def read_date(value) -> tuple[str | None, str]:
    """(the ISO date or None when left blank, ""), or (None, what is wrong with it)."""
    try:
        day = DATE_ANSWER.clean(date_parts(value))
    except forms.ValidationError as error:
        return None, error.messages[0]
    return (day.isoformat() if day else None), ""


def values_from_post(template, post) -> dict:
    return {
        "answers": {
            q["key"]: _posted_date(post, _name(q["key"]))
            if q["kind"] == "date"
            else post.get(_name(q["key"]), "")
            for q in grading.questions(template.definition)
        },
        "overall_grade": post.get("overall_grade", ""),
        "themes": post.getlist("themes"),
        **{field: post.get(field, "") for field in grading.TEXT_FIELDS},
    }


def _number(raw: str):
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw  # the service answers "must be a number"


def date_problems(template, values: dict) -> dict[str, list[str]]:
    """What is wrong with each date typed ("The date must include a month"), by the name a
    service error would give it."""
    problems = {}
    for question in grading.questions(template.definition):
        if question["kind"] == "date":
            _day, problem = read_date(values["answers"].get(question["key"]))
            if problem:
                problems[f"answers.{question['key']}"] = [problem]
    return problems


def changes_from_values(template, values: dict) -> dict:
    """The changes for ``audit_save``: every question of the form, blank ones cleared; a
    date that is not whole or not real is left out (kept as saved; ``date_problems`` says
    why)."""
    answers = {}
    for question in grading.questions(template.definition):
        raw = values["answers"].get(question["key"], "")
        if question["kind"] == "date":
            day, problem = read_date(raw)
            if not problem:
                answers[question["key"]] = day
            continue
        if question["kind"] != "text":
            raw = raw.strip()
        if raw == "":
            answers[question["key"]] = None
        elif question["kind"] == "number":
            answers[question["key"]] = _number(raw)
        else:
            answers[question["key"]] = raw
    overall = values["overall_grade"].strip()
    return {
        "answers": answers,
        "overall_grade": _grade(overall),
        "themes": values["themes"],
        **{field: values[field] for field in grading.TEXT_FIELDS},
    }


def _grade(raw: str):
    if raw == "":
        return None
    return int(raw) if raw.isascii() and raw.isdigit() else raw


def scale_choices(scale: dict[int, str]) -> list[tuple[str, str]]:
    return [(str(grade), f"{grade} \N{EN DASH} {label}") for grade, label in sorted(scale.items())]


def _options(question: dict, scale: dict[int, str]) -> list[tuple[str, str]]:
    if question["kind"] == "grade":
        return [
            (str(grade), f"{grade} \N{EN DASH} {label}") for grade, label in sorted(scale.items())
        ]
    if question["kind"] == "yes_no_na":
        return list(YES_NO_NA_LABELS.items())
    if question["kind"] == "choice":
        return [(choice, choice) for choice in question.get("choices", [])]
    return []


def radio_options(name: str, choices, checked) -> list[dict]:
    """Radio buttons or checkboxes; the first carries the field's id so an error links to it."""
    chosen = set(checked) if isinstance(checked, list) else {checked}
    return [
        {
            "value": value,
            "label": label,
            "id": name if index == 0 else f"{name}-{index + 1}",
            "checked": value in chosen,
        }
        for index, (value, label) in enumerate(choices)
    ]


def _answered(value) -> bool:
    return value not in (None, "", [])


def sections(template, values: dict, field_errors: dict) -> list[dict]:
    """The form's sections, each question ready for the template, with how many of its
    questions have an answer (for the section navigation)."""
    scale = template.scale
    shaped = []
    for number, section in enumerate(template.definition.get("sections", []), start=1):
        items = []
        for question in section.get("questions", []):
            name = _name(question["key"])
            value = values["answers"].get(question["key"], "")
            item = {
                **question,
                "id": name,
                "name": name,
                "value": value,
                "errors": field_errors.get(name, []),
                "options": radio_options(name, _options(question, scale), value),
            }
            if question["kind"] == "date":
                item.update(zip(PARTS, date_parts(value), strict=True))
                item["value"] = "" if not any(date_parts(value)) else value
            items.append(item)
        shaped.append(
            {
                "title": section.get("title", ""),
                "anchor": f"section-{number}",
                "questions": items,
                "answered": sum(_answered(item["value"]) and not item["errors"] for item in items),
                "total": len(items),
            }
        )
    return shaped


def overall_fields(template, values: dict, field_errors: dict) -> dict:
    return {
        "grades": radio_options(
            "overall_grade", scale_choices(template.scale), values["overall_grade"]
        ),
        "themes": radio_options("themes", [(t, t) for t in template.themes], values["themes"]),
        "errors": field_errors,
    }


def in_form_order(template, fields: dict) -> dict:
    """Errors in the order the form asks its questions (the summary lists them so)."""
    order = {name: index for index, name in enumerate(labels(template))}
    return dict(sorted(fields.items(), key=lambda item: order.get(item[0], len(order))))


def labels(template) -> dict[str, str]:
    """Words for each field a service error may name, for the error summary."""
    questions = grading.questions(template.definition)
    return {**{f"answers.{q['key']}": q["text"] for q in questions}, **FIELD_LABELS}


def _in_words(question: dict, value, scale: dict[int, str]) -> str:
    if question["kind"] == "grade":
        return f"{value} \N{EN DASH} {scale.get(value, value)}"
    if question["kind"] == "yes_no_na":
        return YES_NO_NA_LABELS.get(value, str(value))
    if question["kind"] == "date":
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return f"{day.day} {day:%B %Y}"  # 15 January 2026
    return str(value)


def check_rows(audit: Audit, field_errors: dict) -> list[dict]:
    """Every question of the audit with its saved answer in words, for "check your
    answers": each row links back to its field on the grading form."""
    scale = audit.template.scale
    shaped = []
    for number, section in enumerate(audit.template.definition.get("sections", []), start=1):
        rows = []
        for question in section.get("questions", []):
            value = audit.answers.get(question["key"])
            name = _name(question["key"])
            rows.append(
                {
                    "label": question["text"],
                    "field": name,
                    "answer": "" if value is None else _in_words(question, value, scale),
                    "optional": not question.get("required"),
                    "errors": field_errors.get(name, []),
                }
            )
        shaped.append(
            {"title": section.get("title", ""), "anchor": f"section-{number}", "rows": rows}
        )
    return shaped


def overall_rows(audit: Audit, field_errors: dict) -> list[dict]:
    grade = audit.overall_grade
    words = {
        "overall_grade": ""
        if grade is None
        else _in_words({"kind": "grade"}, grade, audit.template.scale),
        "rationale": audit.rationale,
        "themes": ", ".join(audit.themes),
        "strengths": audit.strengths,
        "improvements": audit.improvements,
    }
    return [
        {
            "label": FIELD_LABELS[field],
            "field": field,
            "answer": answer,
            "optional": field != "overall_grade",
            "errors": field_errors.get(field, []),
        }
        for field, answer in words.items()
    ]
