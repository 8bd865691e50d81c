"""Writes on a cycle's definition: create it, change it while it is planned. The rules are
checked here (`core/cycle_rules.py`, the teams the actor manages) whoever calls: the API's
serializer and the new-cycle page's form only read the types."""

from django.conf import settings
from django.db import transaction

from audits.core import cycle_rules
from audits.core.errors import DomainError, StateConflict
from audits.models import Cycle
from audits.models.cycles import DEFAULT_MINIMUM_PER_STRATUM
from audits.selectors import permissions
from audits.services import audit_window, sample
from audits.services.history import event_record
from audits.services.templates import current_template

# What a plan takes when a value is left out.
PLAN_DEFAULTS = {
    "method": "fixed",
    "confidence": 0.95,
    "p": 0.5,
    "allocation": "proportional",
    "minimum": DEFAULT_MINIMUM_PER_STRATUM,
}
CHANGED_AFTER_DRAW = "A cycle cannot be changed once its sample is drawn."
WINDOW_KEYS = (*audit_window.WINDOW_FIELDS, "window_reason")
PERIOD = ("period_start", "period_end")


def cycle_problems(*, actor, fields: dict, cycle: Cycle | None = None) -> dict:
    """Field errors for a cycle defined by ``fields`` (over ``cycle`` when it changes one),
    in the shape the API answers: the plan's own under ``plan``."""
    start, end = (fields.get(name, getattr(cycle, name, None)) for name in PERIOD)
    problems = cycle_rules.period_problems(start, end)
    problems |= cycle_rules.case_type_problems(fields.get("case_types", []), settings.CASE_TYPES)
    if "plan" in fields and (plan := cycle_rules.plan_problems(fields["plan"])):
        problems["plan"] = plan
    # A cycle covers only teams its manager manages (no teams: every team).
    teams_given = cycle is None or "teams" in fields
    if teams_given and (problem := permissions.cycle_teams_problem(actor, fields.get("teams", []))):
        problems["teams"] = [problem]
    return problems


def _record(cycle: Cycle) -> dict:
    return {
        "name": cycle.name,
        "period_start": str(cycle.period_start),
        "period_end": str(cycle.period_end),
        "case_types": cycle.case_types,
        "teams": sorted(cycle.teams.values_list("pk", flat=True)),
        "stratify_by": cycle.stratify_by,
        "plan": cycle.plan,
    }


def cycle_create(*, actor, fields: dict) -> Cycle:
    """A planned cycle from ``fields`` (model field values, ``teams`` a list of Teams, a
    ``plan`` completed with its defaults); DomainError with field errors if a rule fails."""
    fields = {k: v for k, v in fields.items() if k != "window_reason"}
    if "plan" in fields:
        fields["plan"] = PLAN_DEFAULTS | dict(fields["plan"])
    problems = cycle_problems(actor=actor, fields=fields)
    if problems:
        raise DomainError("The cycle is not valid.", fields=problems)
    teams = fields.pop("teams", [])
    with transaction.atomic():
        cycle = Cycle.objects.create(created_by=actor, template=current_template(), **fields)
        cycle.teams.set(teams)
        event_record(actor=actor, verb="created", obj=cycle, after=_record(cycle))
    return cycle


def cycle_check_changeable(*, cycle: Cycle, changes) -> None:
    """Once drawn, only the audit window of a cycle still changes (409 otherwise)."""
    if cycle.status != Cycle.Status.PLANNED and not set(changes) <= set(WINDOW_KEYS):
        raise StateConflict(CHANGED_AFTER_DRAW)


def cycle_delete(*, actor, cycle: Cycle) -> None:
    """A planned cycle deleted, with its Event; a drawn one is kept (409)."""
    if cycle.status != Cycle.Status.PLANNED:
        raise StateConflict("A cycle whose sample is drawn cannot be deleted.")
    with transaction.atomic():
        event_record(actor=actor, verb="deleted", obj=cycle, before=_record(cycle))
        cycle.delete()


def cycle_plan_set(*, actor, cycle: Cycle, plan: dict) -> Cycle:
    """Change the plan of a cycle not yet drawn (409 after the draw): the rules of
    `core/cycle_rules.py`, then the sizes it gives must be possible on today's frame."""
    plan = PLAN_DEFAULTS | {key: value for key, value in plan.items() if value is not None}
    if problems := cycle_rules.plan_problems(plan):
        raise DomainError("The plan is not valid.", fields=problems)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.status != Cycle.Status.PLANNED:
            raise StateConflict(CHANGED_AFTER_DRAW)
        before = cycle.plan
        cycle.plan = plan
        cycle.save(update_fields=["plan"])
        try:
            sample.cycle_plan(cycle=cycle)
        except DomainError as error:
            raise DomainError(
                "The plan cannot be met on this frame.", fields={"plan": _texts(error)}
            ) from None
        event_record(actor=actor, verb="plan.changed", obj=cycle, before=before, after=plan)
    return cycle


def _texts(error: DomainError) -> list[str]:
    return [str(text) for texts in error.fields.values() for text in texts] or [error.message]
