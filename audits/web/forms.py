"""Django forms for the pages' input: they read the types (a date, a whole number, a choice
from the list) in plain words; the services check the rules, so a page and the API agree."""

from django import forms
from django.conf import settings
from django.utils import timezone

from audits.core import action_rules
from audits.core.display import case_type_words
from audits.core.planning import ALLOCATION_METHODS
from audits.models import (
    Action,
    Assignment,
    Audit,
    Cycle,
    Moderation,
    PractitionerResponse,
    SampledCase,
    Staff,
    Team,
)
from audits.selectors import permissions, scoping
from audits.services.cycles import PLAN_DEFAULTS
from audits.web.dates import DayMonthYearField

PLAIN = {
    "required": "enter a value",
    "invalid": "enter a whole number",
    "invalid_choice": "choose one from the list",
}
# A choice the person did not make (or made up) is asked for again in these words.
CHOOSE_AUDIT = "Choose an audit from the list"
CHOOSE_OWNER = "Choose who owns the action"
CHOOSE_PRIORITY = "Choose a priority"


def _whole(minimum: int, maximum: int, what: str = "", like: int = 60) -> forms.IntegerField:
    """A whole number; ``what`` names it in the GOV.UK sentences ("the sample size")."""
    if not what:
        return forms.IntegerField(
            min_value=minimum, max_value=maximum, required=False, error_messages=PLAIN
        )
    subject = what[:1].upper() + what[1:]
    return forms.IntegerField(
        min_value=minimum,
        max_value=maximum,
        required=False,
        error_messages={
            "invalid": f"{subject} must be a whole number, like {like}",
            "min_value": f"{subject} must be {minimum:,} or more",
            "max_value": f"{subject} must be {maximum:,} or fewer",
        },
    )


class CycleForm(forms.Form):
    """A new cycle from its page: a fixed sample size, the plan's other values left to
    their defaults."""

    name = forms.CharField(
        max_length=200,
        error_messages={
            "required": "Enter a name for the cycle",
            "max_length": "The name must be 200 characters or fewer",
        },
    )
    period_start = DayMonthYearField(what="the start of the period")
    period_end = DayMonthYearField(what="the end of the period")
    stratify_by = forms.ChoiceField(
        choices=Cycle.Stratify.choices,
        error_messages={
            "required": "Choose how to divide the frame into strata",
            "invalid_choice": "Choose how to divide the frame into strata",
        },
    )
    case_types = forms.MultipleChoiceField(
        choices=[(value, case_type_words(value)) for value in settings.CASE_TYPES],
        required=False,
        error_messages={"invalid_choice": "There is no case type %(value)s."},
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        to_field_name="name",
        required=False,
        error_messages={"invalid_choice": "There is no team %(value)s."},
    )
    n = _whole(1, 100_000, "the sample size")
    allocation = forms.ChoiceField(
        choices=[(value, value) for value in ALLOCATION_METHODS],
        error_messages={
            "required": "Choose how to share the sample between strata",
            "invalid_choice": "Choose how to share the sample between strata",
        },
    )
    minimum = _whole(0, 10_000, "the minimum per stratum", like=2)

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
            raise forms.ValidationError("Tick the box to confirm that you want to close the cycle")
        return True


