"""The assurance opinion rules of DESIGN.md section 7, one story per rule."""

import json
from dataclasses import replace

import numpy as np
import pytest

from audits.core.opinion import OpinionInputs, OpinionThresholds, form_opinion

# A service that meets every condition for Substantial with nothing to caveat.
STRONG = OpinionInputs(
    good_or_better_lower=0.85,
    overdue_escalations=0,
    overdue_high_priority_actions=0,
    alpha=0.86,
    completion_rate=1.0,
    audited=45,
    planned=45,
)


def held(opinion):
    return {(c.opinion, c.name): c.held for c in opinion.conditions}


def test_a_strong_service_gets_substantial_assurance():
    opinion = form_opinion(STRONG)
    assert opinion.level == "Substantial"
    assert opinion.caveats == []
    assert opinion.reason == "Every condition for Substantial assurance held."


def test_it_lists_every_condition_of_every_level():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.30))
    assert [(c.opinion, c.name) for c in opinion.conditions] == [
        ("Substantial", "good_or_better_lower"),
        ("Substantial", "overdue_escalations"),
        ("Substantial", "overdue_high_priority_actions"),
        ("Substantial", "alpha"),
        ("Substantial", "unaudited_strata"),
        ("Reasonable", "good_or_better_lower"),
        ("Reasonable", "overdue_escalations"),
        ("Reasonable", "unaudited_strata"),
        ("Limited", "good_or_better_lower"),
    ]
    assert held(opinion)[("Substantial", "overdue_escalations")] is True
    assert held(opinion)[("Limited", "good_or_better_lower")] is False


@pytest.mark.parametrize(
    ("lower", "level"),
    [
        (0.80, "Substantial"),
        (0.7999, "Reasonable"),
        (0.60, "Reasonable"),
        (0.5999, "Limited"),
        (0.40, "Limited"),
        (0.3999, "No assurance"),
    ],
)
def test_each_lower_bound_boundary_holds_at_exactly_the_threshold(lower, level):
    assert form_opinion(replace(STRONG, good_or_better_lower=lower)).level == level


def test_a_bound_a_hair_below_80_percent_fails_and_reads_as_failing():
    # Decided unrounded (issue 13, finding 2); written so that it does not read "80.0%".
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.8 - 1e-12))
    assert opinion.level == "Reasonable"
    assert "just below 80%" in opinion.conditions[0].text


def test_the_lower_bound_condition_reads_in_plain_english():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.721))
    text = opinion.conditions[0].text
    assert text == (
        "The lower end of the 95% interval for good or better is 72.1% (needs at least 80%)"
    )


def test_an_overdue_high_priority_action_costs_substantial_but_not_reasonable():
    opinion = form_opinion(replace(STRONG, overdue_high_priority_actions=1))
    assert opinion.level == "Reasonable"
    assert opinion.reason == (
        "Reasonable rather than Substantial because: 1 overdue high-priority action (needs none)."
    )


def test_an_overdue_escalation_costs_reasonable_too():
    opinion = form_opinion(replace(STRONG, overdue_escalations=2))
    assert opinion.level == "Limited"
    assert held(opinion)[("Reasonable", "overdue_escalations")] is False
    assert opinion.reason == (
        "Limited rather than Reasonable because: 2 overdue escalations (needs none)."
    )


@pytest.mark.parametrize(("alpha", "level"), [(0.80, "Substantial"), (0.79, "Reasonable")])
def test_alpha_must_reach_080_for_substantial(alpha, level):
    assert form_opinion(replace(STRONG, alpha=alpha)).level == level


def test_alpha_not_measured_blocks_substantial_and_says_why():
    opinion = form_opinion(replace(STRONG, alpha=None))
    assert opinion.level == "Reasonable"
    alpha = next(c for c in opinion.conditions if c.name == "alpha")
    assert alpha.held is False
    assert "not measured" in alpha.text
    assert "not measured" in opinion.reason
    assert len(opinion.caveats) == 1
    assert "not measured" in opinion.caveats[0]


def test_nothing_audited_gives_no_assurance():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=None, audited=0))
    assert opinion.level == "No assurance"
    assert all(not c.held for c in opinion.conditions if c.name == "good_or_better_lower")
    assert opinion.reason.startswith("No assurance rather than Limited because: Nothing has been")


