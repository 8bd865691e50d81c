"""One decision per action, shared by the pages and the API.

Each role grants its own scope and nothing more. Auditing in a cycle grants the auditor's
rights on one's own audits only; managing covers the teams one manages (the QA lead: all),
and a cycle covers only teams its manager manages. The querysets behind these decisions
live in ``scoping``; a view asks here whether the person may act, and answers 404 when the
thing is outside their scope.
"""

from audits.core import roles
from audits.models import Action, Audit, Case, Cycle, Escalation, Staff, Team
from audits.selectors import scoping


def cycle_teams_problem(user, teams) -> str | None:
    """Why ``user`` may not run a cycle over ``teams`` (empty: every team), or None."""
    if not roles.has_role(user, roles.MANAGER):
        return "Only a manager runs audit cycles."
    if not teams:
        if scoping.manages_every_team(user):
            return None
        return "Choose the teams: only a manager of every team can audit every team."
    managed = set(scoping.teams_managed_by(user).values_list("pk", flat=True))
    others = sorted(team.name for team in teams if team.pk not in managed)
    if others:
        return f"You do not manage {', '.join(others)}; choose only teams you manage."
    return None


def team_choices(user):
    """The teams a manager may put in a cycle."""
    return scoping.teams_managed_by(user).order_by("name")


def can_manage_cycle(user, cycle: Cycle) -> bool:
    """Draw, extend, replace, assign, override, change, request a report, see its dashboard."""
    return scoping.cycles_managed_by(user).filter(pk=cycle.pk).exists()


def can_request_report(user, cycle: Cycle) -> bool:
    return can_manage_cycle(user, cycle)


def can_moderate(user, audit: Audit) -> bool:
    """A manager of the audit's cycle. Independence of the case (not its auditor, not its
    team, no conflict) is the moderation service's own check, answered with 403."""
    return scoping.audits_managed_by(user).filter(pk=audit.pk).exists()


def is_audit_author(user, audit: Audit) -> bool:
    return audit.assignment.auditor.user_id == user.pk and roles.has_role(user, roles.AUDITOR)


def can_edit_audit(user, audit: Audit) -> bool:
    """Save and submit: the audit's own auditor, through the auditor role."""
    return is_audit_author(user, audit)


def can_raise_concern(user, audit: Audit) -> bool:
    """The audit's own auditor, or a manager of its cycle."""
    return is_audit_author(user, audit) or can_moderate(user, audit)


def can_raise_action(user, audit: Audit) -> bool:
    """The audit's own auditor, a manager of its cycle, or an administrator."""
    return (
        roles.has_role(user, roles.ADMIN)
        or is_audit_author(user, audit)
        or can_moderate(user, audit)
    )


def can_change_action_terms(user, action: Action) -> bool:
    """Owner, due date, priority and description: a manager of the action's team."""
    return roles.has_role(user, roles.ADMIN) or (
        scoping.teams_managed_by(user).filter(pk=action.team_id).exists()
    )


def can_update_action_progress(user, action: Action) -> bool:
    """Progress notes and marking done: the action's owner (whatever role lets them sign in)
    or a manager of the action's team."""
    is_owner = action.owner.user_id is not None and action.owner.user_id == user.pk
    return (is_owner and bool(roles.roles_of(user))) or can_change_action_terms(user, action)


def action_verify_problem(user, action: Action, *, managed_team_ids=None) -> str | None:
    """Why ``user`` may not verify ``action`` (maker and checker), or None. A manager of the
    action's team verifies; never its owner, never whoever marked it done, whatever roles
    they hold. ``managed_team_ids`` (from `verify_team_ids`) saves a query per action on a
    list."""
    if managed_team_ids is None:
        manages = can_change_action_terms(user, action)
    else:
        manages = roles.has_role(user, roles.ADMIN) or action.team_id in managed_team_ids
    if not roles.has_role(user, roles.MANAGER) or not manages:
        return "A manager of the action's team verifies it."
    if action.owner.user_id == user.pk:
        return "The action's owner cannot verify it: another manager does."
    if action.done_by_id == user.pk:
        return "Whoever marked the action done cannot verify it: another manager does."
    return None


def verify_team_ids(user) -> set[int]:
    return set(scoping.teams_managed_by(user).values_list("pk", flat=True))


def can_request_follow_up(user, case: Case) -> bool:
    """A manager of the case's team."""
    return scoping.cases_managed_by(user).filter(pk=case.pk).exists()


def can_acknowledge(user, escalation: Escalation) -> bool:
    """The case's team manager, the QA lead, or an administrator."""
    if roles.has_role(user, roles.ADMIN):
        return True
    team: Team = escalation.audit.assignment.sampled_case.case.team
    return scoping.manages_every_team(user) or (
        scoping.teams_managed_by(user).filter(pk=team.pk).exists()
    )


def action_owners():
    """Who can own an action: anyone still working here (the page and the API offer the
    same people)."""
    return Staff.objects.filter(is_active=True)
