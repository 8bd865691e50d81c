"""Agreement between raters. Pure.

On lists of ratings: Cohen's kappa (two raters, optionally weighted) and Krippendorff's
alpha (any number of raters, missing ratings allowed); where the ``krippendorff`` package
implements the formula we call it rather than re-derive it.

From counted pairs of ratings (``krippendorff_alpha_pairs``, ``krippendorff_alpha_interval``):
a report measures agreement over thousands of double-audited cases, but two raters'
ratings come in few distinct pairs (a grade by a grade), which the database can count.
Alpha depends only on the coincidence matrix, and with two raters every pairable unit adds
its pair to it once each way, so the counts are all it needs. This gives the same number as
``krippendorff_alpha`` on the lists the counts stand for (the same formula as the
``krippendorff`` package, on its coincidence matrix) in time that does not grow with the
number of units.
"""

import math
from collections.abc import Hashable, Mapping, Sequence

import krippendorff
import numpy as np

Pair = tuple[Hashable | None, Hashable | None]
KAPPA_WEIGHTS = (None, "linear", "quadratic")
ALPHA_LEVELS = ("nominal", "ordinal", "interval")


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    categories: Sequence[Hashable],
    weights: str | None = None,
) -> float | None:
    """Cohen's kappa between two raters, optionally weighted (linear or quadratic).

    The table spans every category given, in the order given, not just the ones used:
    weighted kappa depends on how far apart categories are, and a grade nobody chose
    still sits between the grades either side of it. If chance agreement is certain
    (both raters used one and the same category throughout) kappa is 0/0: None, "not
    measured", never 1 -- agreement on a scale nobody used says nothing about the scale.
    """
    if weights not in KAPPA_WEIGHTS:
        raise ValueError(f"unknown kappa weights {weights!r}; use one of {KAPPA_WEIGHTS}")
    if len(a) != len(b):
        raise ValueError(f"the raters rated different numbers of items ({len(a)} and {len(b)})")
    if len(a) == 0:
        raise ValueError("kappa needs at least one rated item")
    if len(set(categories)) != len(categories) or len(categories) < 2:
        raise ValueError("categories must list at least two distinct categories")
    index = {category: position for position, category in enumerate(categories)}
    unknown = {rating for rating in (*a, *b) if rating not in index}
    if unknown:
        raise ValueError(f"ratings outside the categories given: {sorted(map(str, unknown))}")
    k = len(categories)
    observed = np.zeros((k, k))
    np.add.at(observed, ([index[x] for x in a], [index[y] for y in b]), 1)
    observed /= len(a)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / (k - 1)
    if weights is None:
        disagreement = (distance > 0).astype(float)
    elif weights == "linear":
        disagreement = distance
    else:
        disagreement = distance**2
    expected_disagreement = float((disagreement * expected).sum())
    if expected_disagreement == 0:
        return None
    return 1.0 - float((disagreement * observed).sum()) / expected_disagreement


def krippendorff_alpha(
    ratings: Sequence[Sequence[Hashable | None]],
    level: str = "ordinal",
    categories: Sequence[Hashable] | None = None,
) -> float | None:
    """Krippendorff's alpha for any number of raters, with missing ratings (None).

    ``ratings`` has one list per rater, aligned by unit. ``categories`` fixes the order of
    an ordinal scale (so text grades work) and is the value domain for interval data;
    without it the sorted observed values are used. If every unit rated more than once got
    one and the same value, alpha is 0/0: None, "not measured" (two double audits both
    graded Good say nothing about how reliably the scale is used).
    """
    if level not in ALPHA_LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {ALPHA_LEVELS}")
    if len(ratings) < 2:
        raise ValueError("alpha needs at least two raters")
    if len({len(rater) for rater in ratings}) != 1:
        raise ValueError("every rater's list must cover the same units")
    units = list(zip(*ratings, strict=True))
    paired = [[value for value in unit if value is not None] for unit in units]
    paired = [values for values in paired if len(values) >= 2]
    if not paired:
        raise ValueError("alpha needs at least one unit rated by two or more raters")
    if categories is None:
        categories = sorted({value for rater in ratings for value in rater if value is not None})
    index = {category: position for position, category in enumerate(categories)}
    unknown = {v for rater in ratings for v in rater if v is not None and v not in index}
    if unknown:
        raise ValueError(f"ratings outside the categories given: {sorted(map(str, unknown))}")
    if len({value for values in paired for value in values}) == 1:
        return None
    if level == "interval":
        # Interval distances use the values themselves, so they must be numbers.
        domain = [float(category) for category in categories]
        codes = [[math.nan if v is None else float(v) for v in rater] for rater in ratings]
    else:
        # Nominal and ordinal need only the order, so code each category by its position.
        domain = list(range(len(categories)))
        codes = [[math.nan if v is None else index[v] for v in rater] for rater in ratings]
    return float(
        krippendorff.alpha(
            reliability_data=np.array(codes, dtype=float),
            value_domain=domain,
            level_of_measurement=level,
        )
    )


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
