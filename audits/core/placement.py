"""Balanced placement of cases on auditors, the numeric half of `audits.core.assignment`.

Input is a boolean eligibility matrix (rows: cases, columns: auditors, both already in
the cycle's keyed-hash order), each auditor's capacity and the load it already carries.
Output is one column (or -1) per row such that

1. as many rows as possible are placed (a maximum flow),
2. among those placements the largest total load is the smallest possible, and
3. the totals are "decreasingly minimal": no case can be passed along a chain of
   eligible auditors from an auditor with total t to one with room and total <= t - 2.

The placements of a fixed number of rows form an M-convex set of load vectors, so (3)
implies (2) and also minimises the spread and the sum of squares (Frank & Murota,
"Discrete decreasing minimization", 2022). Moves along such chains are how
`_even_out` reaches (3) when the cheaper routes below cannot prove it.

Routes, cheapest first; each ends in a proof, never in a guess:
- Even flows: every auditor with room must end at the water level L or L - 1, where L
  is the smallest level whose room holds every placeable row. First the rows are dealt
  round robin (row i to the i-th free slot, auditor by auditor, level by level), and a
  max-flow on a few candidate auditors per row re-places the rows whose dealt auditor
  is ineligible plus a random share of the others; failing that, the flow re-places
  every row. If a flow places them all, no placement can do better on any count, so the
  full eligibility graph (millions of edges) is never built.
- Exact, when the rules make loads uneven: each row to the least loaded eligible
  auditor with room, completed to a maximum placement by chains from the unplaced rows,
  then evened out by chains from the most loaded auditors (`_even_out`). It ends when
  no chain places a case more or lowers the spread, which is (1) and (3), hence (2).
  Chains are searched on the dense matrix, one numpy row operation per auditor visited.
"""

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

# Candidates per row in the sparse attempts, then in one wider retry before the exact
# route. A few random candidates already admit a perfect placement of dense eligibility
# graphs with high probability, even when every auditor must end exactly at the level.
CANDIDATES_PER_CASE = (6, 24)
# Share of the round-robin placement left free for the flow that repairs it.
REPAIR_SHARE = 0.15


@dataclass(frozen=True)
class Placement:
    """Result of `balanced_placement`.

    columns: one auditor column per row, -1 where the row could not be placed.
    best_max_load: the smallest largest total load (carried plus placed) any maximum
        placement can reach; the returned placement reaches it.
    """

    columns: np.ndarray
    best_max_load: int


def balanced_placement(
    eligible: np.ndarray,
    capacity: np.ndarray,
    load: np.ndarray,
    *,
    seed: int,
    candidates_per_case: tuple[int, ...] = CANDIDATES_PER_CASE,
) -> Placement:
    """Place each row on one eligible column within capacity, as evenly as possible.

    Deterministic for the inputs and `seed`, which drives the sparse candidate choice.
    `candidates_per_case=()` skips the sparse attempts (tests check both routes).
    """
    rows, auditors = eligible.shape
    capacity = np.asarray(capacity, dtype=np.int64)
    load = np.asarray(load, dtype=np.int64)
    columns = np.full(rows, -1, dtype=np.int64)
    carried_max = int(load.max()) if auditors else 0
    room = np.clip(capacity - load, 0, None)
    # Copies of a 10,000 x 500 matrix are a visible share of the run: skip the no-ops.
    with_room = eligible if (room > 0).all() else eligible & (room > 0)
    placeable = with_room.any(axis=1)
    target = min(int(placeable.sum()), int(room.sum()))
    if target == 0:
        return Placement(columns, carried_max)

    sub = with_room if placeable.all() else with_room[placeable]
    level = water_level(capacity, load, target)
    bounds = _room_up_to(capacity, load, level - 1), _room_up_to(capacity, load, level)
    rng = np.random.default_rng(seed)
    placed = None
    if candidates_per_case and target == len(sub):
        fixed = _round_robin(sub, bounds[1], rng)
        placed = _even_flow(sub, fixed, bounds, target, rng, candidates_per_case[0])
    for per_row in candidates_per_case:
        if placed is not None:
            break
        placed = _even_flow(sub, np.full(len(sub), -1), bounds, target, rng, per_row)
    if placed is None:
        placed, level = _exact_placement(sub, capacity, load)
    columns[placeable] = placed
    return Placement(columns, max(level, carried_max))


def water_level(capacity: np.ndarray, load: np.ndarray, count: int) -> int:
    """Smallest L such that filling every auditor up to min(capacity, L) takes `count` more.

    A lower bound on the largest load whatever the eligibility; assumes the total room
    is at least `count`.
    """
    low, high = 0, int(capacity.max())
    while low < high:
        middle = (low + high) // 2
        if _room_up_to(capacity, load, middle).sum() >= count:
            high = middle
        else:
            low = middle + 1
    return low


def _room_up_to(capacity: np.ndarray, load: np.ndarray, level: int) -> np.ndarray:
    return np.clip(np.minimum(capacity, level) - load, 0, None)


