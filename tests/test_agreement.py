"""Krippendorff's alpha from counted pairs is the alpha of the ratings they stand for."""

import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits import stats
from audits.agreement import krippendorff_alpha_pairs

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
