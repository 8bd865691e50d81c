"""Which cycles a manager runs, which teams they manage and what they audit themselves: what
every scope rule in ``scoping`` starts from, in its two forms.

Outside a page read (writes, the API, commands, tasks) each rule is a subquery of the query
that uses it. On a page read (``page_reads``) its inputs are read once, and the rule is
worked out here from them: the manager's cycle rule as a subquery took about 2.5 ms a page on
the pages bench (0.9 ms building the query, 0.8 ms compiling it, 0.8 ms in PostgreSQL). The
inputs are four small queries compiled once per process (``compiled.py``) and sent in one
round trip: the teams one manages, every cycle's teams (a council's cycles over the years:
a few hundred rows), the teams that hold cases, and one's own assignments.
``tests/test_cycle_rule.py`` holds both forms to the same answer for every kind of person."""

from django.db.models import Exists, OuterRef, Q

from audits.core import roles
from audits.models import Assignment, Case, Cycle, Staff, Team
from audits.selectors import page_reads
from audits.selectors.compiled import Compiled, rows_of_all

MANAGED = Compiled(
    lambda user_id: (
        Staff.managed_teams.through.objects.filter(staff__user_id=user_id)
        .order_by()
        .values_list("team_id")
    )
)
CYCLE_TEAMS = Compiled(
    lambda _key: Cycle.objects.order_by().values_list("pk", "teams"), keyed=False
)
HOLDING_CASES = Compiled(
    lambda _key: (
        Team.objects.filter(Exists(Case.objects.filter(team=OuterRef("pk"))))
        .order_by()
        .values_list("pk")
    ),
    keyed=False,
)
OWN_WORK = Compiled(
    lambda user_id: (
        Assignment.objects.filter(auditor__user_id=user_id)
        .order_by()
        .values_list("sampled_case_id", "audit__status")
    )
)


def _inputs(user) -> dict:
    """On a page read: what the rules start from, read once. A manager's four in one round
    trip; anyone else's own assignments only."""

    def read():
        if not roles.has_role(user, roles.MANAGER):
            return [{"own_work": OWN_WORK.rows(user.pk)}]
        managed, cycle_teams, holding, own = rows_of_all(
            [MANAGED, CYCLE_TEAMS, HOLDING_CASES, OWN_WORK], user.pk
        )
        return [
            {
                "managed": [team_id for (team_id,) in managed],
                "cycle_teams": cycle_teams,
                "holding": {team_id for (team_id,) in holding},
                "own_work": own,
            }
        ]

    return page_reads.once(("scope_inputs", user.pk), read)[0]


def own_work(user) -> list[tuple]:
    """(sampled case, its audit's status or None) of each of one's assignments (page reads)."""
    return _inputs(user)["own_work"]


def managed_team_subquery(user):
    return Staff.managed_teams.through.objects.filter(staff__user=user).values("team_id")


def managed_team_ids(user):
    """The teams the user manages: a subquery, or on a page read a list read once."""
    if not page_reads.reading_a_page():
        return managed_team_subquery(user)
    return list(_inputs(user).get("managed", ()))


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
    """``cycle_manager_q`` worked out from the page read's inputs (a manager's only)."""
    inputs = _inputs(user)
    managed = set(inputs.get("managed", ()))  # none without the manager role
    if not managed:
        return []
    teams_of: dict[int, set] = {}
    for cycle_id, team_id in inputs["cycle_teams"]:
        teams_of.setdefault(cycle_id, set())
        if team_id is not None:
            teams_of[cycle_id].add(team_id)
    # Every team: a manager of each team that holds cases (and of one team at least).
    every = inputs["holding"] <= managed
    return sorted(
        cycle_id for cycle_id, teams in teams_of.items() if (teams <= managed if teams else every)
    )
