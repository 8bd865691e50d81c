"""Django forms for the smaller pages (reconciling a double audit, adding evidence, email
choices, acknowledging an escalation, raising a concern, replacing a case): each reads the
types in plain words; the services still decide the rules."""

from django import forms

from audits.core import notification_kinds
from audits.core.errors import DomainError
from audits.web.dates import DayMonthYearField

CHOOSE_FILE = "Choose a file to upload"
CHOOSE_QUESTION = "Choose the question the evidence is for"
CHOOSE_CASE = "Choose the case to replace"
SAY_WHY_REPLACED = "Say why the case is replaced"
DESCRIBE_CONCERN = "Describe the concern"


def checked(form: forms.Form, message: str) -> dict:
    """The form's cleaned data, or a DomainError with every field's messages at once."""
    if not form.is_valid():
        fields = {name: list(texts) for name, texts in form.errors.items()}
        raise DomainError(message, fields=fields)
    return form.cleaned_data


def _text(required: str = "") -> forms.CharField:
    """Free text; how long it may be is the service's rule."""
    return forms.CharField(
        required=bool(required), strip=False, error_messages={"required": required}
    )


class ReconcileForm(forms.Form):
    """The agreed grades (each one from the template's scale, or left to choose) and the
    reason; which grades are needed is the service's rule."""

    reason = _text()

    def __init__(self, data, *, scale, domains: dict[str, tuple[str, str]]):
        """``domains``: each area's field name -> (its key, its label)."""
        super().__init__(data)
        choices = [("", "")] + [(str(grade), str(grade)) for grade, _label in scale]
        self.domains = domains
        labels = {"overall_grade": "the agreed overall grade"}
        labels |= {
            name: f"the agreed grade for {label[:1].lower()}{label[1:]}"
            for name, (_key, label) in domains.items()
        }
        for name, label in labels.items():
            self.fields[name] = forms.ChoiceField(
                choices=choices,
                required=False,
                error_messages={"invalid_choice": f"Choose {label} from the list"},
            )

    def grades(self) -> tuple[str, dict[str, str]]:
        data = self.cleaned_data
        domains = {key: data.get(name, "") for name, (key, _label) in self.domains.items()}
        return data.get("overall_grade", ""), domains


class EvidenceForm(forms.Form):
    """A file, and for an audit the question it is evidence for (the service checks the
    question belongs to the audit, the size, the kind and the quota)."""

    file = forms.FileField(
        error_messages={
            "required": CHOOSE_FILE,
            "empty": "The selected file is empty",
            "invalid": CHOOSE_FILE,
        }
    )

    def __init__(self, data, files, *, questions=None):
        super().__init__(data, files)
        if questions is not None:
            self.fields["question_key"] = forms.ChoiceField(
                choices=[(q["key"], q["text"]) for q in questions],
                error_messages={"required": CHOOSE_QUESTION, "invalid_choice": CHOOSE_QUESTION},
            )


class EmailChoicesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        choices=list(notification_kinds.LABELS.items()),
        required=False,
        error_messages={"invalid_choice": "Choose what to be emailed about from the list"},
    )


class AcknowledgeForm(forms.Form):
    response = _text()


class ConcernForm(forms.Form):
    concern = _text(DESCRIBE_CONCERN)


class ReplaceForm(forms.Form):
    sampled = forms.ModelChoiceField(
        queryset=None,
        error_messages={"required": CHOOSE_CASE, "invalid_choice": CHOOSE_CASE},
    )
    reason = _text(SAY_WHY_REPLACED)

    def __init__(self, data, *, sampled_cases):
        super().__init__(data)
        self.fields["sampled"].queryset = sampled_cases


class PeriodFilterForm(forms.Form):
    """Internal audit's choice of periods, in day, month and year boxes (an ISO date in one
    parameter, as older links have it, is read too); both ends optional."""

    period_from = DayMonthYearField(what="the earliest period end", required=False)
    period_to = DayMonthYearField(what="the latest period start", required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            self.add_error(
                "period_to",
                "The latest period start must be the same as or after the earliest period end",
            )
        return data
