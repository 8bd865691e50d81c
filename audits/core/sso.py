"""Single sign-on, the pure part: which roles and teams a person's identity-provider groups
give them, through the administrators' table of group mappings.

Plain data in, plain data out. The groups come from the ID token or userinfo claim the
setting names (Entra ID sends group object ids in ``groups``); a mapping row gives a role,
a team, or both (the team as the person's own, or as one they manage)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from audits.core.roles import ALL_ROLES


@dataclass(frozen=True)
class GroupMapping:
    group: str  # the claim's value: an Entra group object id, or a group name
    role: str = ""  # one of roles.ALL_ROLES, or "" for a team only
    team: str = ""  # a team's name, or "" for a role only
    manages: bool = False  # the team is one they manage, not the one they belong to


@dataclass(frozen=True)
class Access:
    roles: frozenset[str] = frozenset()
    team: str | None = None
    managed_teams: frozenset[str] = frozenset()
    # More than one team mapped as the person's own: the first by name is kept, the others
    # are named here so the sign-in can say so in its Event.
    other_teams: tuple[str, ...] = field(default=())


class GroupsOverage(ValueError):
    """Entra ID sends no groups when a person is in more than 200 (the "overage": a
    pointer to Microsoft Graph instead). Signing them in with no role would silently take
    every role away, so the sign-in is refused with these words."""

    def __init__(self):
        super().__init__(
            "Your organisation's sign-in did not say which groups you are in (you are in too "
            "many for it to list). Ask an administrator to assign the application's groups "
            "to you directly."
        )


def groups_from_claims(claims: dict, claim: str = "groups") -> frozenset[str]:
    """The groups named in ``claims``: a list of strings, one string, or none at all.
    Entra's overage marker (``_claim_names`` naming the claim) raises GroupsOverage."""
    value = claims.get(claim)
    if value is None:
        if claim in (claims.get("_claim_names") or {}):
            raise GroupsOverage()
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return frozenset()
    return frozenset(str(item).strip() for item in value if str(item).strip())


def access_from_groups(groups: Iterable[str], mappings: Iterable[GroupMapping]) -> Access:
    """The roles and teams ``groups`` carry. A group with no mapping gives nothing; a role
    not in roles.ALL_ROLES is ignored (the table's choices keep it out anyway)."""
    held = frozenset(groups)
    chosen = [m for m in mappings if m.group in held]
    roles = frozenset(m.role for m in chosen if m.role in ALL_ROLES)
    own = sorted({m.team for m in chosen if m.team and not m.manages})
    managed = frozenset(m.team for m in chosen if m.team and m.manages)
    return Access(
        roles=roles,
        team=own[0] if own else None,
        managed_teams=managed,
        other_teams=tuple(own[1:]),
    )


def username_for(claims: dict) -> str:
    """A readable username for someone signing in for the first time: the provider's
    preferred username (Entra: the UPN), else the email, else the subject; at most 150
    characters (Django's limit). The caller makes it unique."""
    for key in ("preferred_username", "email", "sub"):
        value = str(claims.get(key) or "").strip()
        if value:
            return value[:150]
    raise ValueError("the sign-in carried no subject")


def display_name(claims: dict) -> tuple[str, str]:
    """(first name, last name) from the claims, each at most 150 characters."""
    first = str(claims.get("given_name") or "").strip()
    last = str(claims.get("family_name") or "").strip()
    if not first and not last:
        name = str(claims.get("name") or "").strip()
        first, _, last = name.partition(" ")
    return first[:150], last[:150]
