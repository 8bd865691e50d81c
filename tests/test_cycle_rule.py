"""The two forms of the rule for the cycles a manager runs (``audits/selectors/cycle_rule.py``)
give the same cycles: the subquery every write, API call and command uses, and the answer a
page read works out from three small reads. Checked for every person of the scope world and
for the councils where the forms could part: a cycle over a team that holds no cases, a
cycle over every team when a team without cases is unmanaged, a manager of no team, and a
team that starts holding cases."""

import pytest

from audits.models import Case, Cycle, Staff
from audits.selectors import cycle_rule, page_reads, scoping
from tests import scope_world
from tests.scope_world import _cycle


def _both(user) -> tuple[list[int], list[int]]:
    subquery = sorted(
        Cycle.objects.filter(cycle_rule.cycle_manager_q(user)).values_list("pk", flat=True)
    )
    with page_reads.read_once_per_page():
        worked_out = cycle_rule.cycles_run_by(user)
        scoped = sorted(scoping.cycles_managed_by(user).values_list("pk", flat=True))
    assert scoped == sorted(worked_out)
    return subquery, sorted(worked_out)


def _agree_for_everyone(world) -> dict[str, list[int]]:
    answers = {}
    for name, user in world.people.items():
        subquery, worked_out = _both(user)
        assert worked_out == subquery, name
        answers[name] = worked_out
    return answers


@pytest.fixture
def world(db):
    return scope_world.build()


def test_both_forms_give_every_person_the_same_cycles(world):
    answers = _agree_for_everyone(world)
    cycles = world.cycles
    assert answers["lead"] == sorted(c.pk for c in cycles.values())
    assert answers["two_tom"] == sorted([cycles["south"].pk, cycles["two"].pk])
    assert answers["peer_nora"] == [cycles["north"].pk]
    assert answers["aud_ann"] == answers["ia_ivy"] == []


def test_the_forms_agree_where_teams_hold_no_cases(world):
    lead, nora = world.people["lead"], world.people["peer_nora"]
    qa, north = world.teams["Quality Assurance"], world.teams["North"]
    # A cycle over North and the team that holds no cases: only a manager of both runs it.
    with_qa = _cycle("North and QA", lead, [north, qa])
    assert with_qa.pk not in _agree_for_everyone(world)["lead"]
    Staff.objects.get(user=nora).managed_teams.add(qa)
    assert with_qa.pk in _agree_for_everyone(world)["peer_nora"]
    # The lead runs the cycles over every team while the unmanaged team holds no cases...
    every = world.cycles["all"].pk
    assert every in _agree_for_everyone(world)["lead"]
    # ...and no longer once it holds one.
    Case.objects.filter(pk=world.cases["North"][0].pk).update(team=qa)
    answers = _agree_for_everyone(world)
    assert every not in answers["lead"]
    assert world.cycles["south"].pk in answers["lead"]


def test_a_manager_of_no_team_runs_no_cycle(world):
    tom = world.people["two_tom"]
    Staff.objects.get(user=tom).managed_teams.clear()
    assert _both(tom) == ([], [])
