"""Single sign-on, the writes: the login a provider's subject signs in as, made on first
sign-in, and its roles and teams set from the group mappings at every sign-in.

The mapping table is the source of truth for an SSO login's roles: a group taken away at the
provider takes its role away at the next sign-in. Teams follow the table too once it maps any
team; a council that keeps teams in the staff import and maps only roles keeps its teams.
Every change is an Event (``staff.access_changed`` via "single sign-on"), and so is every
sign-in, with the groups the provider sent."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from audits.core import sso
from audits.core.roles import ALL_ROLES, AUDITOR, MANAGER, PRACTITIONER
from audits.models import GroupMapping, SingleSignOnIdentity, Staff, Team
from audits.services.history import event_record
from audits.services.staff import access_change_record, staff_access, user_roles

User = get_user_model()
VIA = "single sign-on"
SIGNED_IN = "sso.signed_in"
# Roles that act through a staff record (assignments, managed teams, their own cases).
STAFF_ROLES = frozenset({AUDITOR, MANAGER, PRACTITIONER})


class Disabled(ValueError):
    def __init__(self):
        super().__init__("Your account has been disabled. Ask an administrator if this is wrong.")


def mappings_read() -> tuple[list[sso.GroupMapping], bool]:
    """The table as plain data, and whether it maps any team at all."""
    rows = [
        sso.GroupMapping(
            group=row.group,
            role=row.role,
            team=row.team.name if row.team_id else "",
            manages=row.manages,
        )
        for row in GroupMapping.objects.select_related("team")
    ]
    return rows, any(row.team for row in rows)


def _unique_username(base: str) -> str:
    name, number = base, 1
    while User.objects.filter(username__iexact=name).exists():
        number += 1
        suffix = f"-{number}"
        name = base[: 150 - len(suffix)] + suffix
    return name


def _login_for(issuer: str, claims: dict):
    """The identity row (locked) and its login; both made on the first sign-in."""
    subject = str(claims.get("sub") or "").strip()
    if not subject:
        raise ValueError("the sign-in carried no subject")
    identity = (
        SingleSignOnIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        return identity, False
    first, last = sso.display_name(claims)
    user = User.objects.create_user(
        _unique_username(sso.username_for(claims)),
        email=str(claims.get("email") or "")[:254],
        first_name=first,
        last_name=last,
    )
    user.set_unusable_password()  # signs in at the provider only
    user.save(update_fields=["password"])
    identity = SingleSignOnIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    event_record(
        actor=user,
        verb="created",
        obj=user,
        after={"username": user.username, "issuer": issuer, "subject": subject},
        reason=f"first sign-in through {VIA}",
    )
    return identity, True


def _staff_for(user, access: sso.Access) -> Staff | None:
    staff = Staff.objects.select_related("team").filter(user=user).first()
    if staff is not None:
        return staff
    if not (access.roles & STAFF_ROLES or access.team or access.managed_teams):
        return None
    if user.email:  # a staff record from the register import, not yet linked to a login
        staff = Staff.objects.filter(user=None, email__iexact=user.email).first()
        if staff is not None:
            staff.user = user
            staff.save(update_fields=["user"])
            return staff
    return Staff.objects.create(
        user=user,
        staff_ref=f"sso-{user.pk}",
        name=user.get_full_name() or user.username,
        email=user.email,
    )


def _roles_set(user, wanted: frozenset[str]) -> None:
    held = set(user.groups.filter(name__in=ALL_ROLES))
    keep = {group for group in held if group.name in wanted}
    user.groups.remove(*(held - keep))
    missing = wanted - {group.name for group in keep}
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in sorted(missing)))


def _teams_set(staff: Staff, access: sso.Access) -> None:
    named = {team.name: team for team in Team.objects.filter(name__in=_team_names(access))}
    team = named.get(access.team) if access.team else None
    if staff.team_id != (team.pk if team else None):
        staff.team = team
        staff.save(update_fields=["team"])
    staff.managed_teams.set([named[name] for name in access.managed_teams if name in named])


def _team_names(access: sso.Access) -> set[str]:
    return set(access.managed_teams) | ({access.team} if access.team else set())


def sso_sign_in(*, issuer: str, claims: dict, group_claim: str = "groups"):
    """The login ``claims`` sign in as, with its roles and teams brought into line with the
    groups the provider sent. Raises sso.GroupsOverage when the provider listed no groups
    because there were too many (nothing is changed then)."""
    groups = sso.groups_from_claims(claims, group_claim)
    with transaction.atomic():
        identity, created = _login_for(issuer, claims)
        user = identity.user
        if not user.is_active:
            raise Disabled()
        mappings, maps_teams = mappings_read()
        access = sso.access_from_groups(groups, mappings)
        staff = Staff.objects.select_related("team").filter(user=user).first()
        before = None
        if not created:
            before = staff_access(staff) if staff else {"roles": user_roles(user)}
        _roles_set(user, access.roles)
        staff = _staff_for(user, access)
        if staff is not None and maps_teams:
            _teams_set(staff, access)
        after = staff_access(staff) if staff else {"roles": user_roles(user)}
        if before is not None and staff is not None and "team" not in before:
            before = {"roles": before["roles"], "team": None, "managed_teams": []}
        access_change_record(actor=user, subject=staff or user, before=before, after=after, via=VIA)
        identity.last_signed_in = timezone.now()
        identity.groups = sorted(groups)
        identity.save(update_fields=["last_signed_in", "groups"])
        event_record(
            actor=user,
            verb=SIGNED_IN,
            obj=user,
            after={"issuer": issuer, "groups": sorted(groups), "roles": user_roles(user)},
            reason=(
                "more than one team was mapped as their own; kept " + str(access.team)
                if access.other_teams
                else ""
            ),
        )
    if hasattr(user, "_caseassure_roles"):
        del user._caseassure_roles
    return user
