"""Django forms for the pages' input: they read the types (a date, a whole number, a choice
from the list) in plain words; the services check the rules, so a page and the API agree."""

from django import forms
from django.conf import settings

from audits.core.planning import ALLOCATION_METHODS
from audits.models import Cycle, Team
from audits.services.cycles import PLAN_DEFAULTS

PLAIN = {
    "required": "enter a value",
    "invalid": "enter a whole number",
    "invalid_choice": "choose one from the list",
}
DATE = PLAIN | {"invalid": "enter a date like 2026-03-31"}


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
        """What the service takes, from a valid form."""
        data = dict(self.cleaned_data)
        plan = {"method": "fixed", "allocation": data.pop("allocation")}
        for field in ("n", "minimum"):  # left blank, the plan takes its default
            if (value := data.pop(field)) is not None:
                plan[field] = value
        return data | {"teams": list(data["teams"]), "plan": PLAN_DEFAULTS | plan}


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
