"""Rendering a page with what every page needs: the signed-in user's roles, the main
navigation for those roles, and the idle limit the session-timeout warning counts down."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from audits.core import roles

# (role, label, url name): the main navigation, in the order it is shown.
NAVIGATION = [
    (roles.AUDITOR, "My audits", "web:my-audits"),
    (roles.PRACTITIONER, "My case audits", "web:my-findings"),
    (roles.PRACTITIONER, "My actions", "web:my-actions"),
    (roles.MANAGER, "Cycles", "web:cycles"),
    (roles.MANAGER, "Moderation", "web:moderation"),
    (roles.MANAGER, "Actions", "web:actions"),
    (roles.MANAGER, "Responses", "web:responses"),
    (roles.MANAGER, "Escalations", "web:escalations"),
    (roles.MANAGER, "Dashboard", "web:dashboard"),
    (roles.MANAGER, "Programme", "web:programme"),
    (roles.INTERNAL_AUDITOR, "Programme", "web:programme"),
    (roles.ADMIN, "Programme", "web:programme"),
    (roles.INTERNAL_AUDITOR, "Assurance", "web:assurance"),
    (roles.ADMIN, "Assurance", "web:assurance"),
    (roles.ADMIN, "Administration", "admin:index"),
]


def navigation(request, current: str = "") -> list[dict]:
    held = roles.roles_of(request.user)
    items, seen = [], set()
    for role, label, name in NAVIGATION:
        if role in held and name not in seen:
            seen.add(name)
            items.append({"label": label, "url": reverse(name), "current": name == current})
    return items


def page(request, template: str, context: dict | None = None, *, current: str = "", status=200):
    context = {
        "roles": sorted(roles.roles_of(request.user)),
        "nav": navigation(request, current),
        "session_seconds": settings.SESSION_IDLE_SECONDS,
        **(context or {}),
    }
    return render(request, template, context, status=status)