def test_a_weak_service_gets_no_assurance_and_is_told_what_limited_needs():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.35))
    assert opinion.level == "No assurance"
    assert opinion.reason == (
        "No assurance rather than Limited because: The lower end of the 95% interval for "
        "good or better is 35.0% (needs at least 40%)."
    )


def test_low_agreement_is_a_caveat():
    opinion = form_opinion(replace(STRONG, alpha=0.60))
    assert len(opinion.caveats) == 1
    assert "Krippendorff's alpha 0.600" in opinion.caveats[0]
    assert form_opinion(replace(STRONG, alpha=0.667)).caveats == []


def test_low_completion_is_a_caveat():
    opinion = form_opinion(replace(STRONG, completion_rate=0.85))
    assert opinion.caveats == [
        "Only 85.0% of the cases in the sample have a completed audit (below 90%), so this "
        "report is Interim and the cases not yet audited may differ."
    ]
    assert opinion.interim is True
    assert form_opinion(replace(STRONG, completion_rate=0.90)).caveats == []
    assert form_opinion(replace(STRONG, completion_rate=0.90)).interim is False
    # Nothing in the sample to complete: never a final report.
    assert form_opinion(replace(STRONG, completion_rate=None)).interim is True


def test_a_sample_short_of_plan_is_a_caveat():
    opinion = form_opinion(replace(STRONG, audited=40, planned=45))
    assert len(opinion.caveats) == 1
    assert "40 cases were audited against 45 planned" in opinion.caveats[0]


def test_caveats_do_not_change_the_level():
    opinion = form_opinion(replace(STRONG, alpha=0.7, completion_rate=0.5, audited=20))
    assert opinion.level == "Reasonable"
    assert len(opinion.caveats) == 2
    assert form_opinion(replace(STRONG, completion_rate=0.5, audited=20)).level == "Substantial"


def test_the_opinion_serialises_to_json_even_from_numpy_numbers():
    inputs = replace(
        STRONG,
        good_or_better_lower=np.float64(0.72),
        overdue_escalations=np.int64(0),
        overdue_high_priority_actions=np.int64(3),
        alpha=None,
    )
    data = form_opinion(inputs).as_dict()
    assert data["conditions"][2]["held"] is False
    decoded = json.loads(json.dumps(data))
    assert decoded["level"] == "Reasonable"
    assert decoded["conditions"][0] == {
        "opinion": "Substantial",
        "name": "good_or_better_lower",
        "value": 0.72,
        "threshold": 0.8,
        "held": False,
        "text": (
            "The lower end of the 95% interval for good or better is 72.0% (needs at least 80%)"
        ),
    }
    assert decoded["conditions"][3]["value"] is None
    assert decoded["thresholds"]["substantial_lower"] == 0.8
    assert decoded["interim"] is False
    assert decoded["reason"].startswith("Reasonable rather than Substantial")


def test_configured_thresholds_change_the_opinion():
    strict = OpinionThresholds.from_dict({"substantial_lower": 0.875})
    opinion = form_opinion(STRONG, strict)
    assert opinion.level == "Reasonable"
    assert opinion.conditions[0].text.endswith("(needs at least 87.5%)")
    assert strict.reasonable_lower == 0.60


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"substantial_lowr": 0.9}, "unknown opinion thresholds"),
        ({"alpha_caveat": 1.5}, r"in \[0, 1\]"),
        ({"limited_lower": -0.1}, r"in \[0, 1\]"),
        ({"completion_caveat": "90%"}, r"in \[0, 1\]"),
        ({"reasonable_lower": 0.85}, "substantial_lower >= reasonable_lower"),
    ],
)
def test_thresholds_refuse_a_bad_configuration(values, message):
    with pytest.raises(ValueError, match=message):
        OpinionThresholds.from_dict(values)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"good_or_better_lower": 1.2}, "good_or_better_lower"),
        ({"overdue_escalations": -1}, "overdue_escalations"),
        ({"alpha": 1.5}, "alpha"),
        ({"completion_rate": -0.1}, "completion_rate"),
    ],
)
def test_inputs_refuse_impossible_values(change, message):
    with pytest.raises(ValueError, match=message):
        replace(STRONG, **change)
