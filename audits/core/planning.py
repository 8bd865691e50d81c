"""Planning a sample: how many cases (to estimate a rate, or to show a rate is below a
tolerable one) and how to allocate them over strata. Pure.
"""

import functools
import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
from scipy.stats import binom, hypergeom, norm

from audits.core.intervals import check_confidence

# How a cycle's plan sets the sample size: a fixed n, n to estimate a rate to a margin, or n
# to show a rate is below a tolerable one.
PLAN_METHODS = ("fixed", "estimation", "attribute")
ALLOCATION_METHODS = ("proportional", "neyman", "equal")

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


@functools.cache
def _two_sided_z(confidence: float) -> float:
    return float(norm.ppf(1 - (1 - confidence) / 2))


def _ceil(value: float) -> int:
    return math.ceil(value - _ROUNDING_SLACK)


def estimation_sample_size(
    margin: float, confidence: float = 0.95, p: float = 0.5, population: int | None = None
) -> int:
    """Sample size to estimate a proportion to within +/- ``margin``.

    Normal approximation n0 = z^2 p(1-p) / margin^2 (p = 0.5 is the worst case), then the
    finite population correction n0 / (1 + (n0 - 1) / N), rounded up and capped at N.
    """
    check_confidence(confidence)
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
    check_confidence(confidence)
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