def _slots(top):
    """Each auditor once per case it may still take, level by level: 0 1 2 0 1 2 0 2 ..."""
    owners = np.repeat(np.arange(len(top)), top)
    depth = np.arange(len(owners)) - np.repeat(np.cumsum(top) - top, top)
    return owners[np.argsort(depth, kind="stable")]


def _round_robin(sub, top, rng):
    """Row i to slot i where eligible, else -1; also -1 for a random REPAIR_SHARE of rows.

    With every row eligible everywhere this alone ends every auditor at the level or
    one below; the free rows give the repairing flow room to route the others.
    """
    rows = len(sub)
    columns = _slots(top)[:rows]
    free = ~sub[np.arange(rows), columns] | (rng.random(rows) < REPAIR_SHARE)
    return np.where(free, -1, columns)


def _candidate_edges(sub, top, rng, per_row):
    """A few eligible columns per row (sorted by row): one round-robin pick, random others.

    Picks are drawn from `_slots(top)`, so the round-robin pick alone spreads rows evenly
    and the random picks favour auditors with more room.
    """
    rows = len(sub)
    slots = _slots(top)
    picks = np.empty((rows, per_row), dtype=np.int64)
    picks[:, 0] = slots[np.arange(rows) % len(slots)]
    picks[:, 1:] = slots[rng.integers(0, len(slots), (rows, per_row - 1))]
    picks.sort(axis=1)
    keep = np.take_along_axis(sub, picks, axis=1)
    keep[:, 1:] &= picks[:, 1:] != picks[:, :-1]

    # A row the picks barely hit is likely one few auditors may take: give it them all.
    sparse = np.flatnonzero(keep.sum(axis=1) < 2)
    keep[sparse] = False
    edge_rows, position = np.nonzero(keep)
    edge_cols = picks[edge_rows, position]
    if len(sparse):
        extra_rows, extra_cols = np.nonzero(sub[sparse])
        edge_rows = np.concatenate([edge_rows, sparse[extra_rows]])
        edge_cols = np.concatenate([edge_cols, extra_cols])
        by_row = np.argsort(edge_rows, kind="stable")
        edge_rows, edge_cols = edge_rows[by_row], edge_cols[by_row]
    return edge_rows, edge_cols


def _even_flow(sub, fixed, bounds, target, rng, per_row):
    """Place `target` rows so every auditor ends between bounds[0] and bounds[1] cases.

    Rows with fixed[row] >= 0 keep that column; a max-flow on a few candidates places
    the others. Returns the columns, or None when the candidates cannot do it. Success
    proves the placement optimal: `target` is the most rows that can be placed and no
    auditor with room sits two below another that took a case. The lower bounds are
    expressed by routing only each auditor's cases above its lower bound through a
    shared node whose capacity is exactly what the lower bounds leave over.
    """
    bottom, top = bounds
    held = np.bincount(fixed[fixed >= 0], minlength=len(top))
    direct = np.clip(bottom - held, 0, None)
    pooled = top - np.maximum(bottom, held)
    spare = target - int(bottom.sum()) - int(np.clip(held - bottom, 0, None).sum())
    if spare < 0 or (pooled < 0).any():
        return None
    free = np.flatnonzero(fixed < 0)
    free_sub = sub if len(free) == len(sub) else sub[free]
    edges = _candidate_edges(free_sub, top - held, rng, per_row)
    _, columns = _max_flow(*edges, free_sub.shape, direct, pooled, spare)
    placed = fixed.copy()
    placed[free] = columns
    # The proof of optimality, checked rather than trusted to the flow's accounting.
    taken = np.bincount(placed[placed >= 0], minlength=len(top))
    proven = taken.sum() == target and (bottom <= taken).all() and (taken <= top).all()
    return placed if proven else None


def _exact_placement(sub, capacity, load):
    """A greedy start, made maximum and evened out by chains; returns (columns, level)."""
    # Each row to the least loaded eligible auditor with room: close to even already,
    # so the chains have little left to do.
    total = load.copy()
    columns = np.full(sub.shape[0], -1, dtype=np.int64)
    for row, eligible in enumerate(sub):
        options = np.flatnonzero(eligible & (total < capacity))
        if len(options):
            columns[row] = column = options[np.argmin(total[options])]
            total[column] += 1
    columns = _even_out(sub, _make_maximum(sub, columns, capacity, load), capacity, load)
    placed = columns[columns >= 0]
    return columns, int((load + np.bincount(placed, minlength=len(load)))[placed].max())


def _make_maximum(sub, columns, capacity, load):
    """Place unplaced rows by chains ending at an auditor with room, until none is left."""
    columns = columns.copy()
    total = load + np.bincount(columns[columns >= 0], minlength=len(load))
    while (columns < 0).any():
        chain = _find_chain(sub, columns, [UNPLACED], total < capacity, None)[0]
        if chain is None:
            return columns
        end = chain[-1]
        total[end] += _move_along(sub, columns, chain, int(capacity[end] - total[end]))
    return columns


