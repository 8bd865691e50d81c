"""Rendering a page with what every page needs: the signed-in user's roles, the main
navigation for those roles, the breadcrumbs back to home, and the idle limit the
session-timeout warning counts down."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from audits.core import roles

READERS = (roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN)

# (roles that see it, label, url name): the main navigation, in the order it is shown. Each
# entry is offered to exactly the roles its page lets in (`role_required` on the view), so
# nobody is shown a link that answers 404 and nobody lacks a link to a page they may read.
NAVIGATION = [
    ((roles.AUDITOR,), "My audits", "web:my-audits"),
    ((roles.PRACTITIONER,), "My case audits", "web:my-findings"),
    ((roles.PRACTITIONER,), "My actions", "web:my-actions"),
    ((roles.MANAGER,), "Cycles", "web:cycles"),
    ((roles.MANAGER,), "Moderation", "web:moderation"),
    (READERS, "Actions", "web:actions"),
    (READERS, "Responses", "web:responses"),
    ((roles.MANAGER, roles.ADMIN), "Escalations", "web:escalations"),
    ((roles.MANAGER,), "Dashboard", "web:dashboard"),
    (READERS, "Programme", "web:programme"),
    ((roles.INTERNAL_AUDITOR, roles.ADMIN), "Assurance", "web:assurance"),
    ((roles.ADMIN,), "External access", "web:external-accesses"),
    ((roles.ADMIN,), "Administration", "admin:index"),
]


def navigation(request, current: str = "") -> list[dict]:
    held = roles.roles_of(request.user)
    return [
        {"label": label, "url": reverse(name), "current": name == current}
        for allowed, label, name in NAVIGATION
        if held & set(allowed)
    ]


def breadcrumbs(request, nav: list[dict], trail=()) -> list[dict]:
    """Home, then the menu section the page belongs to (unless it is that section's own
    list), then ``trail``: (label, url) pairs a deeper page names. The page itself is not a
    crumb (its heading says where you are)."""
    if not request.user.is_authenticated or request.path == reverse("home"):
        return []
    crumbs = [{"label": "Home", "url": reverse("home")}]
    section = next((item for item in nav if item["current"]), None)
    if section and (trail or request.path != section["url"]):
        crumbs.append({"label": section["label"], "url": section["url"]})
    crumbs += [{"label": label, "url": url} for label, url in trail]
    return crumbs


def page(
    request,
    template: str,
    context: dict | None = None,
    *,
    current: str = "",
    status=200,
    trail=(),
):
    nav = navigation(request, current)
    context = {
        "roles": sorted(roles.roles_of(request.user)),
        "nav": nav,
        "breadcrumbs": breadcrumbs(request, nav, trail),
        "session_seconds": settings.SESSION_IDLE_SECONDS,
        **(context or {}),
    }
    return render(request, template, context, status=status)
