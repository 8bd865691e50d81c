"""Statistics core: sample sizes, allocation, intervals and agreement measures.

Pure functions, plain numbers in and out, so the figures in a report can be checked by
anyone with SciPy. Where SciPy or the ``krippendorff`` package already implements a
formula we call it rather than re-derive it. Every function raises ``ValueError`` with a
plain message on input it cannot answer for.
"""

import functools
import math
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction

import krippendorff
import numpy as np
from scipy.stats import beta, binom, binomtest, hypergeom, norm

ALLOCATION_METHODS = ("proportional", "neyman", "equal")
KAPPA_WEIGHTS = (None, "linear", "quadratic")
ALPHA_LEVELS = ("nominal", "ordinal", "interval")

# Sample sizes are found by search; beyond this the request is almost certainly a mistake
# (expected rate nearly equal to tolerable rate) and the search would run for minutes.
MAX_ATTRIBUTE_SAMPLE = 1_000_000

# n * rate is computed in floating point: 0.07 * 100 == 7.000000000000001, and rounding that
# up would ask for one case (or one deviation) more than the exact arithmetic does.
_ROUNDING_SLACK = 1e-9
# Relative tolerance when a computed risk is compared with 1 - confidence.
_RISK_TOLERANCE = 1e-9


class AllocationError(ValueError):
    """The requested allocation cannot be made; the message says why."""


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")


def _check_counts(successes: int, n: int) -> None:
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")


@functools.cache
def _two_sided_z(confidence: float) -> float:
    return float(norm.ppf(1 - (1 - confidence) / 2))


def _ceil(value: float) -> int:
    return math.ceil(value - _ROUNDING_SLACK)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a single proportion (Newcombe 1998, method 3).

    Preferred to the Wald interval because it stays inside [0, 1] and keeps close to its
    nominal coverage for the small samples a team or case type gives. n == 0 says nothing,
    so the interval is (0.0, 1.0).
    """
    _check_confidence(confidence)
    _check_counts(successes, n)
    if n == 0:
        return 0.0, 1.0
    interval = binomtest(successes, n).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def clopper_pearson_interval(
    successes: int, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval from beta quantiles.

    Conservative: coverage is at least the confidence asked for. n == 0 gives (0.0, 1.0).
    """
    _check_confidence(confidence)
    _check_counts(successes, n)
    if n == 0:
        return 0.0, 1.0
    tail = (1 - confidence) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta.ppf(1 - tail, successes + 1, n - successes))
    return low, high


def upper_deviation_limit(deviations: int, n: int, confidence: float = 0.95) -> float:
    """One-sided exact upper bound on the deviation rate after finding ``deviations`` in n.

    This is the "achieved upper deviation limit" of attribute sampling: with the given
    confidence the population rate is no higher than this. n == 0 gives 1.0.
    """
    _check_confidence(confidence)
    _check_counts(deviations, n)
    if deviations == n:
        return 1.0
    return float(beta.ppf(confidence, deviations + 1, n - deviations))


def estimation_sample_size(
    margin: float, confidence: float = 0.95, p: float = 0.5, population: int | None = None
) -> int:
    """Sample size to estimate a proportion to within +/- ``margin``.

    Normal approximation n0 = z^2 p(1-p) / margin^2 (p = 0.5 is the worst case), then the
    finite population correction n0 / (1 + (n0 - 1) / N), rounded up and capped at N.
    """
    _check_confidence(confidence)
    if not 0 < margin < 1:
        raise ValueError(f"margin must be between 0 and 1 (exclusive), got {margin!r}")
    if not 0 < p < 1:
        raise ValueError(f"p must be between 0 and 1 (exclusive), got {p!r}")
    if population is not None and population < 1:
        raise ValueError(f"population must be at least 1, got {population}")
    z = _two_sided_z(confidence)
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population is None:
        return _ceil(n0)
    return min(population, _ceil(n0 / (1 + (n0 - 1) / population)))


