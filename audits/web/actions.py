"""The actions board: actions that follow audits, filtered by team, owner and overdue, and
moved on a step (done with evidence, verified by someone else)."""

from django.contrib import messages
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Action, Staff
from audits.selectors import permissions, scoping
from audits.services import actions as action_service
from audits.web import action_rows, listing
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.forms import SAY_WHAT_WAS_DONE, ActionStepForm
from audits.web.pages import page

ACTION_READERS = (roles.MANAGER, roles.ADMIN, roles.INTERNAL_AUDITOR)
# Who may send an update (internal audit reads only); the service decides on each action.
ACTION_WRITERS = (roles.MANAGER, roles.ADMIN, roles.AUDITOR, roles.PRACTITIONER)
LABELS = {"status": "The next step", "evidence_note": "What was done"}
WORDS = {"evidence_note": SAY_WHAT_WAS_DONE}


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


ACTION_SORTS = {
    "due": ("due_date", "pk"),
    "due_last": ("-due_date", "-pk"),
    "case": ("case__case_ref", "pk"),
    "newest": ("-created_at", "-pk"),
}


ACTION_ROW_COLUMNS = (
    "case__case_ref",
    "team__name",
    "owner__name",
    "owner__user_id",
    "description",
    "evidence_note",
    "priority",
    "due_date",
    "status",
    "done_by_id",
    "created_at",
)
# Each row's links, by the name the template uses.
ACTION_LINKS = {
    "view": "web:action",
    "evidence": "web:action-evidence",
    "advance": "web:action-advance",
}


def _owner_choices(scoped) -> list[tuple[int, str]]:
    """(id, "name, team") of everyone who owns an action on the board: a person's team tells
    two people of the same name apart."""
    rows = (
        Staff.objects.filter(actions__in=scoped)
        .distinct()
        .order_by("name", "pk")
        .values_list("pk", "name", "team__name")
    )
    return [(pk, f"{name}, {team or 'no team'}") for pk, name, team in rows]


PRIORITIES, STATUSES = dict(Action.Priority.choices), dict(Action.Status.choices)


def _shown(user, actions: list, today) -> list[dict]:
    """Each action as its row shows it: plain values the template reads without looking
    anything up (fifty rows of models, their related rows and display methods took a third
    of the board's time to render)."""
    managed = permissions.verify_team_ids(user)
    links = {name: listing.link_to(route) for name, route in ACTION_LINKS.items()}
    dates: dict = {}
    rows = []
    for action in actions:
        due = action.due_date
        if due not in dates:
            dates[due] = date_format(due, "j M Y")
        rows.append(
            {
                "pk": action.pk,
                "case_ref": action.case.case_ref,
                "team": action.team.name,
                "owner": action.owner.name,
                "description": action.description,
                "evidence_note": action.evidence_note,
                "priority": action.priority,
                "priority_label": PRIORITIES.get(action.priority, action.priority),
                "due": dates[due],
                "overdue": action_service.is_overdue(action, today),
                "status": action.status,
                "status_label": STATUSES.get(action.status, action.status),
                "links": {name: link(action.pk) for name, link in links.items()},
                # A Verify button only where it can succeed (maker and checker): else why not.
                "verify_problem": permissions.action_verify_problem(
                    user, action, managed_team_ids=managed
                )
                if action.status == Action.Status.DONE
                else "",
            }
        )
    return rows


@role_required(*ACTION_READERS)
def action_board(request):
    scoped = scoping.actions_for(request.user)
    # What a row shows and the maker-checker rule reads; not the audit (its answers).
    rows = scoped.select_related("case", "team", "owner").only(*ACTION_ROW_COLUMNS)
    filters = {
        "q": listing.text_param(request, "q"),
        "team": listing.int_param(request, "team"),
        "owner": listing.int_param(request, "owner"),
        "status": listing.choice_param(request, "status", Action.Status.values),
        "overdue": request.GET.get("overdue") in ("1", "on", "true"),
    }
    today = timezone.localdate()
    if filters["q"]:
        rows = rows.filter(case__case_ref__icontains=filters["q"])
    if filters["team"]:
        rows = rows.filter(team_id=filters["team"])
    if filters["owner"]:
        rows = rows.filter(owner_id=filters["owner"])
    if filters["status"]:
        rows = rows.filter(status=filters["status"])
    if filters["overdue"]:
        rows = rows.filter(status=Action.Status.OPEN, due_date__lt=today)
    rows, sort = listing.sorted_rows(request, rows, sorts=ACTION_SORTS, default="due")
    found = listing.paginate(request, rows, noun=("action", "actions"), sort=sort)
    found["rows"] = _shown(request.user, found["rows"], today)
    may_update = roles.has_role(request.user, roles.MANAGER)
    if may_update:
        csrf, back = action_rows.csrf_input(get_token(request)), request.get_full_path()
        for action in found["rows"]:
            action["update"] = action_rows.update_cell(action, csrf=csrf, back=back)
    context = {
        "actions": found,
        "filters": filters,
        "sort": sort,
        "sorts": [
            ("due", "Soonest due first"),
            ("due_last", "Latest due first"),
            ("case", "Case"),
            ("newest", "Newest first"),
        ],
        "teams": scoping.teams_for(request.user).filter(actions__in=scoped).distinct(),
        "owner_options": listing.options_html(
            (pk, label, pk == filters["owner"]) for pk, label in _owner_choices(scoped)
        ),
        "statuses": Action.Status.choices,
        "may_update": may_update,
    }
    return page(request, "audits/actions.html", context, current="web:actions")


@require_POST
@role_required(*ACTION_WRITERS)
def action_advance(request, action_id: int):
    # Owners mark their own actions done; who may do what is the service's decision.
    action = get_object_or_404(scoping.actions_for(request.user), pk=action_id)
    form = ActionStepForm(request.POST)
    status = request.POST.get("status", "")
    try:
        if not form.is_valid():
            fields = {name: list(texts) for name, texts in form.errors.items()}
            raise DomainError("Say what was done.", fields=fields)
        action_service.action_advance(
            action=action,
            actor=request.user,
            status=form.cleaned_data["status"],
            evidence_note=form.cleaned_data["evidence_note"],
        )
    except DomainError as error:
        said = [item["text"] for item in summary(error, LABELS, words=WORDS)["items"]]
        messages.error(request, f"Action {action.pk} was not updated. {' '.join(said)}")
    else:
        shown = dict(Action.Status.choices).get(status, status).lower()
        messages.success(request, f"Action {action.pk} is now {shown}.")
    return redirect(request.POST.get("back") if _safe(request.POST.get("back")) else "web:actions")


def _safe(url) -> bool:
    return isinstance(url, str) and url.startswith("/actions/") and "//" not in url
