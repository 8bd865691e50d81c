"""Grading-form templates: drafts are edited, published versions never change, and an edit
of a published form makes the next version as a new draft."""

import json
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.core import grading
from audits.core.errors import DomainError, StateConflict
from audits.models import Template
from audits.services.history import event_record

EXPORT_FIELDS = ("name", "description", "grade_scale", "themes", "definition")


def _check(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    problems = grading.check_definition(data.get("definition"))
    if problems:
        errors["definition"] = problems
    scale = data.get("grade_scale")
    if scale is not None:
        try:
            grades = sorted(int(grade) for grade in scale)
        except (TypeError, ValueError):
            grades = []
        if len(grades) < 2 or grades != list(range(1, len(grades) + 1)):
            errors["grade_scale"] = ["must number its grades 1, 2, 3, ... in order"]
    themes = data.get("themes", [])
    if not isinstance(themes, list) or not all(isinstance(t, str) and t.strip() for t in themes):
        errors["themes"] = ["must be a list of theme names"]
    if errors:
        raise DomainError("The grading form is not valid.", fields=errors)


def template_create(*, actor, data: dict) -> Template:
    _check(data)
    with transaction.atomic():
        latest = Template.objects.filter(name=data["name"]).aggregate(v=Max("version"))["v"] or 0
        template = Template.objects.create(
            created_by=actor,
            version=latest + 1,
            status=Template.Status.DRAFT,
            **{k: data[k] for k in EXPORT_FIELDS if k in data},
        )
        event_record(
            actor=actor, verb="template.created", obj=template, after={"version": template.version}
        )
    return template


def template_update(*, template: Template, actor, data: dict) -> Template:
    """Edit a draft in place; editing a published form makes the next version."""
    merged = {k: data.get(k, getattr(template, k)) for k in EXPORT_FIELDS}
    if template.status != Template.Status.DRAFT:
        if merged["name"] != template.name:
            raise DomainError("A new version keeps the form's name.", fields={"name": ["fixed"]})
        return template_create(actor=actor, data=merged)
    _check(merged)
    with transaction.atomic():
        for key, value in merged.items():
            setattr(template, key, value)
        template.save()
        event_record(actor=actor, verb="template.updated", obj=template)
    return template


def template_publish(*, template: Template, actor) -> Template:
    with transaction.atomic():
        template = Template.objects.select_for_update().get(pk=template.pk)
        if template.status != Template.Status.DRAFT:
            raise StateConflict("Only a draft can be published.")
        _check({k: getattr(template, k) for k in EXPORT_FIELDS})
        # The version it replaces is retired: new cycles take the newest form, while audits
        # already started keep the version they began on.
        Template.objects.filter(name=template.name, status=Template.Status.PUBLISHED).update(
            status=Template.Status.RETIRED
        )
        template.status = Template.Status.PUBLISHED
        template.published_at = timezone.now()
        template.save()
        event_record(
            actor=actor,
            verb="template.published",
            obj=template,
            after={"version": template.version},
        )
    return template


def template_export(template: Template) -> dict:
    return {
        "format": "caseassure-template/1",
        "version": template.version,
        **{k: getattr(template, k) for k in EXPORT_FIELDS},
    }


def current_template() -> Template | None:
    return (
        Template.objects.filter(status=Template.Status.PUBLISHED).order_by("-published_at").first()
    )


DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "fixtures" / "default_template.json"


def default_template_install() -> Template:
    """Our default audit form, published, unless a form of that name already exists."""
    data = json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))
    existing = Template.objects.filter(name=data["name"]).order_by("-version").first()
    if existing is not None:
        return existing
    return Template.objects.create(
        status=Template.Status.PUBLISHED, published_at=timezone.now(), version=1, **data
    )
