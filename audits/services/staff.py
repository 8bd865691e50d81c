"""What a person may reach — their roles, their team and the teams they manage — and the
Event that records each change of it, whichever way the change was made (the staff import,
the API's staff endpoints, Django admin)."""

from typing import Any

from audits.core.roles import ADMIN, ALL_ROLES
from audits.models import Event, Staff
from audits.services.history import event_record

ACCESS_CHANGED = "staff.access_changed"


def user_roles(user) -> list[str]:
    """The roles a login holds, read fresh (never the per-request cache): a superuser is an
    administrator whatever their groups say."""
    if user is None:
        return []
    held = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    if user.is_superuser:
        held.add(ADMIN)
    return sorted(held)


def staff_access(staff: Staff) -> dict[str, Any]:
    """Team, managed teams and roles of a member of staff, by name, as stored now."""
    return {
        "team": staff.team.name if staff.team_id else None,
        "managed_teams": sorted(staff.managed_teams.values_list("name", flat=True)),
        "roles": user_roles(staff.user) if staff.user_id else [],
    }


def access_change_record(
    *, actor, subject, before: dict | None, after: dict, via: str
) -> Event | None:
    """Record what changed between ``before`` (None for someone new) and ``after``: only the
    parts that changed, each with its old and new value. Nothing changed, nothing recorded.

    ``subject`` is the Staff row, or the User for a login with no staff record."""
    changed = [key for key in after if before is None or before.get(key) != after[key]]
    if not changed:
        return None
    return event_record(
        actor=actor,
        verb=ACCESS_CHANGED,
        obj=subject,
        object_type="staff" if isinstance(subject, Staff) else "user",
        before=None if before is None else {key: before.get(key) for key in changed},
        after={key: after[key] for key in changed},
        reason=f"changed through {via}",
    )
