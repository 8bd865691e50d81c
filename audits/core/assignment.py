"""Who audits which sampled case: independence rules, capacity and balanced load.

Pure: plain data in, plain data out (DESIGN.md section 5). The numeric placement lives
in `audits.core.placement`; this module owns the rules, the cycle's keyed-hash order,
second audits and the report of cases nobody can take.

How a cycle is assigned (`assign`):
1. Each case gets a key, sha256(f"{seed}:second:{case_ref}"), and auditors get
   sha256(f"{seed}:auditor:{id}"). Cases and auditors are processed in key order, so
   ties are broken by the seed and never by the order the caller passes them in.
2. First audits: as many cases are placed as the rules and capacities allow (all of
   them unless capacity runs short); the largest load is the smallest any such
   assignment reaches (what a max-flow with a binary search on the largest load finds)
   and the loads are as even as the rules allow (see `audits.core.placement`).
3. Second audits: a share of the placed cases (default 10%), those with the smallest
   keys, gets a second auditor (keyed by case_ref so the report's reader can recompute
   the choice from the seed, like the sample's selection keys), different from the first
   and also eligible, balanced the same way on top of the first audits' loads. First
   audits go first because every case needs one; a second audit only measures agreement
   and must never take capacity a first audit could use. A chosen case that no auditor
   can take a second time is reported, not swapped for an easier one, which would bias
   the agreement sample towards easy cases.
4. Every case left without an auditor is reported with, for every auditor, the rules
   that block them, or "capacity" / "already_auditing" when no rule does.

`reassign` moves only the unstarted audits of auditors who became unavailable, with the
same rules and balancing; every other assignment stays.

A manager's override (DESIGN.md section 5) waives one rule for one case-auditor pair; the
caller logs the reason, this module only honours the waiver.
"""

import hashlib
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from audits.core.placement import balanced_placement
from audits.core.rules import (
    ALL_RULES,
    ALREADY_AUDITING,
    CAPACITY,
    REASONS,
    RULES,
    Auditor,
    CaseFacts,
    RuleOverride,
    blocking_codes,
    eligibility_matrix,
)

PRIMARY, SECOND = "primary", "second"


@dataclass(frozen=True)
class Unassignable:
    """A case left without an auditor in `role`; `blocked` maps every auditor to why."""

    case_id: int
    case_ref: str
    role: str
    blocked: dict[int, list[str]]

    @property
    def reasons(self) -> list[str]:
        """Every reason that blocked some auditor, in REASONS order."""
        seen = set(chain.from_iterable(self.blocked.values()))
        return [reason for reason in REASONS if reason in seen]


@dataclass(frozen=True)
class AssignmentResult:
    """Case id -> auditor id for first (`primary`) and `second` audits.

    `loads`: auditor id -> carried load plus audits in this result. `optimum_max_load`:
    the smallest largest load any valid assignment of the same cases can reach, with
    first audits placed before second ones; `primary_optimum_max_load`: the same after
    first audits only. Both are reached by this result.
    """

    primary: dict[int, int]
    second: dict[int, int]
    unassignable: list[Unassignable]
    loads: dict[int, int]
    optimum_max_load: int
    primary_optimum_max_load: int

    @property
    def max_load(self) -> int:
        return max(self.loads.values(), default=0)


def assign(
    cases: Sequence[CaseFacts],
    auditors: Sequence[Auditor],
    *,
    seed: str,
    rules: Collection[str] = ALL_RULES,
    second_share: float = 0.10,
    overrides: Collection[RuleOverride] = (),
) -> AssignmentResult:
    """Assign first and second auditors to a cycle's sampled cases (see module docstring)."""
    rules = _checked(cases, auditors, rules)
    if not 0 <= second_share <= 1:
        raise ValueError(f"second_share must be between 0 and 1, got {second_share}")
    cases = list(cases)
    auditors = _auditors_in_key_order(auditors, seed)
    # Rows are built in the caller's order, which reads the case objects in memory order
    # (twice as fast at 10,000 cases as reading them shuffled), then put in key order.
    order = _key_order(cases, seed)
    eligible = eligibility_matrix(cases, auditors, rules, overrides)[order]
    load = np.array([a.load for a in auditors], dtype=np.int64)
    settings = {"seed": seed, "rules": rules, "overrides": overrides}
    first = _place(cases, order, auditors, eligible, load, role=PRIMARY, **settings)

    # Rows are in key order, so the first placed rows have the smallest keys.
    placed = np.flatnonzero(first.columns >= 0)
    chosen = placed[: math.floor(second_share * len(placed) + 0.5)]  # half a case rounds up
    second = _place(
        cases,
        order[chosen],
        auditors,
        eligible[chosen],
        first.load_after,
        role=SECOND,
        already=first.columns[chosen],
        **settings,
    )
    return AssignmentResult(
        primary=first.assigned,
        second=second.assigned,
        unassignable=first.unassignable + second.unassignable,
        loads=dict(zip((a.id for a in auditors), second.load_after.tolist(), strict=True)),
        optimum_max_load=second.best_max_load,
        primary_optimum_max_load=first.best_max_load,
    )


