"""Assignment core: independence rules, capacity, balanced load, second audits.

The optimum checks use a plain augmenting-path matching written here, not the scipy
flow the core uses, so a shared mistake cannot hide.
"""

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.core.assignment import AssignmentResult, Unassignable, assign, reassign
from audits.core.placement import (
    CANDIDATES_PER_CASE,
    _even_out,
    _make_maximum,
    balanced_placement,
)
from audits.core.rules import (
    ALL_RULES,
    ALREADY_AUDITING,
    CAPACITY,
    RULES,
    Auditor,
    CaseFacts,
    RuleOverride,
    eligibility,
    eligibility_matrix,
)

TEAMS = ("Adults North", "Adults South", "Children East")
NON_AUDITOR_STAFF = (901, 902)
PROPERTY = settings(max_examples=60, deadline=None)


@st.composite
def instances(draw, max_cases=10, max_auditors=5, max_capacity=4):
    auditor_ids = list(range(1, draw(st.integers(0, max_auditors)) + 1))
    staff = st.sampled_from([*auditor_ids, *NON_AUDITOR_STAFF])
    auditors = [
        Auditor(
            id=auditor_id,
            team=draw(st.sampled_from((*TEAMS, None))),
            capacity=draw(st.integers(0, max_capacity)),
            managed_teams=draw(st.frozensets(st.sampled_from(TEAMS), max_size=2)),
            load=draw(st.integers(0, 2)),
        )
        for auditor_id in auditor_ids
    ]
    cases = [
        CaseFacts(
            id=1000 + number,
            case_ref=f"CASE-{number:03}",
            team=draw(st.sampled_from(TEAMS)),
            current_worker=draw(st.none() | staff),
            allocated_staff=draw(st.frozensets(staff, max_size=3)),
            conflicted_auditors=draw(st.frozensets(staff, max_size=2)),
            recent_auditors=draw(st.frozensets(staff, max_size=2)),
        )
        for number in range(draw(st.integers(0, max_cases)))
    ]
    rules = draw(st.frozensets(st.sampled_from(sorted(RULES))))
    return cases, auditors, rules


def rules_broken(case: CaseFacts, auditor: Auditor, enabled) -> set[str]:
    """DESIGN.md section 5 rules, restated here rather than imported from the core."""
    broken = set()
    if auditor.team == case.team:
        broken.add("R1")
    if auditor.id in case.allocated_staff | {case.current_worker}:
        broken.add("R2")
    if case.team in auditor.managed_teams:
        broken.add("R3")
    if auditor.id in case.conflicted_auditors:
        broken.add("R4")
    if auditor.id in case.recent_auditors:
        broken.add("R5")
    return broken & set(enabled)


def best_count(options: list[list[int]], room: list[int]) -> int:
    """Most cases placeable: Kuhn's augmenting paths, auditors holding up to room[a]."""
    holds: list[list[int]] = [[] for _ in room]

    def place(case: int, visited: set[int]) -> bool:
        for auditor in options[case]:
            if auditor in visited:
                continue
            visited.add(auditor)
            if len(holds[auditor]) < room[auditor]:
                holds[auditor].append(case)
                return True
            for other in holds[auditor]:
                if place(other, visited):
                    holds[auditor].remove(other)
                    holds[auditor].append(case)
                    return True
        return False

    return sum(place(case, set()) for case in range(len(options)))


def best_max_load(options: list[list[int]], capacity: list[int], load: list[int]) -> int:
    """Smallest largest load among placements of the most cases, by trying each level."""
    most = best_count(options, [max(0, c - lo) for c, lo in zip(capacity, load, strict=True)])
    for level in itertools.count():
        room = [max(0, min(c, level) - lo) for c, lo in zip(capacity, load, strict=True)]
        if best_count(options, room) == most:
            return max([level, *load])
    raise AssertionError("unreachable")


def options_for(cases, auditors, rules, *, excluded=None):
    excluded = excluded or {}
    return [
        [
            j
            for j, auditor in enumerate(auditors)
            if not rules_broken(case, auditor, rules) and excluded.get(case.id) != auditor.id
        ]
        for case in cases
    ]


