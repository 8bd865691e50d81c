"""Krippendorff's alpha from counted pairs is the alpha of the ratings they stand for."""

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.core import stats
from audits.core.agreement import (
    _alphas,
    _prepared,
    krippendorff_alpha_interval,
    krippendorff_alpha_pairs,
)

GRADES = [1, 2, 3, 4]
HALVES = [1, 1.5, 2, 2.5, 3, 3.5, 4]


def test_the_published_vector_from_counted_pairs():
    first = [3, 3, 2, 1, 3, 4, 2, 3, 2, 3, 1, 3]
    second = [3, 2, 2, 1, 3, 3, 2, 3, 3, 3, 2, 3]
    pairs = Counter(zip(first, second, strict=True))
    assert krippendorff_alpha_pairs(pairs, "ordinal", GRADES) == pytest.approx(0.7201, abs=1e-4)


@given(
    st.lists(st.tuples(st.sampled_from([*HALVES, None]), st.sampled_from([*HALVES, None]))),
    st.sampled_from(["nominal", "ordinal", "interval"]),
    st.booleans(),
)
def test_counted_pairs_give_exactly_the_alpha_of_the_lists(units, level, fixed_scale):
    first = [a for a, _ in units]
    second = [b for _, b in units]
    categories = HALVES if fixed_scale else None
    try:
        expected = stats.krippendorff_alpha([first, second], level=level, categories=categories)
    except ValueError as problem:
        with pytest.raises(ValueError, match=re.escape(str(problem))):
            krippendorff_alpha_pairs(Counter(units), level=level, categories=categories)
        return
    got = krippendorff_alpha_pairs(Counter(units), level=level, categories=categories)
    assert got == expected or (got != got and expected != expected)  # NaN stays NaN


def test_ratings_off_the_scale_are_refused():
    with pytest.raises(ValueError, match="outside the categories"):
        krippendorff_alpha_pairs({(1, 5): 2, (2, 2): 1}, "ordinal", GRADES)


def test_alpha_of_identical_pairs_is_not_measured():
    # Issue 13, finding 4: two double audits both graded Good gave alpha = 1.0, which
    # passed "alpha >= 0.80".
    assert krippendorff_alpha_pairs({(3, 3): 2}, "ordinal", GRADES) is None
    assert krippendorff_alpha_interval({(3, 3): 2}, "ordinal", GRADES) is None


def test_the_bootstrap_interval_is_fixed_and_holds_the_estimate():
    first = [3, 3, 2, 1, 3, 4, 2, 3, 2, 3, 1, 3] * 3
    second = [3, 2, 2, 1, 3, 3, 2, 3, 3, 3, 2, 3] * 3
    pairs = Counter(zip(first, second, strict=True))
    low, high = krippendorff_alpha_interval(pairs, "ordinal", GRADES)
    assert (low, high) == krippendorff_alpha_interval(pairs, "ordinal", GRADES)
    assert low < krippendorff_alpha_pairs(pairs, "ordinal", GRADES) < high
    assert 0.1 < high - low < 0.6
    # Fewer units, same agreement: a wider interval.
    fewer = Counter(zip(first[:12], second[:12], strict=True))
    small = krippendorff_alpha_interval(fewer, "ordinal", GRADES)
    assert small[1] - small[0] > high - low


# scipy's first calls can exceed the default 200 ms deadline on a busy machine.
@settings(deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(GRADES), st.sampled_from(GRADES)),
        st.integers(min_value=1, max_value=20),
        min_size=1,
    ),
    st.sampled_from(["nominal", "ordinal", "interval"]),
)
def test_each_resample_is_scored_as_alpha_of_its_counts(pairs, level):
    # The bootstrap scores resamples in bulk; each must equal alpha of the pairs it stands for.
    prepared = _prepared(pairs, level, GRADES)
    if prepared is None:
        return
    positions, weights, values = prepared
    bulk = _alphas(level, positions, np.stack([weights, weights[::-1]]), values)
    for row, scored in zip((weights, weights[::-1]), bulk, strict=True):
        counted = {(GRADES[a], GRADES[b]): n for (a, b), n in zip(positions, row, strict=True) if n}
        expected = krippendorff_alpha_pairs(counted, level, GRADES)
        assert (expected is None and scored != scored) or scored == pytest.approx(expected)
