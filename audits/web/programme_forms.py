"""Django forms for the audit programme's pages: they read the types in plain words; the
programme service checks the rules (the API meets the same ones)."""

from django import forms
from django.conf import settings

from audits.core import programme as core
from audits.models import Cycle, Team
from audits.web.forms import PLAIN

DATE = PLAIN | {"invalid": "enter a real date"}

MONTHS = [(str(number), core.month_name(number)) for number in range(1, 13)]


class ProgrammeEntryForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(core.RANDOM, "Recurring random audit"), (core.THEMED, "Themed audit")],
        error_messages=PLAIN | {"required": "choose a recurring random audit or a themed audit"},
    )
    name = forms.CharField(max_length=120, error_messages=PLAIN)
    year = forms.IntegerField(error_messages=PLAIN)
    frequency = forms.ChoiceField(
        choices=[(core.MONTHLY, "Every month"), (core.QUARTERLY, "Every three months")],
        required=False,
        error_messages=PLAIN,
    )
    month = forms.TypedChoiceField(choices=MONTHS, coerce=int, error_messages=PLAIN)
    day = forms.IntegerField(error_messages=PLAIN)
    theme = forms.CharField(max_length=200, required=False)
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
    stratify_by = forms.ChoiceField(choices=Cycle.Stratify.choices, error_messages=PLAIN)
    n = forms.IntegerField(min_value=1, max_value=100_000, error_messages=PLAIN)

    def entry_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["plan"] = {"method": "fixed", "n": data.pop("n")}
        data["teams"] = list(data["teams"])
        if not data.get("frequency"):
            data["frequency"] = core.MONTHLY
        return data


class ProgrammeChangeForm(forms.Form):
    change = forms.ChoiceField(
        choices=[("move", "Move it to another day"), ("skip", "Skip it this time")],
        error_messages=PLAIN | {"required": "choose whether to move or skip it"},
    )
    scheduled_on = forms.DateField(
        error_messages=DATE | {"required": "choose which date to change"}
    )
    to = forms.DateField(required=False, error_messages=DATE)
    reason = forms.CharField(max_length=2000, required=False)