def _max_flow(edge_rows, edge_cols, shape, direct, pooled, pool_capacity):
    """Max-flow source -> row (1) -> column (1) -> sink.

    Column j reaches the sink directly with capacity direct[j] and through a shared pool
    node with capacity pooled[j]; the pool reaches the sink with pool_capacity. Edges
    must be sorted by row. Returns (rows placed, column per row or -1).
    """
    rows, auditors = shape
    first_column = 1 + rows
    pool, sink = first_column + auditors, first_column + auditors + 1
    per_row = np.bincount(edge_rows, minlength=rows)
    indptr = np.concatenate(
        [
            [0, rows],
            rows + np.cumsum(per_row),
            len(edge_rows) + rows + 2 * np.arange(1, auditors + 1),
            [len(edge_rows) + rows + 2 * auditors + 1] * 2,
        ]
    )
    indices = np.concatenate(
        [
            np.arange(1, rows + 1),
            first_column + edge_cols,
            np.tile([pool, sink], auditors),
            [sink],
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(rows + len(edge_rows), dtype=np.int64),
            np.column_stack([pooled, direct]).ravel(),
            [pool_capacity],
        ]
    )
    graph = csr_array(
        (capacities.astype(np.int32), indices.astype(np.int32), indptr.astype(np.int32)),
        shape=(sink + 1, sink + 1),
    )
    result = maximum_flow(graph, 0, sink)

    # The flow matrix also holds reverse edges (negative); a row's unit shows as +1.
    flow = result.flow
    start, end = flow.indptr[1], flow.indptr[rows + 1]
    row_of_entry = np.repeat(np.arange(rows), np.diff(flow.indptr[1 : rows + 2]))
    used = (flow.data[start:end] > 0) & (flow.indices[start:end] >= first_column)
    columns = np.full(rows, -1, dtype=np.int64)
    columns[row_of_entry[used]] = flow.indices[start:end][used] - first_column
    return int(result.flow_value), columns


# Chain searches treat the unplaced rows as one more node; -1 is also their column value.
UNPLACED = -1


def _even_out(sub, columns, capacity, load):
    """Move cases along chains until no auditor is two above one with room it can reach.

    Level by level from the top: a search from every auditor at the highest level t
    either finds a chain to an auditor with room and total <= t - 2 (then moves as many
    cases as the chain's links, the room and the gap allow, which lowers the sum of
    squared totals) or proves those auditors stuck. Everything a stuck search reached
    stays as it is for good: no later chain can enter it, because that chain's end would
    have been reachable too. Chains never need unplaced rows: from one, a chain to an
    auditor with room would place one case more, and the placement is already maximum.
    """
    columns = columns.copy()
    auditors = sub.shape[1]
    total = load + np.bincount(columns[columns >= 0], minlength=auditors)
    settled = ~sub.any(axis=0)
    while True:
        holds = np.bincount(columns[columns >= 0], minlength=auditors) > 0
        movable = holds & ~settled
        if not movable.any():
            return columns
        level = total[movable].max()
        sources = np.flatnonzero(movable & (total == level))
        receivers = ~settled & (total < capacity) & (total <= level - 2)
        if not receivers.any():
            settled[sources] = True
            continue
        chain, reached = _find_chain(sub, columns, sources, receivers, settled)
        if chain is None:
            settled |= reached
            continue
        end = chain[-1]
        gap = (level - total[end]) // 2
        moved = _move_along(sub, columns, chain, int(min(gap, capacity[end] - total[end])))
        total[chain[0]] -= moved
        total[end] += moved


def _find_chain(sub, columns, roots, receivers, avoid):
    """Breadth-first search from `roots` to a column marked in `receivers`.

    A node is an auditor column or UNPLACED; from a node the search reaches every column
    eligible for a row it holds. Columns marked in `avoid` are not entered. Returns
    (chain of nodes from a root to a receiver, None) or (None, columns reached).
    """
    auditors = sub.shape[1]
    parent = np.full(auditors + 1, -2)
    if avoid is not None:
        parent[:auditors][avoid] = -3
    roots = [auditors if root == UNPLACED else root for root in roots]
    parent[roots] = -1
    queue = list(roots)
    for node in queue:
        # Most searches stop after a few nodes: look up holdings per node, not all at once.
        held = np.flatnonzero(columns == (UNPLACED if node == auditors else node))
        reached = np.flatnonzero(sub[held].any(axis=0) & (parent[:auditors] == -2))
        parent[reached] = node
        hits = reached[receivers[reached]]
        if len(hits):
            chain = [int(hits[0])]
            while parent[chain[-1]] != -1:
                chain.append(int(parent[chain[-1]]))
            return [UNPLACED if node == auditors else node for node in chain[::-1]], None
        queue.extend(reached.tolist())
    return None, parent[:auditors] >= -1


def _move_along(sub, columns, chain, wanted):
    """Pass up to `wanted` rows along every link of `chain`; returns how many moved.

    Links are counted and moved last link first, so each giver still holds exactly the
    rows that justified its link.
    """
    links = list(pairwise(chain))
    movable = []
    for giver, taker in links:
        held = np.flatnonzero(columns == giver)
        movable.append(held[sub[held, taker]])
    units = min(wanted, *(len(rows) for rows in movable))
    for (_, taker), rows in zip(reversed(links), reversed(movable), strict=True):
        columns[rows[:units]] = taker
    return units
