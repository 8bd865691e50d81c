"""Who may see and change declared conflicts of interest (split from ``scoping``, whose
rules it uses)."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from audits.core import roles
from audits.models import Case, Conflict, Team
from audits.selectors.scoping import _everything, _managed_team_ids, _scope


def _own_conflicts(user) -> Q:
    return Q(auditor__user=user)


def _conflict_manager(user) -> Q:
    # The conflicts of the cases of one's teams and with the workers of one's teams; a
    # manager of every team holding cases (the QA lead) also those with a worker of no team.
    managed = _managed_team_ids(user)
    unmanaged = Team.objects.exclude(pk__in=managed).filter(
        Exists(Case.objects.filter(team=OuterRef("pk")))
    )
    every_team = Q(worker__team__isnull=True) & ~Exists(unmanaged)
    return Q(case__team_id__in=managed) | Q(worker__team_id__in=managed) | every_team


def conflicts_for(user) -> QuerySet[Conflict]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _conflict_manager,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _own_conflicts,
    }
    return Conflict.objects.filter(_scope(user, rules))


def conflicts_managed_by(user) -> QuerySet[Conflict]:
    """Conflicts the user may change or withdraw: only through the manager role, for the
    teams they manage; never because they declared it."""
    if not roles.has_role(user, roles.MANAGER):
        return Conflict.objects.none()
    return Conflict.objects.filter(_conflict_manager(user))