def primary_loads(result: AssignmentResult, auditors) -> dict[int, int]:
    placed = Counter(result.primary.values())
    return {a.id: a.load + placed[a.id] for a in auditors}


def second_round_cases(result: AssignmentResult, cases):
    """The cases chosen for a second audit: given one, or reported without one."""
    chosen = set(result.second) | {u.case_id for u in result.unassignable if u.role == "second"}
    return [c for c in cases if c.id in chosen]


@PROPERTY
@given(instances(), st.sampled_from([0.0, 0.1, 0.5, 1.0]), st.text(max_size=6))
def test_no_assignment_breaks_an_enabled_rule_or_a_capacity(instance, share, seed):
    cases, auditors, rules = instance
    result = assign(cases, auditors, seed=seed, rules=rules, second_share=share)

    case_by_id = {c.id: c for c in cases}
    auditor_by_id = {a.id: a for a in auditors}
    for role in (result.primary, result.second):
        for case_id, auditor_id in role.items():
            assert not rules_broken(case_by_id[case_id], auditor_by_id[auditor_id], rules)
    for case_id, auditor_id in result.second.items():
        assert result.primary[case_id] != auditor_id
    new = Counter([*result.primary.values(), *result.second.values()])
    for auditor in auditors:
        assert result.loads[auditor.id] == auditor.load + new[auditor.id]
        if new[auditor.id]:
            assert result.loads[auditor.id] <= auditor.capacity
    reported = {(u.case_id, u.role) for u in result.unassignable}
    assert {c.id for c in cases} == set(result.primary) | {c for c, r in reported if r == "primary"}


@PROPERTY
@given(instances(), st.text(max_size=6))
def test_largest_load_is_the_flow_optimum_and_no_placeable_case_is_left(instance, seed):
    cases, auditors, rules = instance
    result = assign(cases, auditors, seed=seed, rules=rules, second_share=0.5)

    capacity = [a.capacity for a in auditors]
    options = options_for(cases, auditors, rules)
    room = [max(0, a.capacity - a.load) for a in auditors]
    assert len(result.primary) == best_count(options, room)
    first_loads = primary_loads(result, auditors)
    optimum = best_max_load(options, capacity, [a.load for a in auditors])
    assert result.primary_optimum_max_load == optimum
    assert max(first_loads.values(), default=0) == optimum

    # Second audits are balanced on top of the first ones, never on the same auditor.
    chosen = second_round_cases(result, cases)
    options = options_for(chosen, auditors, rules, excluded=result.primary)
    room = [max(0, a.capacity - first_loads[a.id]) for a in auditors]
    assert len(result.second) == best_count(options, room)
    optimum = best_max_load(options, capacity, [first_loads[a.id] for a in auditors])
    assert result.optimum_max_load == optimum == result.max_load


@PROPERTY
@given(instances(max_cases=5, max_auditors=3), st.text(max_size=6))
def test_loads_are_as_even_as_the_rules_allow(instance, seed):
    cases, auditors, rules = instance
    result = assign(cases, auditors, seed=seed, rules=rules, second_share=0)

    eligible = np.array(
        [[not rules_broken(c, a, rules) for a in auditors] for c in cases], dtype=bool
    ).reshape(len(cases), len(auditors))
    capacity = np.array([a.capacity for a in auditors], dtype=int)
    load = np.array([a.load for a in auditors], dtype=int)
    ours = sorted(result.loads.values(), reverse=True)
    assert (len(result.primary), ours) == brute_force_best(eligible, capacity, load)


