"""Exact binomial funnel limits and flags (Spiegelhalter 2005), against the formula
written out longhand and the cases of issue 13, finding 7. Pure."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from audits.core.funnel import funnel_limits, funnel_position


def test_funnel_limits_narrow_as_teams_grow():
    widths = [high - low for low, high in (funnel_limits(0.7, n, 0.95) for n in (5, 20, 80, 320))]
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] < widths[0] / 4


def spiegelhalter_lower(p0, n, tail):
    """The interpolated exact lower limit, written out longhand (Spiegelhalter 2005)."""
    r = next(r for r in range(n + 1) if binom.cdf(r, n, p0) >= tail)
    at, before = binom.cdf(r, n, p0), (binom.cdf(r - 1, n, p0) if r else 0.0)
    return max(0.0, (r - (at - tail) / (at - before)) / n)


@pytest.mark.parametrize(("p0", "n"), [(0.8, 5), (0.8, 20), (0.7, 100), (0.35, 12), (0.95, 40)])
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_funnel_limits_are_the_exact_binomial_ones(p0, n, confidence):
    tail = (1 - confidence) / 2
    low, high = funnel_limits(p0, n, confidence)
    assert low == pytest.approx(spiegelhalter_lower(p0, n, tail))
    assert high == pytest.approx(1 - spiegelhalter_lower(1 - p0, n, tail))
    wide_low, wide_high = funnel_limits(p0, n, 0.998)
    assert wide_low <= low
    assert wide_high >= high


def test_one_of_five_is_below_95_but_not_beyond_99_8_percent():
    # Issue 13, finding 7: around 80% the normal approximation put 1 of 5 good beyond the
    # 99.8% limit (0.247); its exact tail probability is 0.0067, above 0.001.
    assert funnel_position(1, 5, 0.8, 0.998) == ("within", pytest.approx(0.00672))
    assert funnel_position(1, 5, 0.8, 0.95) == ("below", pytest.approx(0.00672))
    assert funnel_limits(0.8, 5, 0.998)[0] < 0.2 < funnel_limits(0.8, 5, 0.95)[0]


@pytest.mark.parametrize("p0", [0.3, 0.5, 0.6, 0.7, 0.76, 0.85])
@pytest.mark.parametrize("n", range(1, 15))
def test_above_shows_at_any_size_the_exact_tail_allows(p0, n):
    # The normal limit was clipped to 1.0 below n = 12 around 76%, so "above" could never
    # show; exactly, a team with every case good is above when p0^n < 2.5%, whatever n.
    flag, tail = funnel_position(n, n, p0, 0.95)
    assert tail == pytest.approx(p0**n)
    assert flag == ("above" if p0**n < 0.025 else "within")
    assert (funnel_limits(p0, n, 0.95)[1] < 1.0) == (p0**n < 0.025)


def test_twelve_of_twelve_around_76_percent_is_not_flagged_by_chance_alone():
    # The normal limit 0.9997 flagged it; 0.76^12 = 0.037 is no evidence at 95%.
    assert funnel_position(12, 12, 0.76, 0.95) == ("within", pytest.approx(0.76**12))


# scipy's first calls can exceed the default 200 ms deadline on a busy machine.
@settings(deadline=None)
@given(
    p0=st.floats(min_value=0, max_value=1),
    n=st.integers(min_value=1, max_value=400),
    fraction=st.floats(min_value=0, max_value=1),
    confidence=st.sampled_from([0.95, 0.998]),
)
def test_a_unit_is_flagged_exactly_when_it_lies_outside_the_limits(p0, n, fraction, confidence):
    successes = round(fraction * n)
    low, high = funnel_limits(p0, n, confidence)
    flag, tail = funnel_position(successes, n, p0, confidence)
    outside = "below" if successes / n < low else "above" if successes / n > high else "within"
    assert flag == outside
    assert (tail < (1 - confidence) / 2) == (flag != "within")


def test_funnel_limits_stay_in_the_unit_range_and_say_nothing_at_zero():
    assert funnel_limits(0.95, 4, 0.998)[1] == 1.0
    assert funnel_limits(0.0, 5, 0.95)[0] == 0.0
    assert funnel_limits(0.7, 0, 0.95) == (0.0, 1.0)


def test_funnel_limits_reject_a_p0_outside_the_unit_range():
    with pytest.raises(ValueError, match="p0"):
        funnel_limits(1.2, 10, 0.95)
    with pytest.raises(ValueError, match="between 0 and n"):
        funnel_position(6, 5, 0.5, 0.95)
