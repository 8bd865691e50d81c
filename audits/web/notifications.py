"""A person's notifications: the list (newest first), opening one (it is marked read and the
page it points to opens), marking one or all read, and which kinds also come by email."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from audits.core import notification_kinds, roles
from audits.core.errors import DomainError
from audits.selectors.notifications import notifications_for
from audits.services import notifications as notification_service
from audits.web import listing
from audits.web.access import ANY_ROLE, role_required
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.task_forms import EmailChoicesForm, checked

WORDS = {"email_kinds": "Choose what to be emailed about from the list"}


def unread(request) -> dict:
    """Context processor: the unread count in every page's header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not roles.roles_of(user):
        return {}  # no role, no notifications page: no link to it either
    return {"unread_notifications": notifications_for(user).filter(read_at__isnull=True).count()}


def _render(request, *, status=200, error=None, chosen=None):
    rows = listing.paginate(
        request, notifications_for(request.user), noun=("notification", "notifications")
    )
    chosen = notification_service.email_kinds_of(request.user) if chosen is None else chosen
    kinds = [
        {"value": kind, "label": label, "checked": kind in chosen, "id": f"email-{kind}"}
        for kind, label in notification_kinds.LABELS.items()
    ]
    context = {
        "notifications": rows,
        "unread": notifications_for(request.user).filter(read_at__isnull=True).count(),
        "kinds": kinds,
        "error_summary": summary(
            error, {"email_kinds": "Email me about"}, default="preferences", words=WORDS
        )
        if error
        else None,
    }
    return page(request, "audits/notifications.html", context, status=status)


@role_required(*ANY_ROLE)
def notification_list(request):
    return _render(request)


@require_POST
@role_required(*ANY_ROLE)
def notification_read(request, notification_id: int):
    notification = get_object_or_404(notifications_for(request.user), pk=notification_id)
    notification_service.notification_mark_read(notification=notification)
    target = notification.link
    if request.POST.get("open") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("web:notifications")


@require_POST
@role_required(*ANY_ROLE)
def notifications_read_all(request):
    count = notification_service.notifications_mark_all_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("web:notifications")


@require_POST
@role_required(*ANY_ROLE)
def notification_preferences(request):
    chosen = request.POST.getlist("email_kinds")
    try:
        data = checked(EmailChoicesForm(request.POST), "Choose what to be emailed about.")
        notification_service.notification_preferences_set(
            user=request.user, email_kinds=data["email_kinds"]
        )
    except DomainError as error:
        return _render(request, status=400, error=error, chosen=chosen)
    messages.success(request, "Your email choices are saved.")
    return redirect("web:notifications")
