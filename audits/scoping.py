"""Who may see what: every queryset the API and pages use is scoped here, once per role.

A user's scope is the union of the scopes of the roles they hold. Objects outside scope are
simply absent from the queryset, so views answer 404 for them without filtering by hand.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from audits import roles
from audits.models import Case, Conflict, Cycle, SampledCase, Staff, Team

NOTHING = Q(pk__in=[])


def _staff_of(user) -> Staff | None:
    return Staff.objects.filter(user=user).first() if user.is_authenticated else None


def _scope(user, rules: dict[str, callable]) -> Q:
    held = roles.roles_of(user)
    condition = NOTHING
    for role, rule in rules.items():
        if role in held:
            condition |= rule(user)
    return condition


# --- Cases --------------------------------------------------------------------------------
def _case_admin(user) -> Q:
    return ~NOTHING


def _managed_team_ids(user):
    return Staff.managed_teams.through.objects.filter(staff__user=user).values("team_id")


def _case_manager(user) -> Q:
    return Q(team_id__in=_managed_team_ids(user))


def _case_auditor(user) -> Q:
    # Auditors see the facts of cases they are assigned to audit, nothing else.
    return Q(pk__in=_assigned_case_ids(user))


def _case_internal_auditor(user) -> Q:
    # Internal audit sees cases that were drawn into a sample (the sampling record).
    return Q(pk__in=_sampled_case_ids())


def _assigned_case_ids(user):
    return Case.objects.none().values("pk")


def _sampled_case_ids():
    return SampledCase.objects.values("case_id")


def cases_for(user) -> QuerySet[Case]:
    rules = {
        roles.ADMIN: _case_admin,
        roles.MANAGER: _case_manager,
        roles.AUDITOR: _case_auditor,
        roles.INTERNAL_AUDITOR: _case_internal_auditor,
    }
    return Case.objects.filter(_scope(user, rules))


# --- Teams and staff ------------------------------------------------------------------------
def _everything(user) -> Q:
    return ~NOTHING


def _own_staff(user) -> Q:
    return Q(user=user)


def teams_for(user) -> QuerySet[Team]:
    if not roles.roles_of(user):
        return Team.objects.none()
    return Team.objects.all()


def staff_for(user) -> QuerySet[Staff]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _everything,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _own_staff,
    }
    return Staff.objects.filter(_scope(user, rules))


def _own_conflicts(user) -> Q:
    return Q(auditor__user=user)


def conflicts_for(user) -> QuerySet[Conflict]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _everything,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _own_conflicts,
    }
    return Conflict.objects.filter(_scope(user, rules))


# --- Cycles and samples ---------------------------------------------------------------------
def _cycle_manager(user) -> Q:
    # A cycle over named teams is visible to a manager of any of them; a cycle over every
    # team to a manager of every team that holds cases (the QA lead); and to its creator.
    managed = _managed_team_ids(user)
    unmanaged = Team.objects.exclude(pk__in=managed).filter(
        Exists(Case.objects.filter(team=OuterRef("pk")))
    )
    all_teams = ~Q(teams__isnull=False) & ~Exists(unmanaged)
    named = Q(pk__in=Cycle.objects.filter(teams__in=managed).values("pk"))
    return named | all_teams | Q(created_by=user)


def _cycle_auditor(user) -> Q:
    return NOTHING


def cycles_for(user) -> QuerySet[Cycle]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _cycle_manager,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _cycle_auditor,
    }
    return Cycle.objects.filter(_scope(user, rules))


def sampled_cases_for(user) -> QuerySet[SampledCase]:
    return SampledCase.objects.filter(cycle__in=cycles_for(user))