@PROPERTY
@given(
    st.integers(0, 40),
    st.integers(1, 8),
    st.integers(0, 6),
    st.text(max_size=6),
)
def test_spread_is_at_most_one_when_everyone_is_eligible(cases_count, auditors_count, extra, seed):
    cases = [CaseFacts(id=n, case_ref=f"C{n}", team="Adults North") for n in range(cases_count)]
    capacity = -(-cases_count // auditors_count) + extra
    auditors = [Auditor(id=100 + n, team=None, capacity=capacity) for n in range(auditors_count)]
    result = assign(cases, auditors, seed=seed, second_share=0)

    assert len(result.primary) == cases_count
    assert max(result.loads.values()) - min(result.loads.values()) <= 1


def test_a_case_nobody_may_audit_is_reported_with_the_blocking_rules():
    auditor_ann = Auditor(id=1, team="Adults North", capacity=10)
    auditor_ben = Auditor(id=2, team="Adults South", capacity=10)
    manager_cat = Auditor(id=3, team=None, capacity=10, managed_teams=frozenset({"Adults North"}))
    auditor_dan = Auditor(id=4, team="Children East", capacity=10)
    blocked_case = CaseFacts(
        id=10,
        case_ref="AN-10",
        team="Adults North",
        current_worker=2,
        conflicted_auditors=frozenset({3, 4}),
        recent_auditors=frozenset({4}),
    )
    other_cases = [CaseFacts(id=n, case_ref=f"AS-{n}", team="Adults South") for n in (11, 12, 13)]
    auditors = [auditor_ann, auditor_ben, manager_cat, auditor_dan]

    result = assign([blocked_case, *other_cases], auditors, seed="cycle-7", second_share=0)

    assert result.unassignable == [
        Unassignable(
            case_id=10,
            case_ref="AN-10",
            role="primary",
            blocked={1: ["R1"], 2: ["R2"], 3: ["R3", "R4"], 4: ["R4", "R5"]},
        )
    ]
    assert result.unassignable[0].reasons == ["R1", "R2", "R3", "R4", "R5"]
    assert set(result.primary) == {11, 12, 13}


def test_an_eligible_auditor_without_room_is_reported_as_capacity():
    auditor_full = Auditor(id=1, team=None, capacity=2, load=2)
    auditor_same_team = Auditor(id=2, team="Adults North", capacity=5)
    case = CaseFacts(id=10, case_ref="AN-10", team="Adults North")

    result = assign([case], [auditor_full, auditor_same_team], seed="s")

    assert result.primary == {}
    assert result.unassignable[0].blocked == {1: [CAPACITY], 2: ["R1"]}


def test_when_capacity_runs_short_the_most_cases_are_placed_and_the_rest_reported():
    auditors = [Auditor(id=n, team=None, capacity=2) for n in (1, 2)]
    cases = [CaseFacts(id=n, case_ref=f"C{n}", team="Adults North") for n in range(7)]

    result = assign(cases, auditors, seed="s", second_share=0)

    assert result.loads == {1: 2, 2: 2}
    assert len(result.unassignable) == 3
    assert all(u.blocked == {1: [CAPACITY], 2: [CAPACITY]} for u in result.unassignable)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_blocks_when_enabled_and_is_ignored_when_disabled(rule):
    auditor = Auditor(
        id=7,
        team="Adults North" if rule == "R1" else "Adults South",
        capacity=3,
        managed_teams=frozenset({"Adults North"}) if rule == "R3" else frozenset(),
    )
    case = CaseFacts(
        id=10,
        case_ref="AN-10",
        team="Adults North",
        allocated_staff=frozenset({7}) if rule == "R2" else frozenset(),
        conflicted_auditors=frozenset({7}) if rule == "R4" else frozenset(),
        recent_auditors=frozenset({7}) if rule == "R5" else frozenset(),
    )

    enabled = assign([case], [auditor], seed="s")
    disabled = assign([case], [auditor], seed="s", rules=ALL_RULES - {rule})

    assert enabled.primary == {}
    assert enabled.unassignable[0].blocked == {7: [rule]}
    assert disabled.primary == {10: 7}


def test_the_current_worker_counts_as_allocated_staff():
    worker = Auditor(id=5, team=None, capacity=3)
    case = CaseFacts(id=10, case_ref="AN-10", team="Adults North", current_worker=5)

    assert eligibility(case, worker) == ["R2"]
    assert assign([case], [worker], seed="s").primary == {}


def test_a_manager_override_waives_one_rule_for_one_pair():
    manager_cat = Auditor(id=3, team=None, capacity=5, managed_teams=frozenset({"Adults North"}))
    case = CaseFacts(id=10, case_ref="AN-10", team="Adults North")
    conflicted = CaseFacts(
        id=11, case_ref="AN-11", team="Adults North", conflicted_auditors=frozenset({3})
    )
    waive_r3 = [RuleOverride(case_id=10, auditor_id=3, rule="R3")]

    result = assign([case, conflicted], [manager_cat], seed="s", overrides=waive_r3)

    assert result.primary == {10: 3}
    assert [u.case_id for u in result.unassignable] == [11]


@PROPERTY
@given(instances(max_cases=8, max_auditors=6), st.lists(st.sampled_from(sorted(RULES))))
def test_the_matrix_agrees_with_the_rule_by_rule_check(instance, waived_rules):
    cases, auditors, rules = instance
    overrides = [
        RuleOverride(case.id, auditor.id, rule)
        for case, auditor, rule in zip(cases, auditors, waived_rules, strict=False)
    ]
    matrix = eligibility_matrix(cases, auditors, rules, overrides)
    waived = {(o.case_id, o.auditor_id, o.rule) for o in overrides}
    for i, case in enumerate(cases):
        for j, auditor in enumerate(auditors):
            blocking = eligibility(case, auditor, rules)
            assert set(blocking) == rules_broken(case, auditor, rules)
            unwaived = [r for r in blocking if (case.id, auditor.id, r) not in waived]
            assert matrix[i, j] == (not unwaived)


def test_a_tenth_of_placed_cases_get_a_second_auditor_by_default():
    auditors = [Auditor(id=n, team=None, capacity=30) for n in range(1, 6)]
    cases = [CaseFacts(id=n, case_ref=f"C{n}", team="Adults North") for n in range(50)]

    result = assign(cases, auditors, seed="cycle-7")
    # 10% of 45 is 4.5: half a case rounds up.
    fewer = assign(cases[:45], auditors, seed="cycle-7")

    assert len(result.second) == 5
    assert len(fewer.second) == 5
    assert all(result.second[c] != result.primary[c] for c in result.second)


def test_a_second_audit_nobody_else_may_do_is_reported():
    only_auditor = Auditor(id=1, team=None, capacity=5)
    case = CaseFacts(id=10, case_ref="AN-10", team="Adults North")

    result = assign([case], [only_auditor], seed="s", second_share=1.0)

    assert result.primary == {10: 1}
    assert result.unassignable == [Unassignable(10, "AN-10", "second", {1: [ALREADY_AUDITING]})]


@PROPERTY
@given(instances(), st.randoms(use_true_random=False), st.text(max_size=6))
def test_the_input_order_does_not_change_the_result(instance, shuffler, seed):
    cases, auditors, rules = instance
    shuffled_cases, shuffled_auditors = list(cases), list(auditors)
    shuffler.shuffle(shuffled_cases)
    shuffler.shuffle(shuffled_auditors)

    result = assign(cases, auditors, seed=seed, rules=rules, second_share=0.5)
    again = assign(shuffled_cases, shuffled_auditors, seed=seed, rules=rules, second_share=0.5)

    assert result == again


def test_different_seeds_give_different_assignments():
    auditors = [Auditor(id=n, team=None, capacity=10) for n in range(1, 9)]
    cases = [CaseFacts(id=n, case_ref=f"C{n}", team="Adults North") for n in range(40)]

    one = assign(cases, auditors, seed="cycle-7")
    other = assign(cases, auditors, seed="cycle-8")

    assert one.primary != other.primary
    assert one.second.keys() != other.second.keys()
    assert sorted(one.loads.values()) == sorted(other.loads.values())


def test_unknown_rules_and_duplicate_ids_are_refused():
    auditor = Auditor(id=1, team=None, capacity=1)
    case = CaseFacts(id=10, case_ref="AN-10", team="Adults North")

    with pytest.raises(ValueError, match="unknown rules"):
        assign([case], [auditor], seed="s", rules={"R9"})
    with pytest.raises(ValueError, match="duplicate case ids"):
        assign([case, case], [auditor], seed="s")
    with pytest.raises(ValueError, match="second_share"):
        assign([case], [auditor], seed="s", second_share=1.5)


def test_reassigning_moves_only_the_unavailable_auditors_unstarted_audits():
    auditors = [Auditor(id=n, team=f"Team {n}", capacity=20) for n in range(1, 6)]
    cases = [
        CaseFacts(
            id=n,
            case_ref=f"C{n}",
            team=f"Team {n % 4 + 1}",
            recent_auditors=frozenset({2}) if n % 6 == 0 else frozenset(),
        )
        for n in range(24)
    ]
    before = assign(cases, auditors, seed="cycle-7", second_share=0.25)
    leaving = 3
    own = [c for c, a in before.primary.items() if a == leaving]
    started = {(own[0], leaving)}

    after = reassign(
        cases,
        auditors,
        seed="cycle-7",
        primary=before.primary,
        second=before.second,
        unavailable={leaving},
        started=started,
    )

    for role_before, role_after in ((before.primary, after.primary), (before.second, after.second)):
        for case_id, auditor_id in role_before.items():
            if auditor_id != leaving or (case_id, auditor_id) in started:
                assert role_after[case_id] == auditor_id
            else:
                assert role_after[case_id] != leaving
    assert after.primary[own[0]] == leaving
    case_by_id = {c.id: c for c in cases}
    auditor_by_id = {a.id: a for a in auditors}
    for role in (after.primary, after.second):
        for case_id, auditor_id in role.items():
            assert not rules_broken(case_by_id[case_id], auditor_by_id[auditor_id], ALL_RULES)
    assert all(after.second[c] != after.primary[c] for c in after.second)
    assert after.unassignable == []
    assert after.loads[leaving] == 1
    assert sum(after.loads.values()) == len(after.primary) + len(after.second)


def brute_force_best(eligible, capacity, load):
    """(most rows placed, totals sorted high to low, lexicographically smallest)."""
    rows, auditors = eligible.shape
    best = None
    options = [[None, *np.flatnonzero(eligible[row]).tolist()] for row in range(rows)]
    for choice in itertools.product(*options):
        taken = Counter(c for c in choice if c is not None)
        if any(load[j] + taken[j] > capacity[j] for j in taken):
            continue
        totals = sorted((int(load[j]) + taken[j] for j in range(auditors)), reverse=True)
        candidate = (sum(taken.values()), [-t for t in totals])
        if best is None or candidate > best:
            best = candidate
    return best[0], [-t for t in best[1]]


@st.composite
def matrices(draw):
    """(eligible, capacity, load) for a tiny placement problem."""
    rows, auditors = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    cells = draw(st.lists(st.booleans(), min_size=rows * auditors, max_size=rows * auditors))
    capacity = draw(st.lists(st.integers(0, 4), min_size=auditors, max_size=auditors))
    load = draw(st.lists(st.integers(0, 3), min_size=auditors, max_size=auditors))
    return np.array(cells, dtype=bool).reshape(rows, auditors), np.array(capacity), np.array(load)


def assert_brute_force_optimum(eligible, capacity, load, columns):
    placed = columns[columns >= 0]
    assert all(eligible[row, column] for row, column in enumerate(columns) if column >= 0)
    totals = load + np.bincount(placed, minlength=len(load))
    assert all(totals[j] <= capacity[j] for j in set(placed.tolist()))
    most, best_totals = brute_force_best(eligible, capacity, load)
    assert (len(placed), sorted(totals.tolist(), reverse=True)) == (most, best_totals)
    return max(best_totals)


@PROPERTY
@given(matrices(), st.sampled_from([(), CANDIDATES_PER_CASE]))
def test_both_placement_routes_reach_the_brute_force_optimum(instance, candidates):
    eligible, capacity, load = instance

    placement = balanced_placement(eligible, capacity, load, seed=7, candidates_per_case=candidates)

    best_max_load = assert_brute_force_optimum(eligible, capacity, load, placement.columns)
    assert placement.best_max_load == best_max_load


@PROPERTY
@given(matrices(), st.data())
def test_chains_turn_any_valid_start_into_an_optimum(instance, data):
    eligible, capacity, load = instance
    # A random valid start: each row to a random eligible auditor, if it has room.
    start, total = [], load.copy()
    for row in eligible:
        column = data.draw(st.sampled_from([-1, *np.flatnonzero(row).tolist()]))
        if column >= 0 and total[column] < capacity[column]:
            total[column] += 1
            start.append(column)
        else:
            start.append(-1)

    maximum = _make_maximum(eligible, np.array(start), capacity, load)
    columns = _even_out(eligible, maximum, capacity, load)

    assert_brute_force_optimum(eligible, capacity, load, columns)


def test_balanced_placement_evens_out_what_the_rules_make_uneven():
    # Column 0 may take every row; columns 1 and 2 one row each. The best is (4, 1, 1),
    # which the quick "everyone at 2 or 3" flow cannot reach.
    eligible = np.zeros((6, 3), dtype=bool)
    eligible[:, 0] = True
    eligible[0, 1] = eligible[1, 2] = True

    placement = balanced_placement(eligible, np.full(3, 10), np.zeros(3, dtype=int), seed=1)

    assert placement.columns.tolist() == [1, 2, 0, 0, 0, 0]
    assert placement.best_max_load == 4


def test_the_exact_route_completes_a_greedy_start_that_left_a_row_out():
    # The greedy start gives row 0 to column 0 (least loaded, first); row 1 may only go
    # there. A chain moves row 0 on to column 1 so that both are placed.
    eligible = np.array([[1, 1], [1, 0]], dtype=bool)

    placement = balanced_placement(
        eligible, np.ones(2, dtype=int), np.zeros(2, dtype=int), seed=1, candidates_per_case=()
    )

    assert placement.columns.tolist() == [1, 0]


def test_evening_out_passes_cases_along_a_chain():
    # Row 0 may go to columns 0 or 1, row 1 to columns 1 or 2, rows 2-4 only to column 0.
    # Only the chain 0 -> 1 -> 2 (row 0 to column 1, row 1 to column 2) reaches (3, 1, 1).
    eligible = np.array(
        [[1, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 0], [1, 0, 0]],
        dtype=bool,
    )

    columns = _even_out(eligible, np.array([0, 1, 0, 0, 0]), np.full(3, 9), np.zeros(3, int))

    assert columns.tolist() == [1, 2, 0, 0, 0]


def test_evening_out_moves_several_cases_at_once_without_overshooting():
    eligible = np.ones((7, 2), dtype=bool)

    columns = _even_out(eligible, np.zeros(7, dtype=int), np.full(2, 9), np.array([0, 1]))

    assert np.bincount(columns, minlength=2).tolist() == [4, 3]


@PROPERTY
@given(instances(max_cases=12, max_auditors=5, max_capacity=2), st.data())
def test_every_unassignable_case_names_each_auditors_reasons_as_the_rules_say(instance, data):
    """The reasons, worked out for all pairs at once, are those of the rules restated
    here, waivers honoured; "already_auditing" or "capacity" where no rule blocks."""
    cases, auditors, rules = instance
    pairs = [(c.id, a.id) for c in cases for a in auditors]
    chosen = data.draw(st.lists(st.sampled_from(pairs), max_size=4)) if pairs else []
    overrides = [
        RuleOverride(case_id, auditor_id, data.draw(st.sampled_from(sorted(RULES))))
        for case_id, auditor_id in chosen
    ]
    waived = {(o.case_id, o.auditor_id, o.rule) for o in overrides}
    result = assign(cases, auditors, seed="s", rules=rules, second_share=0.5, overrides=overrides)
    by_id = {c.id: c for c in cases}
    for item in result.unassignable:
        case = by_id[item.case_id]
        assert list(item.blocked) == sorted(a.id for a in auditors)
        for auditor in auditors:
            broken = {
                r
                for r in rules_broken(case, auditor, rules)
                if (case.id, auditor.id, r) not in waived
            }
            if broken:
                assert item.blocked[auditor.id] == sorted(broken)
            elif item.role == "second" and result.primary.get(case.id) == auditor.id:
                assert item.blocked[auditor.id] == [ALREADY_AUDITING]
            else:
                assert item.blocked[auditor.id] == [CAPACITY]


def test_an_unassignable_cases_reasons_leave_out_the_waived_rules():
    auditor = Auditor(id=1, team="Adults North", capacity=0)
    case = CaseFacts(id=10, case_ref="AN-10", team="Adults North", conflicted_auditors={1})

    def reasons(*waived):
        overrides = [RuleOverride(10, 1, rule) for rule in waived]
        return assign([case], [auditor], seed="s", overrides=overrides).unassignable[0].blocked

    assert reasons() == {1: ["R1", "R4"]}
    assert reasons("R4") == {1: ["R1"]}
    assert reasons("R1", "R4") == {1: [CAPACITY]}
