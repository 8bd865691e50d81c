"""Which cycles a manager runs, and which teams they manage: the rule every manager scope in
``scoping`` starts from, in its two forms.

Outside a page read (writes, the API, commands, tasks) the rule is a subquery of the query
that uses it. On a page read (``page_reads``) its inputs are read once, in three small
queries, and the rule is worked out here: the subquery form took about 2.5 ms a page on the
pages bench (0.9 ms building the query, 0.8 ms compiling it, 0.8 ms in PostgreSQL), the
reads about a third of that. ``tests/test_cycle_rule.py`` holds both forms to the same
answer for every kind of manager."""

from django.db.models import Exists, OuterRef, Q

from audits.models import Case, Cycle, Staff, Team
from audits.selectors import page_reads


def managed_team_subquery(user):
    return Staff.managed_teams.through.objects.filter(staff__user=user).values("team_id")


def managed_team_ids(user):
    """The teams the user manages: a subquery, or on a page read a list read once."""
    through = Staff.managed_teams.through.objects.filter(staff__user=user)
    return page_reads.ids(
        ("managed_teams", user.pk), lambda: through.values_list("team_id", flat=True)
    )


def manages_every_team_q(user) -> Exists:
    """True for a manager of every team that holds cases (the QA lead)."""
    managed = managed_team_subquery(user)
    holds_cases = Exists(Case.objects.filter(team=OuterRef("pk")))
    unmanaged = Team.objects.exclude(pk__in=managed).filter(holds_cases)
    return ~Exists(unmanaged) & Exists(managed)


def cycle_manager_q(user) -> Q:
    # A cycle over named teams is run by a manager of every one of them; a cycle over every
    # team by a manager of every team (the QA lead). Nothing else grants it: not having
    # created the cycle, and not auditing in it.
    managed = managed_team_subquery(user)
    cycle_teams = Cycle.teams.through.objects.filter(cycle_id=OuterRef("pk"))
    named = Exists(cycle_teams) & ~Exists(cycle_teams.exclude(team_id__in=managed))
    every = ~Exists(cycle_teams) & manages_every_team_q(user)
    return Q(named) | Q(every)


def cycles_run_by(user) -> list[int]:
    """``cycle_manager_q`` worked out from the teams the user manages, every cycle's teams
    (a council's cycles over the years: a few hundred rows) and, only if a cycle covers
    every team, whether an unmanaged team holds cases."""
    managed = set(managed_team_ids(user))
    if not managed:
        return []
    teams_of: dict[int, set] = {}
    for cycle_id, team_id in Cycle.objects.order_by().values_list("pk", "teams"):
        teams_of.setdefault(cycle_id, set())
        if team_id is not None:
            teams_of[cycle_id].add(team_id)
    every = None
    run = []
    for cycle_id, teams in sorted(teams_of.items()):
        if not teams and every is None:
            holds_cases = Exists(Case.objects.filter(team=OuterRef("pk")))
            every = not Team.objects.exclude(pk__in=managed).filter(holds_cases).exists()
        if (teams <= managed) if teams else every:
            run.append(cycle_id)
    return run
