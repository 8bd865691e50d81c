"""Moderation: the queue of submitted audits awaiting a second look, and the page where an
independent manager agrees, changes grades (with a reason) or returns an audit."""

from django.contrib import messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect

from audits.core import grading
from audits.core.errors import DomainError
from audits.core.statuses import CYCLE_CLOSED
from audits.models import Audit, Moderation, Reconciliation
from audits.selectors import double_audits, published_forms, rework, scoping
from audits.services import moderation as moderation_service
from audits.web import grading_form, listing
from audits.web.access import MANAGERS, role_required
from audits.web.errors import summary
from audits.web.forms import ModerationForm
from audits.web.pages import page

DASH = "\N{EN DASH}"
LABELS = {"decision": "Decision", "reason": "Reason", "overall_grade": "Moderated overall grade"}
# The moderation service's terse words, as this page says them.
WORDS = {
    "decision": {
        "agree, change or return": "Choose agree, change the grades or return for rework",
        "nothing changed": "Change at least one grade, or choose agree",
    },
    "reason": {"required": "Give the reason for changing the grades or returning the audit"},
}


def _queue(user):
    return (
        scoping.audits_managed_by(user)
        .filter(status=Audit.Status.SUBMITTED)
        .exclude(assignment__auditor__user=user)
        .select_related(
            "template",
            "assignment__auditor",
            "assignment__sampled_case__case__team",
            "assignment__sampled_case__cycle",
        )
        .order_by("submitted_at", "pk")
    )


# What a row of the queue shows, read as values: fifty rows of six joined models made the
# page spend more time building objects than PostgreSQL spent reading them.
# The cycle's name and the form's grade scale are not joined: the page reads the names of
# the cycles one runs for its filter, and a published form is kept in the process.
QUEUE_FIELDS = ("pk", "overall_grade", "moderation_reason", "submitted_at", "template_id")
QUEUE_COLUMNS = {
    "case_ref": F("assignment__sampled_case__case__case_ref"),
    "team": F("assignment__sampled_case__case__team__name"),
    "cycle_id": F("assignment__sampled_case__cycle_id"),
    "auditor": F("assignment__auditor__name"),
}


def _shown(keys):
    return Audit.objects.filter(pk__in=keys).values(*QUEUE_FIELDS, **QUEUE_COLUMNS)


QUEUE_SORTS = {
    "oldest": ("submitted_at", "pk"),
    "newest": ("-submitted_at", "-pk"),
    "case": ("assignment__sampled_case__case__case_ref", "pk"),
}


def _filtered_queue(request):
    """The queue with the page's search and filters; a closed cycle's audits can no longer
    be moderated, so they leave the queue."""
    filters = {
        "q": listing.text_param(request, "q"),
        "team": listing.int_param(request, "team"),
        "cycle": listing.int_param(request, "cycle"),
    }
    rows = (
        _queue(request.user)
        .exclude(assignment__sampled_case__cycle__status__in=CYCLE_CLOSED)
        .defer(*listing.AUDIT_ROW_DEFERRED, *listing.TEMPLATE_ROW_DEFERRED)
    )
    if filters["q"]:
        rows = rows.filter(assignment__sampled_case__case__case_ref__icontains=filters["q"])
    if filters["team"]:
        rows = rows.filter(assignment__sampled_case__case__team_id=filters["team"])
    if filters["cycle"]:
        rows = rows.filter(assignment__sampled_case__cycle_id=filters["cycle"])
    return rows, filters


