"""Agreement between raters on lists of ratings: Cohen's kappa (two raters, optionally
weighted) and Krippendorff's alpha (any number of raters, missing ratings allowed). Pure.

Where the ``krippendorff`` package implements the formula we call it rather than re-derive it.
"""

import math
from collections.abc import Hashable, Sequence

import krippendorff
import numpy as np

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
