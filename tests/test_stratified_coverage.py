"""The stratified interval keeps its coverage when strata are small or unanimous.

Each design is a fixed finite frame (N_h cases per stratum, of which a known number are
good), sampled without replacement many times with a fixed seed. For every draw we compute
the report's interval with the report's own code (``stats.stratified_intervals``, which
``stratified_proportion`` calls) and check it against the frame's true rate. A "95%"
interval must cover the truth in 93-99% of draws, and the truth may lie below the lower
end (the figure the opinion rests on) in at most 3.5% of them.
"""

import numpy as np
import pytest

from audits.core import stats

DRAWS = 20_000


def _allocated(sizes: list[int], n: int, **options) -> list[int]:
    plan = stats.allocate({f"s{i}": size for i, size in enumerate(sizes)}, n, **options)
    return [plan[f"s{i}"] for i in range(len(sizes))]


def _design(sizes, rates, audited):
    return [(size, rate, n) for size, rate, n in zip(sizes, rates, audited, strict=True)]


TEAMS_12 = [300, 250, 200, 150, 120, 100, 80, 60, 50, 40, 30, 20]
RATES_12 = [0.8, 0.75, 0.85, 0.7, 0.9, 0.6, 0.8, 0.95, 0.7, 0.85, 0.65, 0.9]

DESIGNS = {
    # The issue's example: one large team at 85% and four small ones at 60%, five each.
    "equal allocation, one large and four small strata": [(800, 0.85, 5)] + [(50, 0.6, 5)] * 4,
    "proportional allocation": _design(
        [1000, 500, 300, 200], [0.8, 0.7, 0.9, 0.6], _allocated([1000, 500, 300, 200], 60)
    ),
    "high rates near 95%": _design(
        [600, 300, 100], [0.95, 0.97, 0.93], _allocated([600, 300, 100], 40)
    ),
    "one stratum": [(400, 0.8, 30)],
    "one stratum, few audits": [(400, 0.9, 8)],
    "minimum-2 allocation over 12 teams": _design(
        TEAMS_12, RATES_12, _allocated(TEAMS_12, 40, minimum=2)
    ),
    # Our own: most of each small team audited (the finite population correction matters),
    # low rates, and the equal design with every rate near the top of the scale.
    "small teams mostly audited": [(20, 0.8, 10), (15, 0.7, 8), (10, 0.9, 5)],
    "low rates": [(300, 0.3, 10), (200, 0.2, 10), (100, 0.5, 5)],
    "equal allocation, high rates": [(800, 0.95, 5)] + [(50, 0.9, 5)] * 4,
}


def _simulate(design, seed: int):
    sizes = np.array([size for size, _, _ in design])
    good = np.array([round(size * rate) for size, rate, _ in design])
    audited = np.array([n for _, _, n in design])
    rng = np.random.default_rng(seed)
    columns = zip(sizes, good, audited, strict=True)
    successes = np.stack(
        [rng.hypergeometric(g, size - g, n, size=DRAWS) for size, g, n in columns], axis=1
    )
    true_rate = good.sum() / sizes.sum()
    _, low, high = stats.stratified_intervals(sizes, audited, successes)
    return true_rate, low, high


@pytest.mark.parametrize("name", list(DESIGNS))
def test_the_95_percent_interval_covers_the_true_rate(name):
    true_rate, low, high = _simulate(DESIGNS[name], seed=20261202)
    coverage = np.mean((low <= true_rate) & (true_rate <= high))
    truth_below_lower_end = np.mean(true_rate < low)
    assert 0.93 <= coverage <= 0.99, f"{name}: coverage {coverage:.3f}"
    assert truth_below_lower_end <= 0.035, f"{name}: {truth_below_lower_end:.3f} below"


def test_the_issues_design_no_longer_reaches_80_percent_half_the_time():
    # The true rate is 80%; the old interval's lower end reached it in about half the draws.
    true_rate, low, _ = _simulate(DESIGNS["equal allocation, one large and four small strata"], 7)
    assert true_rate == pytest.approx(0.80)
    assert np.mean(low >= 0.80) <= 0.035


def test_the_vectorised_intervals_are_the_reported_ones():
    design = DESIGNS["minimum-2 allocation over 12 teams"]
    sizes = np.array([size for size, _, _ in design])
    audited = np.array([n for _, _, n in design])
    successes = np.array([[min(n, n * 3 // 4 + i % 2) for i, n in enumerate(audited)]])
    estimate, low, high = stats.stratified_intervals(sizes, audited, successes)
    strata = {
        f"s{i}": (int(s), int(n), int(x))
        for i, (s, n, x) in enumerate(zip(sizes, audited, successes[0], strict=True))
    }
    assert stats.stratified_proportion(strata) == pytest.approx((estimate[0], low[0], high[0]))
