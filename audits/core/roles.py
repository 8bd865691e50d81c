"""The roles. A role is a Django group; a user may hold several."""

AUDITOR = "auditor"
MANAGER = "manager"
INTERNAL_AUDITOR = "internal_auditor"
ADMIN = "admin"
# The case's worker and manager at the time of an audit: they read its final findings,
# respond to them, and update the actions they own.
PRACTITIONER = "practitioner"
ALL_ROLES = (AUDITOR, MANAGER, INTERNAL_AUDITOR, ADMIN, PRACTITIONER)


def roles_of(user) -> frozenset[str]:
    """The roles a user holds; cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_caseassure_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {ADMIN}
        user._caseassure_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def remember(user, held) -> None:
    """Cache the roles of ``user`` when they were read with it (see authentication.py)."""
    names = frozenset(held) & frozenset(ALL_ROLES)
    user._caseassure_roles = names | {ADMIN} if user.is_superuser else names