def reassign(
    cases: Sequence[CaseFacts],
    auditors: Sequence[Auditor],
    *,
    seed: str,
    primary: dict[int, int],
    second: dict[int, int],
    unavailable: Collection[int],
    started: Collection[tuple[int, int]] = (),
    rules: Collection[str] = ALL_RULES,
    overrides: Collection[RuleOverride] = (),
) -> AssignmentResult:
    """Move the audits of `unavailable` auditors that have not started; nothing else moves.

    `primary`/`second`: the cycle's current assignments; `started`: (case id, auditor id)
    of audits already begun, which stay with their auditor. Moved audits obey the rules,
    capacity (`Auditor.load` plus the audits that stay), differ from the other role's
    auditor and are balanced as in `assign`, first audits before second ones. `cases`
    must hold the facts of every case that moves. A first audit nobody can take is
    reported; the case keeps a second audit that stays.
    """
    rules = _checked(cases, auditors, rules)
    unavailable, started = set(unavailable), set(started)

    def stays(case_id: int, auditor_id: int) -> bool:
        return auditor_id not in unavailable or (case_id, auditor_id) in started

    stay_primary = {c: a for c, a in primary.items() if stays(c, a)}
    stay_second = {c: a for c, a in second.items() if stays(c, a)}
    facts = {c.id: c for c in cases}
    moving_ids = (primary.keys() - stay_primary.keys()) | (second.keys() - stay_second.keys())
    if missing := sorted(moving_ids - facts.keys()):
        raise ValueError(f"no case facts for moving cases {missing}")

    pool = _auditors_in_key_order([a for a in auditors if a.id not in unavailable], seed)
    column = {a.id: j for j, a in enumerate(pool)}
    staying_load = defaultdict(int)
    for auditor_id in chain(stay_primary.values(), stay_second.values()):
        staying_load[auditor_id] += 1
    load = np.array([a.load + staying_load[a.id] for a in pool], dtype=np.int64)

    def move(role: str, current: dict, staying: dict, other: dict, load: np.ndarray) -> _Phase:
        moving = [facts[c] for c in current.keys() - staying.keys()]
        order = _key_order(moving, seed)
        eligible = eligibility_matrix(moving, pool, rules, overrides)[order]
        already = [column.get(other.get(moving[i].id), -1) for i in order]
        settings = {"seed": seed, "role": role, "rules": rules, "overrides": overrides}
        return _place(moving, order, pool, eligible, load, already=already, **settings)

    first = move(PRIMARY, primary, stay_primary, stay_second, load)
    new_primary = stay_primary | first.assigned
    second_phase = move(SECOND, second, stay_second, new_primary, first.load_after)

    # Unavailable auditors keep their started audits and count towards the loads.
    loads = {a.id: a.load + staying_load[a.id] for a in auditors if a.id in unavailable}
    loads |= dict(zip((a.id for a in pool), second_phase.load_after.tolist(), strict=True))
    kept_max = max((loads[a] for a in unavailable if a in loads), default=0)
    return AssignmentResult(
        primary=new_primary,
        second=stay_second | second_phase.assigned,
        unassignable=first.unassignable + second_phase.unassignable,
        loads=loads,
        optimum_max_load=max(second_phase.best_max_load, kept_max),
        primary_optimum_max_load=max(first.best_max_load, kept_max),
    )


@dataclass(frozen=True)
class _Phase:
    """One placement round: row i went to auditor column columns[i] (or nowhere, -1)."""

    columns: np.ndarray
    assigned: dict[int, int]
    unassignable: list[Unassignable]
    load_after: np.ndarray
    best_max_load: int


