"""Krippendorff's alpha for two raters from counted pairs of ratings. Pure.

A report measures agreement over thousands of double-audited cases, but two raters'
ratings come in few distinct pairs (a grade by a grade), which the database can count.
Alpha depends only on the coincidence matrix, and with two raters every pairable unit adds
its pair to it once each way, so the counts are all it needs. This gives the same number as
``reliability.krippendorff_alpha`` on the lists the counts stand for (the same formula as the
``krippendorff`` package, on its coincidence matrix) in time that does not grow with the
number of units.
"""

from collections.abc import Hashable, Mapping

import numpy as np

from audits.core.reliability import ALPHA_LEVELS

Pair = tuple[Hashable | None, Hashable | None]


def _distances(level: str, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Squared distances between categories; ``counts`` may carry leading axes (one set
    of category counts per bootstrap resample), as ordinal distances depend on them."""
    if level == "nominal":
        return (values[:, None] != values[None, :]).astype(float)
    if level == "interval":
        return (values[:, None] - values[None, :]).astype(float) ** 2
    # Ordinal: the pairable values from one category to the other, less half of each end.
    positions = np.arange(len(values))
    low = np.minimum(positions[:, None], positions[None, :])
    high = np.maximum(positions[:, None], positions[None, :])
    zeros = np.zeros((*counts.shape[:-1], 1))
    running = np.concatenate((zeros, np.cumsum(counts, axis=-1)), axis=-1)
    between = running[..., high + 1] - running[..., low]
    return (between - (counts[..., low] + counts[..., high]) / 2) ** 2


def _prepared(pairs: Mapping[Pair, int], level: str, categories) -> tuple | None:
    """(distinct paired pairs as category positions, their counts, the category values),
    or None when alpha is undefined because every paired rating is one and the same."""
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
        return None
    if len(categories) <= 1:
        raise ValueError("There has to be more than one value in the domain.")
    positions = np.array([(index[first], index[second]) for first, second in paired])
    if level == "interval":
        values = np.array([float(category) for category in categories])
    else:
        values = np.arange(len(categories))
    return positions, np.array(list(paired.values()), dtype=float), values


def _alphas(level: str, positions: np.ndarray, weights: np.ndarray, values: np.ndarray):
    """Alpha for each row of ``weights`` (how many units of each distinct pair); NaN where
    a row has no variation left (every paired rating the same)."""
    size = len(values)
    coincidences = np.zeros((*weights.shape[:-1], size, size))
    for column, (first, second) in enumerate(positions):
        coincidences[..., first, second] += weights[..., column]
        coincidences[..., second, first] += weights[..., column]
    counts = coincidences.sum(axis=-2)
    total = counts.sum(axis=-1)[..., None, None]
    outer = counts[..., :, None] * counts[..., None, :]
    expected = (outer - np.eye(size) * counts[..., None, :]) / (total - 1)
    distances = _distances(level, values, counts)
    observed = (coincidences * distances).sum(axis=(-2, -1))
    chance = (expected * distances).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(chance > 0, 1 - observed / chance, np.nan)


def krippendorff_alpha_pairs(
    pairs: Mapping[Pair, int], level: str = "ordinal", categories=None
) -> float | None:
    """Alpha for two raters from ``{(first rating, second rating): number of units}``,
    None for a missing rating. Same arguments, errors and result as
    ``stats.krippendorff_alpha([firsts, seconds], level, categories)``: None when every
    paired rating is the same value (alpha is 0/0, not measured)."""
    prepared = _prepared(pairs, level, categories)
    if prepared is None:
        return None
    positions, weights, values = prepared
    return float(_alphas(level, positions, weights, values))


# Resamples for the bootstrap interval of alpha, and its fixed seed: the same pairs always
# give the same interval, so a report compiled twice is identical.
BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 20_131_998


def krippendorff_alpha_interval(
    pairs: Mapping[Pair, int],
    level: str = "ordinal",
    categories=None,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval for alpha, resampling the paired units (cases audited
    twice) with replacement (Zapf et al. 2016; Hayes & Krippendorff 2007 bootstrap alpha
    the same way). Each resample is a multinomial count over the distinct pairs, so the
    cost does not grow with the number of units; the seed is fixed. Resamples with no
    variation left (alpha undefined) are left out. None when alpha itself is undefined."""
    prepared = _prepared(pairs, level, categories)
    if prepared is None:
        return None
    positions, weights, values = prepared
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    resampled = rng.multinomial(int(weights.sum()), weights / weights.sum(), size=resamples)
    alphas = _alphas(level, positions, resampled.astype(float), values)
    alphas = alphas[np.isfinite(alphas)]
    tail = (1 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1 - tail])
    return float(low), float(high)
