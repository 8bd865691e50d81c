"""The independence rules: their names and words, the facts they need, and whom they block.

Pure. A rule blocks an auditor from a case (R1 to R5 below); a cycle switches rules on or
off, and a manager's override waives one rule for one case-auditor pair (DESIGN.md
section 5). `audits.core.assignment` places cases on the auditors these rules leave.

``RULES`` holds the words people read for each rule ("auditor is in the case's current
team"): pages, the API, the report and its PDF take them from here.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

RULES = {
    "R1": "auditor is in the case's current team",
    "R2": "auditor is or was the case's allocated worker or manager",
    "R3": "auditor manages the case's team",
    "R4": "auditor declared a conflict with the case or its worker",
    "R5": "auditor audited this case in the last 12 months",
}
# What each rule requires, as the report and pages state it (RULES says what breaks it).
RULE_REQUIREMENTS = {
    "R1": "the auditor must not work in the case's current team",
    "R2": "the auditor must never have been the case's allocated worker or manager",
    "R3": "the auditor must not manage the case's team",
    "R4": "the auditor must not have declared a conflict with the case or its worker",
    "R5": "the auditor must not have audited this case in the last 12 months",
}
ALL_RULES = frozenset(RULES)
# Reasons that are not rules: shown for an auditor no rule blocks.
CAPACITY = "capacity"
ALREADY_AUDITING = "already_auditing"
REASONS = {
    **RULES,
    CAPACITY: "auditor has no capacity left",
    ALREADY_AUDITING: "auditor already audits this case in the other role",
}
# The rules a moderator is held to. R3 is left out: the QA lead oversees every team without
# line-managing it. A team manager is still caught by R1 (their own team) and R2 (allocated
# as manager).
MODERATION_RULES = ("R1", "R2", "R4")


def reason_words(reason: str) -> str:
    """A rule as its name and what it requires, joined by an en dash ("R1", the dash, "the
    auditor must not work in the case's current team"); a reason that is not a rule in its
    own words."""
    if reason in RULE_REQUIREMENTS:
        return f"{reason} \N{EN DASH} {RULE_REQUIREMENTS[reason]}"
    return REASONS.get(reason, reason)


def all_rules_on() -> dict[str, bool]:
    """A new cycle's rules: every one switched on."""
    return dict.fromkeys(RULES, True)


@dataclass(frozen=True)
class Auditor:
    """An auditor in the cycle's pool. `load`: audits already carried (outside this run)."""

    id: int
    team: str | None
    capacity: int
    managed_teams: frozenset[str] = frozenset()
    load: int = 0


@dataclass(frozen=True)
class CaseFacts:
    """The facts the rules need about one sampled case.

    Staff and auditor ids are the same kind of id (user ids), so "the auditor was the
    worker" is an id comparison. `allocated_staff` is the whole allocation history
    (workers and managers, current included); `conflicted_auditors` holds auditors with a
    declared conflict with the case or with its worker, resolved by the caller.
    """

    id: int
    case_ref: str
    team: str
    current_worker: int | None = None
    allocated_staff: frozenset[int] = frozenset()
    conflicted_auditors: frozenset[int] = frozenset()
    recent_auditors: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RuleOverride:
    """A manager's waiver of one rule for one case-auditor pair."""

    case_id: int
    auditor_id: int
    rule: str


def eligibility(case: CaseFacts, auditor: Auditor, rules: Collection[str] = ALL_RULES) -> list[str]:
    """The enabled rules that block `auditor` from auditing `case`; [] when eligible."""
    blocking = {
        "R1": auditor.team is not None and auditor.team == case.team,
        "R2": auditor.id in case.allocated_staff or auditor.id == case.current_worker,
        "R3": case.team in auditor.managed_teams,
        "R4": auditor.id in case.conflicted_auditors,
        "R5": auditor.id in case.recent_auditors,
    }
    return [rule for rule, blocks in blocking.items() if blocks and rule in rules]


def eligibility_matrix(
    cases: Sequence[CaseFacts],
    auditors: Sequence[Auditor],
    rules: Collection[str] = ALL_RULES,
    overrides: Collection[RuleOverride] = (),
) -> np.ndarray:
    """Boolean matrix, True where auditors[j] may audit cases[i]: `eligibility`, vectorised."""
    eligible = np.ones((len(cases), len(auditors)), dtype=bool)
    if not cases or not auditors:
        return eligible
    team_code: dict[str, int] = {}
    # Narrow codes: comparing millions of pairs is memory-bound.
    case_team = np.array([team_code.setdefault(c.team, len(team_code)) for c in cases], np.int32)
    if "R1" in rules:
        auditor_team = np.array([team_code.get(a.team, -1) for a in auditors], np.int32)
        eligible &= case_team[:, None] != auditor_team[None, :]
    if "R3" in rules:
        manages = np.zeros((len(team_code), len(auditors)), dtype=bool)
        for column, auditor in enumerate(auditors):
            manages[[team_code[t] for t in auditor.managed_teams if t in team_code], column] = True
        eligible &= ~manages[case_team]

    # Pair rules: flatten each case's id set, find which ids are auditors, clear them.
    auditor_ids = np.array([a.id for a in auditors])
    by_id = np.argsort(auditor_ids)

    def block(id_sets: Iterable[Collection[int]]) -> None:
        id_sets = list(id_sets)
        sizes = np.fromiter(map(len, id_sets), int, len(id_sets))
        ids = np.fromiter(chain.from_iterable(id_sets), int, int(sizes.sum()))
        rows = np.repeat(np.arange(len(id_sets)), sizes)
        position = np.minimum(np.searchsorted(auditor_ids, ids, sorter=by_id), len(by_id) - 1)
        hit = auditor_ids[by_id[position]] == ids
        eligible[rows[hit], by_id[position[hit]]] = False

    if "R2" in rules:
        block(c.allocated_staff for c in cases)
        block(() if c.current_worker is None else (c.current_worker,) for c in cases)
    if "R4" in rules:
        block(c.conflicted_auditors for c in cases)
    if "R5" in rules:
        block(c.recent_auditors for c in cases)

    if overrides:
        row = {c.id: i for i, c in enumerate(cases)}
        column = {a.id: j for j, a in enumerate(auditors)}
        waived = waivers(overrides)
        for (case_id, auditor_id), rules_waived in waived.items():
            if case_id in row and auditor_id in column:
                i, j = row[case_id], column[auditor_id]
                eligible[i, j] = not eligibility(cases[i], auditors[j], set(rules) - rules_waived)
    return eligible


def blocking_codes(
    cases: Sequence[CaseFacts],
    auditors: Sequence[Auditor],
    rules: Collection[str] = ALL_RULES,
    overrides: Collection[RuleOverride] = (),
) -> np.ndarray:
    """`eligibility` for every pair at once, as bit flags: bit k of [i, j] is set when the
    k-th rule of RULES (in order) blocks auditors[j] from cases[i], waivers honoured."""
    codes = np.zeros((len(cases), len(auditors)), dtype=np.uint8)
    for bit, rule in enumerate(RULES):
        if rule in rules:
            blocked = ~eligibility_matrix(cases, auditors, {rule}, overrides)
            codes |= blocked.astype(np.uint8) << bit
    return codes


def waivers(overrides: Collection[RuleOverride]) -> dict[tuple[int, int], frozenset[str]]:
    waived: dict[tuple[int, int], set[str]] = defaultdict(set)
    for override in overrides:
        waived[override.case_id, override.auditor_id].add(override.rule)
    return {pair: frozenset(rules) for pair, rules in waived.items()}


# Why a case found no auditor, decided from what blocked each auditor of the pool: the
# cycle page groups its unassignable cases by these (kept per case, not per auditor).
NO_CAPACITY = "no_capacity"
ONLY_OTHER_ROLE = "only_other_role"
NOT_INDEPENDENT = "not_independent"
NO_POOL = "no_pool"
UNASSIGNABLE_WHY = {
    NO_CAPACITY: "no independent auditor has capacity left",
    ONLY_OTHER_ROLE: "the only independent auditors already audit the case in the other role",
    NOT_INDEPENDENT: "no auditor in the pool is independent of the case",
    NO_POOL: "there is no auditor in the pool",
}


def unassignable_why(blocked: Collection[Collection[str]], reasons: Collection[str]) -> str:
    """The reason that decided it, from each auditor's blocking reasons: an auditor stopped
    by nothing but capacity was independent of the case and full; one stopped by nothing but
    the other role already audits it; otherwise every auditor broke an independence rule.
    Without the detail per auditor (``blocked`` empty), from the case's ``reasons``."""
    sets = [set(each) for each in blocked]
    if not sets and not reasons:
        return NO_POOL
    if not sets:
        return NO_CAPACITY if CAPACITY in reasons else NOT_INDEPENDENT
    if any(each == {CAPACITY} for each in sets):
        return NO_CAPACITY
    if any(each <= {CAPACITY, ALREADY_AUDITING} for each in sets):
        return ONLY_OTHER_ROLE
    return NOT_INDEPENDENT
