"""The reserve of a draw: the next ranks of each stratum, kept at the draw so that a
replacement or a small extension takes them without re-hashing the frame.

Pure. The draw asks the selection for ``n_h + reserve_size(n_h, N_h)`` ranks per stratum
(the same rule, so ranks 1..n_h are unchanged and the reserve holds ranks n_h+1... in key
order), keeps ranks 1..n_h as the sample and stores the rest. ``from_reserve`` gives the
next ranks when the reserve covers them, and says so when it cannot (then the caller
reads the stored frame once, as before).
"""

import math
from collections.abc import Mapping

from audits.core.sampling import Selected

# Per stratum: a quarter of its sample, at least RESERVE_MIN cases (replacements are a
# few per stratum; a larger extension falls back to the stored frame).
RESERVE_MIN = 10
RESERVE_SHARE = 0.25


def reserve_size(n: int, population: int) -> int:
    """How many ranks after the first n a stratum of `population` cases keeps in reserve."""
    return max(0, min(population - n, max(RESERVE_MIN, math.ceil(n * RESERVE_SHARE))))


def with_reserve(allocation: Mapping[str, int], sizes: Mapping[str, int]) -> dict[str, int]:
    """The allocation the draw selects: n_h plus the stratum's reserve."""
    return {
        stratum: n + reserve_size(n, sizes.get(stratum, 0)) for stratum, n in allocation.items()
    }


def split_reserve(
    drawn: Mapping[str, list[Selected]], allocation: Mapping[str, int]
) -> tuple[dict[str, list[Selected]], dict[str, list[list]]]:
    """(the sample: ranks 1..n_h, the reserve: [[rank, case_ref, key], ...] per stratum)."""
    sample, reserve = {}, {}
    for stratum, items in drawn.items():
        n = allocation.get(stratum, 0)
        sample[stratum] = items[:n]
        reserve[stratum] = [[s.rank, s.case_ref, s.selection_key] for s in items[n:]]
    return sample, reserve


def from_reserve(
    reserve: Mapping[str, list[list]],
    sizes: Mapping[str, int],
    stratum: str,
    drawn: int,
    more: int,
) -> list[Selected] | None:
    """Ranks drawn+1..drawn+more of `stratum` from the reserve (fewer if the stratum
    ends first), or None if the reserve does not reach that far (or there is none)."""
    if stratum not in reserve:
        return None
    entries = reserve[stratum]
    last = entries[-1][0] if entries else drawn
    if drawn + more > last and last < sizes.get(stratum, 0):
        return None
    return [
        Selected(case_ref=ref, stratum=stratum, rank=rank, selection_key=key)
        for rank, ref, key in entries
        if drawn < rank <= drawn + more
    ]
