"""Balanced placement of cases on auditors, the numeric half of `audits.assignment`.

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
- Sparse: a max-flow on a few candidate auditors per row, asking every auditor with room
  to end at the water level L or L - 1, where L is the smallest level whose room holds
  every placeable row. If that flow places them all, no placement can do better on any
  count, so the full eligibility graph (millions of edges) is never built.
- Exact: on the full graph, a max-flow for the largest placeable count, a binary search
  on L with one max-flow per step, the same "L or L - 1" flow at the optimal L, and
  only if the rules make that impossible, evening out by chains.
"""

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

# Candidates per row in the sparse attempt, then in one wider retry before the full graph.
# A few random candidates already admit a perfect placement of dense eligibility graphs
# with high probability, even when every auditor must end exactly at the level.
CANDIDATES_PER_CASE = (6, 24)


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
    eligible: np.ndarray, capacity: np.ndarray, load: np.ndarray, *, seed: int
) -> Placement:
    """Place each row on one eligible column within capacity, as evenly as possible.

    Deterministic for the inputs and `seed`, which drives the sparse candidate choice.
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
    top = _room_up_to(capacity, load, level)
    rng = np.random.default_rng(seed)
    for per_row in CANDIDATES_PER_CASE:
        edge_rows, edge_cols = _candidate_edges(sub, top, rng, per_row)
        placed = _even_flow(edge_rows, edge_cols, sub.shape, capacity, load, level, target)
        if placed is not None:
            break
    else:
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


def _candidate_edges(sub, top, rng, per_row):
    """A few eligible columns per row (sorted by row): one round-robin pick, random others.

    Picks are drawn from "slots", each auditor repeated once per case it may take up to
    the level, level by level; so the round-robin pick alone spreads rows evenly and the
    random picks favour auditors with more room.
    """
    rows, auditors = sub.shape
    owners = np.repeat(np.arange(auditors), top)
    depth = np.arange(len(owners)) - np.repeat(np.cumsum(top) - top, top)
    slots = owners[np.argsort(depth, kind="stable")]
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


def _even_flow(edge_rows, edge_cols, shape, capacity, load, level, target):
    """Place `target` rows with every auditor ending at min(capacity, level) or one less.

    Returns the columns, or None when these edges cannot do it. Success proves the
    placement optimal: `target` is the most rows that can be placed and no auditor with
    room sits two below another that took a case. Lower bounds on the auditor->sink
    edges are expressed by routing only the top unit of each auditor through a shared
    node whose capacity is exactly what the bounds leave over.
    """
    top = _room_up_to(capacity, load, level)
    bottom = _room_up_to(capacity, load, level - 1)
    spare = target - int(bottom.sum())
    if spare < 0:
        return None
    value, columns = _max_flow(edge_rows, edge_cols, shape, bottom, top - bottom, spare)
    return columns if value == target else None


def _exact_placement(sub, capacity, load):
    """The full-graph route: max count, binary search on the level, then even out."""
    edge_rows, edge_cols = np.nonzero(sub)
    room = np.clip(capacity - load, 0, None)
    none = np.zeros_like(room)
    best_count, columns = _max_flow(edge_rows, edge_cols, sub.shape, room, none, 0)

    # The unrestricted flow shows a level that works; search down to the smallest.
    placed = columns[columns >= 0]
    low = water_level(capacity, load, best_count)
    high = int((load + np.bincount(placed, minlength=len(load)))[np.unique(placed)].max())
    while low < high:
        middle = (low + high) // 2
        top = _room_up_to(capacity, load, middle)
        count, trial = _max_flow(edge_rows, edge_cols, sub.shape, top, none, 0)
        if count == best_count:
            high, columns = middle, trial
        else:
            low = middle + 1
    level = low

    even = _even_flow(edge_rows, edge_cols, sub.shape, capacity, load, level, best_count)
    if even is not None:
        return even, level
    # `columns` is the last flow that succeeded, i.e. one at the optimal level.
    return _even_out(sub, columns, capacity, load), level


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


def _even_out(sub, columns, capacity, load):
    """Move cases along chains of eligible auditors until no chain lowers the spread.

    Each move takes one case from an auditor with total t and, through auditors that
    each pass one on, gives one to an auditor with room and total <= t - 2, so the sum
    of squared totals falls and the loop ends. Chains never need to pass an unplaced
    case: from one, a chain to an auditor with room would place one case more, and the
    placement is already maximum.
    """
    columns = columns.copy()
    auditors = sub.shape[1]
    total = load + np.bincount(columns[columns >= 0], minlength=auditors)
    can_take = sub.any(axis=0)
    while True:
        chain = None
        with_room = can_take & (total < capacity)
        if not with_room.any():
            return columns
        lowest_with_room = total[with_room].min()
        for start in np.lexsort((np.arange(auditors), -total)):
            # Sorted by total: once a start is not two above an auditor with room,
            # no later one is.
            if total[start] < lowest_with_room + 2:
                break
            chain = _improving_chain(sub, columns, total, capacity, start)
            if chain:
                break
        if not chain:
            return columns
        for giver, taker in reversed(list(pairwise(chain))):
            # Last link first, so every giver still holds the case that justified its link.
            held = np.flatnonzero(columns == giver)
            columns[held[sub[held, taker]][0]] = taker
        total[chain[0]] -= 1
        total[chain[-1]] += 1


def _improving_chain(sub, columns, total, capacity, start):
    """Breadth-first search for auditors start -> ... -> end that lowers the spread."""
    auditors = sub.shape[1]
    order = np.argsort(columns, kind="stable")
    bounds = np.searchsorted(columns[order], np.arange(auditors + 1))
    parent = np.full(auditors, -2)
    parent[start] = -1
    queue = [start]
    for node in queue:
        held = order[bounds[node] : bounds[node + 1]]
        reached = np.flatnonzero(sub[held].any(axis=0) & (parent == -2))
        for column in reached:
            parent[column] = node
            if total[column] < capacity[column] and total[column] <= total[start] - 2:
                chain = [int(column)]
                while parent[chain[-1]] != -1:
                    chain.append(int(parent[chain[-1]]))
                return chain[::-1]
            queue.append(column)
    return None