def attribute_sample_size(
    confidence: float,
    tolerable_rate: float,
    expected_rate: float,
    population: int | None = None,
) -> int:
    """Smallest n for a test of controls, as in the AICPA Audit Sampling tables.

    Convention (the one that reproduces the AICPA tables, e.g. 46 for 95%/10%/2% and 46
    for 95%/10%/0.25%): the sample is expected to contain k = ceil(n * expected_rate)
    deviations, and n is the smallest size for which finding k deviations still lets us
    say, with the given confidence, that the rate is below tolerable, i.e.
    P(X <= k | rate = tolerable) <= 1 - confidence. X is binomial for an unlimited
    population and hypergeometric with ceil(tolerable * N) deviations when a population
    N is given (the least favourable count that is still at the tolerable rate).
    """
    _check_confidence(confidence)
    if not 0 < tolerable_rate < 1:
        raise ValueError(f"tolerable_rate must be between 0 and 1, got {tolerable_rate!r}")
    if not 0 <= expected_rate < tolerable_rate:
        raise ValueError(
            f"expected_rate must be at least 0 and below the tolerable rate "
            f"{tolerable_rate}, got {expected_rate!r}"
        )
    if population is not None and population < 1:
        raise ValueError(f"population must be at least 1, got {population}")
    # A risk that equals the allowed one meets it. Both sides come from floating point
    # (1 - 0.9 is 0.09999999999999998, a hypergeometric 2/20 is 0.1), so "equal" is
    # decided with a relative tolerance far below any risk anyone would state.
    risk = (1 - confidence) * (1 + _RISK_TOLERANCE)
    limit = MAX_ATTRIBUTE_SAMPLE if population is None else population
    start, chunk = 1, 1024
    # The risk is not monotone in n (k jumps up), so scan in order for the first n that
    # meets it, vectorised in growing chunks to stay fast for large answers.
    while start <= limit:
        sizes = np.arange(start, min(limit, start + chunk - 1) + 1)
        expected = np.ceil(sizes * expected_rate - _ROUNDING_SLACK)
        if population is None:
            risks = binom.cdf(expected, sizes, tolerable_rate)
        else:
            deviant = _ceil(tolerable_rate * population)
            risks = hypergeom.cdf(expected, population, deviant, sizes)
        meets = np.flatnonzero(risks <= risk)
        if meets.size:
            return int(sizes[meets[0]])
        start, chunk = start + chunk, chunk * 2
    where = "an unlimited population" if population is None else f"a population of {limit}"
    raise ValueError(
        f"no sample of up to {limit} cases from {where} can show a rate below "
        f"{tolerable_rate} when {expected_rate} is expected; widen the gap between them"
    )


def _water_fill(
    weights: Mapping[str, Fraction],
    lows: Mapping[str, int],
    highs: Mapping[str, int],
    n: int,
) -> dict[str, Fraction] | None:
    """Exact shares clip(lambda * w_h, low_h, high_h) that sum to n, or None if impossible.

    The sum is piecewise linear and non-decreasing in lambda, with kinks where a stratum
    reaches its minimum or its size, so lambda is found exactly by interpolating between
    the kinks. Fractions keep the largest-remainder rounding free of float noise.
    """

    def shares(scale: Fraction) -> dict[str, Fraction]:
        return {
            h: min(Fraction(highs[h]), max(Fraction(lows[h]), scale * weights[h])) for h in weights
        }

    kinks = {Fraction(0)}
    for h, weight in weights.items():
        if weight > 0:
            kinks.update((Fraction(lows[h]) / weight, Fraction(highs[h]) / weight))
    previous, previous_total = Fraction(0), sum(shares(Fraction(0)).values())
    if previous_total == n:
        return shares(previous)
    for kink in sorted(kinks):
        total = sum(shares(kink).values())
        if total >= n:
            scale = previous + (n - previous_total) * (kink - previous) / (total - previous_total)
            return shares(scale)
        previous, previous_total = kink, total
    return None


