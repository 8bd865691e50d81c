"""Funnel plots: exact binomial control limits for teams of any size, and where a team
sits against them with the exact probability behind the flag. Pure.

Spiegelhalter (2005, "Funnel plots for comparing institutional performance", Statistics
in Medicine 24:1185-1202) recommends exact binomial limits for the small units a team's
audits make; the normal approximation p0 +/- z sqrt(p0 (1 - p0) / n) flagged 1 of 5 good
beyond 99.8% around 80% although its exact tail probability is 0.0067, and it clipped the
upper limit to 1.0 for small teams. The limits and the flags come from one binomial cdf, so
a team is outside a drawn limit exactly when it is flagged.
"""

from collections.abc import Sequence

import numpy as np
from scipy.stats import binom

from audits.core.intervals import check_confidence, check_counts


def _funnel_lower(p0: float, sizes: np.ndarray, tail: float) -> np.ndarray:
    """Exact lower funnel limits at n = ``sizes``, interpolated as Spiegelhalter (2005)
    describes. r is the smallest count with P(X <= r) >= tail, so a unit is below the
    limit exactly when its count is below r (see ``funnel_position``); the limit is drawn
    between (r - 1) / n and r / n at (r - a) / n, a = (F(r) - tail) / (F(r) - F(r - 1))."""
    counts = binom.ppf(tail, sizes, p0)
    # ppf and cdf are computed apart; settle r by the cdf the flags use.
    counts = np.where(binom.cdf(counts, sizes, p0) < tail, counts + 1, counts)
    lower = np.where(counts > 0, binom.cdf(counts - 1, sizes, p0), 0.0)
    counts = np.where((counts > 0) & (lower >= tail), counts - 1, counts)
    at = binom.cdf(counts, sizes, p0)
    before = np.where(counts > 0, binom.cdf(counts - 1, sizes, p0), 0.0)
    share = (at - tail) / (at - before)
    return np.clip((counts - share) / sizes, 0.0, 1.0)


def _check_funnel(p0: float, confidence: float) -> None:
    check_confidence(confidence)
    if not 0 <= p0 <= 1:
        raise ValueError(f"p0 must be between 0 and 1, got {p0!r}")


def funnel_curve(
    p0: float, sizes: Sequence[int] | np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """``funnel_limits`` for many unit sizes at once (every n >= 1): arrays (low, high)."""
    _check_funnel(p0, confidence)
    sizes = np.asarray(sizes, dtype=float)
    if np.any(sizes < 1):
        raise ValueError("every unit size must be at least 1")
    tail = (1 - confidence) / 2
    # The upper limit is the lower limit of the failures, by symmetry.
    return _funnel_lower(p0, sizes, tail), 1.0 - _funnel_lower(1.0 - p0, sizes, tail)


def funnel_limits(p0: float, n: int, confidence: float) -> tuple[float, float]:
    """Exact funnel plot control limits for a proportion observed in a unit with n cases
    (see the module docstring). A unit is outside a limit exactly when ``funnel_position``
    flags it. n == 0 gives (0.0, 1.0)."""
    _check_funnel(p0, confidence)
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if n == 0:
        return 0.0, 1.0
    low, high = funnel_curve(p0, [n], confidence)
    return float(low[0]), float(high[0])


def funnel_position(successes: int, n: int, p0: float, confidence: float) -> tuple[str, float]:
    """Where a unit with ``successes`` of n sits against the exact limits around p0.

    Returns ("below" | "above" | "within", tail) where tail is the exact one-sided
    binomial probability, if the unit performed at p0, of a result at least as far out on
    the side it lies: P(X <= successes) below p0, P(X >= successes) at or above it. The
    unit is flagged when that probability is below (1 - confidence) / 2.
    """
    _check_funnel(p0, confidence)
    check_counts(successes, n)
    if n == 0:
        return "within", 1.0
    tail = (1 - confidence) / 2
    at_most = float(binom.cdf(successes, n, p0))
    # P(X >= x) as the failures' lower tail, the same arithmetic as the upper limit.
    at_least = float(binom.cdf(n - successes, n, 1.0 - p0))
    if at_most < tail:
        return "below", at_most
    if at_least < tail:
        return "above", at_least
    return "within", at_most if successes < n * p0 else at_least
