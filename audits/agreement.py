"""Krippendorff's alpha for two raters from counted pairs of ratings. Pure.

A report measures agreement over thousands of double-audited cases, but two raters'
ratings come in few distinct pairs (a grade by a grade), which the database can count.
Alpha depends only on the coincidence matrix, and with two raters every pairable unit adds
its pair to it once each way, so the counts are all it needs. This gives the same number as
``stats.krippendorff_alpha`` on the lists the counts stand for (the same formula as the
``krippendorff`` package, on its coincidence matrix) in time that does not grow with the
number of units.
"""

from collections.abc import Hashable, Mapping

import numpy as np

from audits.stats import ALPHA_LEVELS

Pair = tuple[Hashable | None, Hashable | None]


def _distances(level: str, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    if level == "nominal":
        return (values[:, None] != values[None, :]).astype(float)
    if level == "interval":
        return (values[:, None] - values[None, :]).astype(float) ** 2
    # Ordinal: the pairable values from one category to the other, less half of each end.
    positions = np.arange(len(values))
    low = np.minimum(positions[:, None], positions[None, :])
    high = np.maximum(positions[:, None], positions[None, :])
    running = np.concatenate(([0.0], np.cumsum(counts)))
    between = running[high + 1] - running[low]
    return (between - (counts[low] + counts[high]) / 2) ** 2


def krippendorff_alpha_pairs(
    pairs: Mapping[Pair, int], level: str = "ordinal", categories=None
) -> float:
    """Alpha for two raters from ``{(first rating, second rating): number of units}``,
    None for a missing rating. Same arguments, errors and result as
    ``stats.krippendorff_alpha([firsts, seconds], level, categories)``."""
    if level not in ALPHA_LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {ALPHA_LEVELS}")
    counted = {pair: n for pair, n in pairs.items() if n > 0}
    paired = {pair: n for pair, n in counted.items() if None not in pair}
    if not paired:
        raise ValueError("alpha needs at least one unit rated by two or more raters")
    seen = {value for pair in counted for value in pair if value is not None}
    if categories is None:
        categories = sorted(seen)
    index = {category: position for position, category in enumerate(categories)}
    unknown = {value for value in seen if value not in index}
    if unknown:
        raise ValueError(f"ratings outside the categories given: {sorted(map(str, unknown))}")
    if len({value for pair in paired for value in pair}) == 1:
        return 1.0
    if len(categories) <= 1:
        raise ValueError("There has to be more than one value in the domain.")
    coincidences = np.zeros((len(categories), len(categories)))
    for (first, second), n in paired.items():
        coincidences[index[first], index[second]] += n
        coincidences[index[second], index[first]] += n
    counts = coincidences.sum(axis=0)
    expected = (np.outer(counts, counts) - np.diagflat(counts)) / (counts.sum() - 1)
    if level == "interval":
        values = np.array([float(category) for category in categories])
    else:
        values = np.arange(len(categories))
    distances = _distances(level, values, counts)
    return float(1 - (coincidences * distances).sum() / (expected * distances).sum())