def allocate(
    sizes: Mapping[str, int],
    n: int,
    method: str = "proportional",
    minimum: int = 0,
    sd: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Split a sample of n between strata.

    ``proportional`` shares by N_h, ``neyman`` by N_h * sd_h (needs ``sd``), ``equal`` evenly.
    Each stratum gets at least ``minimum`` (or all of it, if smaller) and never more than
    its size N_h; strata pinned at either bound are held there and the rest is re-shared
    by the same weights. n is capped at the total size. Exact shares are rounded by largest
    remainder so the parts sum to n; ties go to the stratum whose name sorts first, so the
    same inputs always give the same plan.
    """
    if method not in ALLOCATION_METHODS:
        raise ValueError(f"unknown allocation method {method!r}; use one of {ALLOCATION_METHODS}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if minimum < 0:
        raise ValueError(f"minimum must not be negative, got {minimum}")
    for name, size in sizes.items():
        if size < 0:
            raise ValueError(f"stratum {name!r} has a negative size {size}")
    if method == "neyman":
        if sd is None:
            raise ValueError("neyman allocation needs the standard deviation of every stratum")
        if set(sd) != set(sizes):
            raise ValueError("sd must give a standard deviation for exactly the strata in sizes")
        if any(not math.isfinite(value) or value < 0 for value in sd.values()):
            raise ValueError("standard deviations must be finite and not negative")
    total = sum(sizes.values())
    n = min(n, total)
    if n == total:
        return dict(sizes)
    lows = {name: min(minimum, size) for name, size in sizes.items()}
    if sum(lows.values()) > n:
        raise AllocationError(
            f"cannot give each of the {len(sizes)} strata at least {minimum} cases: that "
            f"needs {sum(lows.values())} cases but the sample size is only {n}; lower the "
            f"minimum or raise the sample size"
        )
    if method == "proportional":
        weights = {name: Fraction(size) for name, size in sizes.items()}
    elif method == "neyman":
        weights = {name: size * Fraction(sd[name]) for name, size in sizes.items()}
    else:
        weights = {name: Fraction(1) for name in sizes}
    exact = _water_fill(weights, lows, sizes, n)
    if exact is None:
        raise AllocationError(
            f"cannot place {n} cases by {method} weights: the strata with a positive weight "
            f"cannot hold them (a stratum with standard deviation 0 gets only its minimum)"
        )
    counts = {name: math.floor(share) for name, share in exact.items()}
    by_remainder = sorted(exact, key=lambda name: (-(exact[name] - counts[name]), name))
    for name in by_remainder[: n - sum(counts.values())]:
        counts[name] += 1
    return counts


def stratified_proportion(
    strata: Mapping[str, tuple[int, int, int]], confidence: float = 0.95
) -> tuple[float, float, float]:
    """Stratified estimate of a proportion and an interval that keeps its coverage.

    ``strata`` maps name -> (N_h, n_h, successes_h). The estimate is sum W_h p_h with
    W_h = N_h / N. Strata with n_h == 0 cannot be estimated, so they are left out and the
    weights renormalised over the audited strata (N is then the total size of audited
    strata), which assumes the unaudited strata resemble the rest. The interval is the one
    ``stratified_intervals`` describes.
    """
    _check_confidence(confidence)
    for name, (size, audited, successes) in strata.items():
        if not 0 <= audited <= size:
            raise ValueError(f"stratum {name!r}: audited {audited} must be between 0 and {size}")
        if not 0 <= successes <= audited:
            raise ValueError(
                f"stratum {name!r}: successes {successes} must be between 0 and {audited}"
            )
    sampled = [counts for counts in strata.values() if counts[1] > 0]
    if not sampled:
        raise ValueError("no stratum has an audited case, so there is nothing to estimate")
    sizes, audited, successes = (np.array(column) for column in zip(*sampled, strict=True))
    estimate, low, high = stratified_intervals(sizes, audited, successes[None, :], confidence)
    return float(estimate[0]), float(low[0]), float(high[0])


def stratified_intervals(
    sizes: Sequence[int] | np.ndarray,
    audited: Sequence[int] | np.ndarray,
    successes: np.ndarray,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates and intervals for many samples of one design at once (vectorised).

    ``sizes`` and ``audited`` give N_h and n_h (every n_h >= 1); ``successes`` has one row
    per sample and one column per stratum. ``stratified_proportion`` calls this with one
    row, and the coverage simulation (tests/test_stratified_coverage.py) with thousands.

    The usual variance sum W_h^2 (1 - f_h) p_h (1 - p_h) / (n_h - 1) is zero for a stratum
    whose audits all agree, so a heavy stratum audited twice, both good, made the interval
    collapse onto the estimate (its coverage fell to about 50% in simulation). Instead:

    - each stratum's variance uses its rate moved one success and one failure towards
      1/2, p~_h = (x_h + 1) / (n_h + 2) (Agresti & Caffo 2000), over n_h, so a small or
      unanimous stratum still carries the uncertainty of its few audits;
    - the effective sample size is n* = p~ (1 - p~) / variance with p~ = sum W_h p~_h,
      capped at the audits made, n / (1 - n / N) with the finite population correction
      (Korn & Graubard 1998);
    - the lower end is the exact Clopper-Pearson bound for p * n* successes in n* (the
      Korn-Graubard interval; it is what the opinion rests on, so it errs on the side of
      caution) and the upper end is Jeffreys' bound (Brown, Cai & DasGupta 2001), which
      keeps two-sided coverage near, not far above, the nominal level.

    A census (every stratum audited in full) has no sampling error: low = high = estimate.
    """
    _check_confidence(confidence)
    sizes = np.asarray(sizes, dtype=float)
    audited = np.asarray(audited, dtype=float)
    successes = np.atleast_2d(np.asarray(successes, dtype=float))
    if np.any(audited < 1) or np.any(audited > sizes):
        raise ValueError("every stratum needs between 1 and N_h audited cases")
    population = sizes.sum()
    weights = sizes / population
    # Summed as counts over N so that every stratum at 100% gives exactly 1.0.
    estimate = (successes / audited * sizes).sum(axis=1) / population
    adjusted = (successes + 1) / (audited + 2)
    variance = (weights**2 * (1 - audited / sizes) * adjusted * (1 - adjusted) / audited).sum(
        axis=1
    )
    centre = adjusted @ weights
    remaining = 1 - audited.sum() / population
    cap = audited.sum() / remaining if remaining > 0 else math.inf
    with np.errstate(divide="ignore"):
        effective = np.minimum(centre * (1 - centre) / variance, cap)
    census = ~np.isfinite(effective)
    effective = np.where(census, 1.0, effective)
    count = estimate * effective
    tail = (1 - confidence) / 2
    low = np.zeros_like(estimate)
    high = np.ones_like(estimate)
    some = estimate > 0
    low[some] = beta.ppf(tail, count[some], effective[some] - count[some] + 1)
    short = estimate < 1
    high[short] = beta.ppf(1 - tail, count[short] + 0.5, effective[short] - count[short] + 0.5)
    low = np.where(census, estimate, np.minimum(low, estimate))
    high = np.where(census, estimate, np.maximum(high, estimate))
    return estimate, low, high


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
