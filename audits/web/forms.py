"""Django forms for the pages' input: they read the types (a date, a whole number, a choice
from the list) in plain words; the services check the rules, so a page and the API agree."""

from django import forms
from django.conf import settings
from django.utils import timezone

from audits.core import action_rules
from audits.core.planning import ALLOCATION_METHODS
from audits.models import Action, Audit, Cycle, Team
from audits.selectors import scoping
from audits.services.cycles import PLAN_DEFAULTS

PLAIN = {
    "required": "enter a value",
    "invalid": "enter a whole number",
    "invalid_choice": "choose one from the list",
}
DATE = PLAIN | {"invalid": "enter a date like 2026-03-31"}
# A choice the person did not make (or made up) is asked for again in these words.
CHOOSE_AUDIT = "choose an audit from the list"
CHOOSE_OWNER = "choose who owns the action"
CHOOSE_PRIORITY = "choose a priority"


def _whole(minimum: int, maximum: int) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=minimum, max_value=maximum, required=False, error_messages=PLAIN
    )


class CycleForm(forms.Form):
    """A new cycle from its page: a fixed sample size, the plan's other values left to
    their defaults."""

    name = forms.CharField(max_length=200, error_messages=PLAIN)
    period_start = forms.DateField(error_messages=DATE)
    period_end = forms.DateField(error_messages=DATE)
    stratify_by = forms.ChoiceField(choices=Cycle.Stratify.choices, error_messages=PLAIN)
    case_types = forms.MultipleChoiceField(
        choices=[(value, value) for value in settings.CASE_TYPES],
        required=False,
        error_messages={"invalid_choice": "There is no case type %(value)s."},
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        to_field_name="name",
        required=False,
        error_messages={"invalid_choice": "There is no team %(value)s."},
    )
    n = _whole(1, 100_000)
    allocation = forms.ChoiceField(
        choices=[(value, value) for value in ALLOCATION_METHODS], error_messages=PLAIN
    )
    minimum = _whole(0, 10_000)

    def cycle_fields(self) -> dict:
        """What the service takes, from the fields that were read (all of them once the form
        is valid)."""
        data = dict(self.cleaned_data)
        plan = {"method": "fixed"}
        for field in ("allocation", "n", "minimum"):  # left blank: the plan's default
            if (value := data.pop(field, None)) is not None:
                plan[field] = value
        if "teams" in data:
            data["teams"] = list(data["teams"])
        return data | {"plan": PLAN_DEFAULTS | plan}


class CloseForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)
    confirm = forms.BooleanField(required=True)

    def clean_confirm(self):
        if self.data.get("confirm") != "yes":
            raise forms.ValidationError("tick the box to confirm")
        return True


def sizes_from(post, prefix: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The strata given a new size (one box per stratum, ``<prefix><stratum>``; a blank box
    leaves its stratum as it is) and the boxes that do not hold a whole number."""
    sizes, problems = {}, {}
    field = _whole(0, 100_000)
    for key, value in post.items():
        if not key.startswith(prefix) or not value.strip():
            continue
        try:
            sizes[key.removeprefix(prefix)] = field.clean(value.strip())
        except forms.ValidationError as error:
            problems[key.removeprefix(prefix)] = list(error.messages)
    return sizes, problems


class ActionForm(forms.Form):
    """A new action's terms: an audit the person can see, an owner still working here; the
    actions service decides whether the action can be agreed on that audit."""

    audit = forms.ModelChoiceField(
        queryset=Audit.objects.none(),
        error_messages={"required": CHOOSE_AUDIT, "invalid_choice": CHOOSE_AUDIT},
    )
    owner = forms.ModelChoiceField(
        queryset=scoping.action_owners(),
        to_field_name="staff_ref",
        required=False,  # left blank: the case's allocated worker (the service decides)
        error_messages={"required": CHOOSE_OWNER, "invalid_choice": CHOOSE_OWNER},
    )
    description = forms.CharField(error_messages={"required": "say what needs to be done"})
    priority = forms.ChoiceField(
        choices=Action.Priority.choices,
        error_messages={"required": CHOOSE_PRIORITY, "invalid_choice": CHOOSE_PRIORITY},
    )
    due_date = forms.DateField(error_messages=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # An action can only hang off an audit the person can see.
        self.fields["audit"].queryset = scoping.audits_for(user)

    def clean_due_date(self):
        # An action is agreed for the future (as the API asks).
        value = self.cleaned_data["due_date"]
        if problem := action_rules.due_date_problem(value, timezone.localdate()):
            raise forms.ValidationError(problem)
        return value
