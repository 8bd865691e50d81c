"""Django forms for the audit programme's pages: they read the types in plain words, with
GOV.UK messages; the programme service checks the rules (the API meets the same ones).

The date to move or skip is a choice of the entry's own dates (radios, in words), not a date
to type: only those dates can be changed, and a typed date could only be wrong. The new date
of a move is any day, typed as day, month and year (``DayMonthYearField``)."""

from django import forms
from django.conf import settings

from audits.core import programme as core
from audits.core.display import case_type_words
from audits.models import Cycle, Team
from audits.web.dates import DayMonthYearField

MONTHS = [(str(number), core.month_name(number)) for number in range(1, 13)]
KIND_WORDS = {core.RANDOM: "Recurring random audit", core.THEMED: "Themed audit"}
FREQUENCY_WORDS = {core.MONTHLY: "Every month", core.QUARTERLY: "Every three months"}
CHOOSE_KIND = "Choose a recurring random audit or a themed audit"
CHOOSE_DATE = "Choose which date to change"
CHOOSE_CHANGE = "Choose whether to move the audit or skip it"


def _whole(what: str, like: int, **bounds) -> forms.IntegerField:
    subject = what[:1].upper() + what[1:]
    return forms.IntegerField(
        **bounds,
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"{subject} must be a whole number, like {like}",
            "min_value": f"{subject} must be %(limit_value)s or more",
            "max_value": f"{subject} must be %(limit_value)s or fewer",
        },
    )


def _choice(message: str) -> dict:
    return {"required": message, "invalid_choice": message}


class ProgrammeEntryForm(forms.Form):
    kind = forms.ChoiceField(choices=list(KIND_WORDS.items()), error_messages=_choice(CHOOSE_KIND))
    name = forms.CharField(
        max_length=120,
        error_messages={
            "required": "Enter a name for the audit",
            "max_length": "The name must be 120 characters or fewer",
        },
    )
    year = _whole("the year", 2027)
    frequency = forms.ChoiceField(
        choices=list(FREQUENCY_WORDS.items()),
        required=False,
        error_messages=_choice("Choose every month or every three months"),
    )
    month = forms.TypedChoiceField(
        choices=MONTHS, coerce=int, error_messages=_choice("Choose a month")
    )
    day = _whole("the day of the month", 3)
    theme = forms.CharField(
        max_length=200,
        required=False,
        error_messages={"max_length": "The theme must be 200 characters or fewer"},
    )
    case_types = forms.MultipleChoiceField(
        choices=[(value, case_type_words(value)) for value in settings.CASE_TYPES],
        required=False,
        error_messages={"invalid_choice": "Choose case types from the list"},
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        to_field_name="name",
        required=False,
        error_messages={
            "invalid_choice": "Choose teams from the list",
            "invalid_pk_value": "Choose teams from the list",
        },
    )
    stratify_by = forms.ChoiceField(
        choices=Cycle.Stratify.choices,
        error_messages=_choice("Choose how to divide the cases into strata"),
    )
    n = _whole("the sample size", 20, min_value=1, max_value=100_000)

    def entry_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["plan"] = {"method": "fixed", "n": data.pop("n")}
        data["teams"] = list(data["teams"])
        if not data.get("frequency"):
            data["frequency"] = core.MONTHLY
        return data


class ProgrammeChangeForm(forms.Form):
    """Move or skip one of ``dates`` (the entry's dates that can still change)."""

    change = forms.ChoiceField(
        choices=[("move", "Move it to another day"), ("skip", "Skip it this time")],
        error_messages=_choice(CHOOSE_CHANGE),
    )
    scheduled_on = forms.TypedChoiceField(error_messages=_choice(CHOOSE_DATE))
    to = DayMonthYearField(what="the new date", required=False)
    reason = forms.CharField(
        max_length=2000,
        required=False,
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, dates, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["scheduled_on"]
        field.choices = [(day.isoformat(), day.isoformat()) for day in dates]
        field.coerce = {day.isoformat(): day for day in dates}.get

    def clean(self):
        """Every missing part at once: a move needs its new date and a reason, a skip its
        reason (the service asks again, for the API)."""
        data = super().clean()
        change = data.get("change")
        if change == "move" and "to" not in self.errors and data.get("to") is None:
            self.add_error("to", "Enter the new date")
        if change and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", f"Say why the audit is {'moved' if change == 'move' else 'skipped'}"
            )
        return data
