"""Django forms for giving external access: they read the types (a person from the list, a
cycle, a choice, a whole number, two dates) in plain words; the service checks the rules, so
the page and the API give the same field errors."""

from django import forms

from audits.core.statuses import CYCLE_CLOSED, CYCLE_DRAWN
from audits.models import Cycle, ExternalAccess
from audits.selectors import external_access as reads
from audits.web.dates import DayMonthYearField


def _choice(message: str) -> dict:
    return {"required": message, "invalid_choice": message}


def drawn_cycles():
    return Cycle.objects.filter(status__in=(*CYCLE_DRAWN, *CYCLE_CLOSED)).order_by(
        "-period_end", "name"
    )


class ExternalAccessForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=reads.eligible_people(),
        to_field_name="username",
        error_messages=_choice("Choose the person to give access to"),
    )
    organisation = forms.CharField(
        max_length=200,
        error_messages={
            "required": "Enter the organisation the person reviews for",
            "max_length": "The organisation must be 200 characters or fewer",
        },
    )
    purpose = forms.ChoiceField(
        choices=ExternalAccess.Purpose.choices,
        error_messages=_choice("Choose peer review or inspection"),
    )
    cycle = forms.ModelChoiceField(
        queryset=drawn_cycles(), error_messages=_choice("Choose a cycle whose sample is drawn")
    )
    scope = forms.ChoiceField(
        choices=ExternalAccess.Scope.choices,
        error_messages=_choice("Choose the whole sample or a case records review"),
    )
    review_size = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": "The number of cases must be a whole number, like 7",
            "min_value": "The number of cases must be 1 or more",
        },
    )
    starts_on = DayMonthYearField(what="the first day of access")
    ends_on = DayMonthYearField(what="the last day of access")


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, error_messages={"required": "Enter why the access is withdrawn"}
    )