@role_required(*MANAGERS)
def moderation_queue(request):
    rows, filters = _filtered_queue(request)
    rows, sort = listing.sorted_rows(request, rows, sorts=QUEUE_SORTS, default="oldest")
    audits = listing.paginate(
        request, rows, noun=("audit", "audits"), anchor="queue", keys_first=True, show=_shown
    )
    moderate_link = listing.link_to("web:moderate")
    cycles = scoping.managed_cycle_choices(request.user)
    cycle_names, scales = dict(cycles), {}
    for audit in audits["rows"]:
        audit["url"] = moderate_link(audit["pk"])
        audit["cycle_name"] = cycle_names.get(audit["cycle_id"], "")
        reason = audit["moderation_reason"]
        audit["why"] = grading.MODERATION_REASONS.get(reason, reason)
        if audit["template_id"] not in scales:
            form = published_forms.template_for_grading(audit["template_id"])
            scales[audit["template_id"]] = form.scale
        scale = scales[audit["template_id"]]
        grade = audit["overall_grade"]
        audit["grade"] = f"{grade} {DASH} {scale.get(grade, DASH)}"
        audit["submitted"] = listing.day_text(audit["submitted_at"])
    to_reconcile = (
        scoping.reconciliations_managed_by(request.user)
        .filter(status=Reconciliation.Status.OPEN)
        .exclude(sampled_case_id__in=scoping.sampled_cases_audited_by(request.user))
        .exclude(sampled_case__cycle__status__in=CYCLE_CLOSED)
        .select_related("sampled_case__case__team", "sampled_case__cycle")
        .defer("sampled_case__cycle__assignment_summary")
        .order_by("opened_at", "pk")
    )
    context = {
        "audits": audits,
        "reconciliations": listing.paginate(
            request,
            to_reconcile,
            noun=("double audit", "double audits"),
            prefix="rec_",
            anchor="reconciliations",
        ),
        "filters": filters,
        "sort": sort,
        "sorts": [("oldest", "Oldest first"), ("newest", "Newest first"), ("case", "Case")],
        "teams": scoping.teams_managed_by(request.user).order_by("name"),
        "cycles": cycles,
    }
    return page(request, "audits/moderation_queue.html", context, current="web:moderation")


def _grade_questions(audit: Audit, posted: dict | None) -> list[dict]:
    rows = []
    for question in grading.questions(audit.template.definition):
        if question["kind"] != "grade":
            continue
        name = f"answer-{question['key']}"
        current = str(audit.answers.get(question["key"], ""))
        chosen = posted.get(name, current) if posted is not None else current
        rows.append(
            {
                "key": question["key"],
                "text": question["text"],
                "id": name,
                "current": current,
                "chosen": chosen,
            }
        )
    return rows


def _pair(user, audit: Audit) -> dict | None:
    found = double_audits.pair_of(user, audit)
    return found and double_audits.side_by_side(**found)


@role_required(*MANAGERS)
def moderate(request, audit_id: int):
    audit = get_object_or_404(_queue(request.user), pk=audit_id)
    error_summary, status, posted = None, 200, None
    if request.method == "POST":
        posted = request.POST
        questions = _grade_questions(audit, posted)
        form = ModerationForm(
            posted, scale=audit.template.scale, grade_keys=[row["key"] for row in questions]
        )
        valid = form.is_valid()
        data = form.cleaned_data
        decision = data.get("decision", "")
        grades = {
            row["key"]: data.get(row["id"])
            for row in questions
            if posted.get(row["id"]) not in (None, "", row["current"])
        }
        try:
            if not valid:  # a question's box is named as the service names its answer
                fields = {
                    name.replace("answer-", "answers.", 1): list(texts)
                    for name, texts in form.errors.items()
                }
                raise DomainError("The moderation is not valid.", fields=fields)
            moderation_service.moderation_record(
                audit=audit,
                actor=request.user,
                decision=decision,
                reason=data["reason"],
                overall_grade=data.get("overall_grade"),
                grades=grades,
            )
        except DomainError as error:
            labels = {**grading_form.labels(audit.template), **LABELS}
            error_summary = summary(error, labels, default="moderation-form", words=WORDS)
            status = 400 if error.status_code == 409 else error.status_code
        else:
            verb = dict(Moderation.Decision.choices).get(decision, decision).lower()
            messages.success(request, f"Moderation recorded ({verb}) for audit {audit.pk}.")
            return redirect("web:moderation")
    values = grading_form.values_from_audit(audit)
    context = {
        "audit": audit,
        "case": audit.assignment.sampled_case.case,
        "sections": grading_form.sections(audit.template, values, {}),
        "overall": grading_form.overall_fields(audit.template, values, {}),
        "values": values,
        "grade_questions": _grade_questions(audit, posted),
        "scale": sorted(audit.template.scale.items()),
        "decisions": Moderation.Decision.choices,
        "form": posted or {},
        "error_summary": error_summary,
        "why": grading.MODERATION_REASONS.get(audit.moderation_reason, audit.moderation_reason),
        "rework_rounds": rework.rework_rounds(audit),
        "pair": _pair(request.user, audit),
    }
    return page(request, "audits/moderate.html", context, current="web:moderation", status=status)