def _place(
    cases: Sequence[CaseFacts],
    order: np.ndarray,
    auditors: Sequence[Auditor],
    eligible: np.ndarray,
    load: np.ndarray,
    *,
    seed: str,
    role: str,
    rules: frozenset[str],
    overrides: Collection[RuleOverride],
    already: Sequence[int] | np.ndarray | None = None,
) -> _Phase:
    """Place one auditor per row; row i is cases[order[i]].

    `already[i]`: the auditor column that audits row i's case in the other role, or -1.
    """
    if already is None:
        already = np.full(len(order), -1)
    already = np.asarray(already, dtype=np.int64).reshape(len(order))
    has_other = np.flatnonzero(already >= 0)
    if len(has_other):
        eligible = eligible.copy()
        eligible[has_other, already[has_other]] = False
    capacity = np.array([a.capacity for a in auditors], dtype=np.int64)
    placement = balanced_placement(eligible, capacity, load, seed=_seed_number(seed, role))
    columns = placement.columns

    # Walk the rows in the caller's case order, again for memory order.
    ids = [a.id for a in auditors]
    by_case = np.argsort(order, kind="stable")
    assigned = {
        cases[i].id: ids[j]
        for i, j in zip(order[by_case].tolist(), columns[by_case].tolist(), strict=True)
        if j >= 0
    }

    unplaced = sorted(
        ((cases[order[row]], row) for row in np.flatnonzero(columns < 0)),
        key=lambda pair: (pair[0].case_ref, pair[0].id),
    )
    unassignable = _unassignable(unplaced, auditors, already, role, rules, overrides)

    load_after = load + np.bincount(columns[columns >= 0], minlength=len(auditors))
    return _Phase(columns, assigned, unassignable, load_after, placement.best_max_load)


# The reasons of a pair from its blocking code (bits: the rules in RULES order, then
# "already audits it in the other role"); no bit at all means capacity was the reason.
_ALREADY_BIT = 1 << len(RULES)
_REASONS_OF_CODE = [
    [rule for bit, rule in enumerate(RULES) if code >> bit & 1]
    or [ALREADY_AUDITING if code & _ALREADY_BIT else CAPACITY]
    for code in range(2 * _ALREADY_BIT)
]


def _unassignable(unplaced, auditors, already, role, rules, overrides) -> list[Unassignable]:
    """For each (case, row) left without an auditor, every auditor (by id) with the rules
    that block them, or "already_auditing" / "capacity" when no rule does; the rules are
    checked for all pairs at once, waivers honoured."""
    if not unplaced:
        return []
    ids = [a.id for a in auditors]
    by_id = np.argsort(ids, kind="stable")
    codes = blocking_codes([case for case, _ in unplaced], auditors, rules, overrides)
    other = np.array([already[row] for _, row in unplaced], dtype=np.int64)
    has_other = np.flatnonzero(other >= 0)
    free = codes[has_other, other[has_other]] == 0
    codes[has_other[free], other[has_other][free]] = _ALREADY_BIT
    sorted_ids = [ids[j] for j in by_id.tolist()]
    # Pairs with the same reasons share one list (fresh for each call): 100 auditors by
    # thousands of cases are hundreds of thousands of pairs, read but never changed.
    words = [list(reasons) for reasons in _REASONS_OF_CODE]
    return [
        Unassignable(
            case.id,
            case.case_ref,
            role,
            dict(zip(sorted_ids, map(words.__getitem__, code_row), strict=True)),
        )
        for (case, _), code_row in zip(unplaced, codes[:, by_id].tolist(), strict=True)
    ]


def _key_order(cases: Sequence[CaseFacts], seed: str) -> np.ndarray:
    """Positions of `cases` sorted by sha256(f"{seed}:second:{case_ref}"), then by id."""
    prefix = hashlib.sha256(f"{seed}:second:".encode())

    def digest(case: CaseFacts) -> bytes:
        hashed = prefix.copy()
        hashed.update(case.case_ref.encode())
        return hashed.digest()

    # The 32 digest bytes as four big-endian words sort exactly like the bytes; the id
    # only breaks ties between equal refs, which a cycle should not have.
    words = np.frombuffer(b"".join(map(digest, cases)), dtype=">u8").reshape(len(cases), 4)
    ids = np.array([c.id for c in cases], dtype=np.int64)
    return np.lexsort((ids, *words.T[::-1]))


def _auditors_in_key_order(auditors: Iterable[Auditor], seed: str) -> list[Auditor]:
    return sorted(
        auditors, key=lambda a: hashlib.sha256(f"{seed}:auditor:{a.id}".encode()).digest()
    )


def _seed_number(seed: str, role: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:placement:{role}".encode()).digest()[:8])


def _checked(
    cases: Sequence[CaseFacts], auditors: Sequence[Auditor], rules: Collection[str]
) -> frozenset[str]:
    """Reject unknown rules and duplicate ids, which would make the result ambiguous."""
    if unknown := set(rules) - ALL_RULES:
        raise ValueError(f"unknown rules {sorted(unknown)}")
    for kind, items in (("case", cases), ("auditor", auditors)):
        if len({item.id for item in items}) != len(items):
            raise ValueError(f"duplicate {kind} ids")
    return frozenset(rules)