def sizes_from(post, prefix: str, words=str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The strata given a new size (one box per stratum, ``<prefix><stratum>``; a blank box
    leaves its stratum as it is) and the boxes that do not hold a whole number. ``words``
    names a stratum in the messages."""
    sizes, problems = {}, {}
    for key, value in post.items():
        if not key.startswith(prefix) or not value.strip():
            continue
        field = _whole(0, 100_000, f"the new size of {words(key.removeprefix(prefix))}", 10)
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
        queryset=permissions.action_owners(),
        to_field_name="staff_ref",
        required=False,  # left blank: the case's allocated worker (the service decides)
        error_messages={"required": CHOOSE_OWNER, "invalid_choice": CHOOSE_OWNER},
    )
    description = forms.CharField(error_messages={"required": "Say what needs to be done"})
    priority = forms.ChoiceField(
        choices=Action.Priority.choices,
        error_messages={"required": CHOOSE_PRIORITY, "invalid_choice": CHOOSE_PRIORITY},
    )
    due_date = DayMonthYearField(what="the due date")

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


class WindowForm(forms.Form):
    """The audit window: either date may be left as it is; the service checks the rest."""

    audit_opens_on = DayMonthYearField(what="the day the window opens", required=False)
    audit_due_date = DayMonthYearField(what="the due date", required=False)
    window_reason = forms.CharField(max_length=2000, required=False)


class OverrideForm(forms.Form):
    """A manager's choice of auditor for one case of the cycle; whether a rule is set aside
    (and needs a reason) is the assignment service's decision."""

    sampled_case = forms.ModelChoiceField(
        queryset=SampledCase.objects.none(),
        error_messages={"required": "Choose a case", "invalid_choice": "Choose a case"},
    )
    auditor = forms.ModelChoiceField(
        queryset=Staff.objects.none(),
        error_messages={"required": "Choose an auditor", "invalid_choice": "Choose an auditor"},
    )
    role = forms.ChoiceField(
        choices=Assignment.Role.choices,
        required=False,
        error_messages={"invalid_choice": "Choose first or second auditor"},
    )
    reason = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, sampled_cases, auditors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sampled_case"].queryset = sampled_cases
        self.fields["auditor"].queryset = auditors

    def clean_role(self):
        return self.cleaned_data.get("role") or Assignment.Role.PRIMARY


SAY_WHAT_WAS_DONE = "Say what was done to complete the action"


class ActionStepForm(forms.Form):
    """Moving an action on a step from a page: done needs a note of what was done (as the
    service asks); who may take the step is the service's decision."""

    status = forms.ChoiceField(
        choices=Action.Status.choices,
        error_messages={
            "required": "Choose what the action becomes",
            "invalid_choice": "Choose what the action becomes",
        },
    )
    evidence_note = forms.CharField(max_length=10_000, required=False)

    def clean(self):
        data = super().clean()
        if data.get("status") == Action.Status.DONE and not data.get("evidence_note", "").strip():
            self.add_error("evidence_note", SAY_WHAT_WAS_DONE)
        return data


CHOOSE_DECISION = "Choose agree, change the grades or return for rework"
CHOOSE_GRADE = "Choose a grade from the scale"


class ModerationForm(forms.Form):
    """A moderator's decision, a reason and any grades changed: one box per grade question
    (``answer-<key>``) and the overall grade, each blank or a grade of the form's scale. The
    moderation service decides what a decision needs (a reason, a change)."""

    decision = forms.ChoiceField(
        choices=Moderation.Decision.choices,
        error_messages={"required": CHOOSE_DECISION, "invalid_choice": CHOOSE_DECISION},
    )
    reason = forms.CharField(max_length=10_000, required=False)

    def __init__(self, *args, scale: dict, grade_keys: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "")] + [(str(grade), str(grade)) for grade in scale]
        for name in ["overall_grade", *(f"answer-{key}" for key in grade_keys)]:
            self.fields[name] = forms.TypedChoiceField(
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                error_messages={"invalid_choice": CHOOSE_GRADE},
            )


class UnavailableForm(forms.Form):
    """The auditor who is away: one of the staff the manager may see."""

    auditor = forms.ModelChoiceField(
        queryset=Staff.objects.none(),
        error_messages={
            "required": "Choose the auditor who is unavailable",
            "invalid_choice": "Choose the auditor who is unavailable",
        },
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auditor"].queryset = staff


CHOOSE_VERDICT = "Choose agree, agree with comments, or disagree."


class ResponseForm(forms.Form):
    """A practitioner's response to findings; what each verdict needs is the service's."""

    verdict = forms.ChoiceField(
        choices=PractitionerResponse.Verdict.choices,
        error_messages={"required": CHOOSE_VERDICT, "invalid_choice": CHOOSE_VERDICT},
    )
    comment = forms.CharField(required=False)
