"""Intervals for proportions: one proportion (Wilson, Clopper-Pearson, an upper deviation
limit) and a stratified proportion with an interval that keeps its coverage. Pure.

Plain numbers in and out, so a report's figures can be checked by anyone with SciPy; every
function raises ``ValueError`` with a plain message on input it cannot answer for.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import beta, binomtest


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")


def check_counts(successes: int, n: int) -> None:
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a single proportion (Newcombe 1998, method 3).

    Preferred to the Wald interval because it stays inside [0, 1] and keeps close to its
    nominal coverage for the small samples a team or case type gives. n == 0 says nothing,
    so the interval is (0.0, 1.0).
    """
    check_confidence(confidence)
    check_counts(successes, n)
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
    check_confidence(confidence)
    check_counts(successes, n)
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
    check_confidence(confidence)
    check_counts(deviations, n)
    if deviations == n:
        return 1.0
    return float(beta.ppf(confidence, deviations + 1, n - deviations))


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
    check_confidence(confidence)
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
    check_confidence(confidence)
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
