"""The statistics, by meaning, under one name: callers write ``stats.allocate`` or
``stats.wilson_interval`` without knowing which module holds them.

- ``audits.core.intervals``: intervals for one proportion and for a stratified proportion;
- ``audits.core.planning``: sample sizes and the allocation of a sample over strata;
- ``audits.core.agreement``: Cohen's kappa and Krippendorff's alpha between raters.

Pure functions, plain numbers in and out, so the figures in a report can be checked by
anyone with SciPy. Every function raises ``ValueError`` with a plain message on input it
cannot answer for.
"""

from audits.core.agreement import ALPHA_LEVELS, KAPPA_WEIGHTS, cohen_kappa, krippendorff_alpha
from audits.core.intervals import (
    check_confidence,
    check_counts,
    clopper_pearson_interval,
    stratified_intervals,
    stratified_proportion,
    upper_deviation_limit,
    wilson_interval,
)
from audits.core.planning import (
    ALLOCATION_METHODS,
    MAX_ATTRIBUTE_SAMPLE,
    AllocationError,
    allocate,
    attribute_sample_size,
    estimation_sample_size,
)

__all__ = [
    "ALLOCATION_METHODS",
    "ALPHA_LEVELS",
    "KAPPA_WEIGHTS",
    "MAX_ATTRIBUTE_SAMPLE",
    "AllocationError",
    "allocate",
    "attribute_sample_size",
    "check_confidence",
    "check_counts",
    "clopper_pearson_interval",
    "cohen_kappa",
    "estimation_sample_size",
    "krippendorff_alpha",
    "stratified_intervals",
    "stratified_proportion",
    "upper_deviation_limit",
    "wilson_interval",
]
