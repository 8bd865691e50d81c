"""Issue 13 findings 2, 5, 6 and 12 against the pure figures: the opinion is decided on
unrounded values and a failing value never prints as passing; a stratum with no completed
audit cannot vanish from the estimate; completion has one denominator; a report before 90%
completion is Interim. The inputs are built by hand, as report_data would give them."""

from dataclasses import replace

import pytest

from audits.core import display
from audits.core.figures import compute_figures
from audits.core.opinion import OpinionInputs, OpinionThresholds, form_opinion

STRONG = OpinionInputs(
    good_or_better_lower=0.85,
    overdue_escalations=0,
    overdue_high_priority_actions=0,
    alpha=0.86,
    completion_rate=1.0,
    audited=45,
    planned=45,
)


def inputs_for(strata: dict, *, doubles: list | None = None, earlier: list | None = None) -> dict:
    """Report inputs for strata given as name -> (N_h, in sample, completed, good)."""
    completed, counts = [], []
    for name, (_, sampled, done, good) in strata.items():
        for grade, audits in ((3, good), (2, done - good)):
            if audits:
                completed.append(
                    {
                        "role": "primary",
                        "team": f"Team {name}",
                        "case_type": "cin",
                        "stratum": name,
                        "follow_up": False,
                        "overall_grade": grade,
                        "moderated_grade": None,
                        "audits": audits,
                    }
                )
        if sampled:
            counts.append(
                {"stratum": name, "status": "selected", "follow_up": False, "cases": sampled}
            )
    overall = doubles or []
    return {
        "as_of": "2026-03-31T12:00:00+00:00",
        "cycle": {
            "name": "Quarter one",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "case_types": ["cin"],
            "teams": [],
            "open_on": "2026-03-31",
            "exclude_audited_months": 12,
            "exclude_closed_before_period": True,
            "stratify_by": "team",
            "plan": {"method": "fixed"},
            "rules": [],
        },
        "template": None,
        "frame": {
            "seed": "s",
            "frame_hash": "h",
            "population": sum(s[0] for s in strata.values()),
            "strata": {name: s[0] for name, s in strata.items()},
            "allocation": {name: s[1] for name, s in strata.items()},
            "exclusions": {},
            "algorithm": "a v1",
            "drawn_by": "qa.lead",
            "drawn_at": "2026-01-02T09:00:00+00:00",
            "frame_file": "",
        },
        "sample": {"counts": counts, "replacements": []},
        "completed": completed,
        "themes": {},
        "escalations": [],
        "actions": [],
        "overrides": [],
        "unassignable": [],
        "earlier": earlier or [],
        "domain_grades": [],
        "double_audits": {
            "cases": sum(p["cases"] for p in overall),
            "overall": overall,
            "domains": [],
        },
    }


# Twelve cases audited twice, blind, the two auditors agreeing on every one.
AGREEING = [
    {"first": 2, "second": 2, "cases": 4},
    {"first": 3, "second": 3, "cases": 6},
    {"first": 4, "second": 4, "cases": 2},
]


def condition(figures_or_opinion, opinion: str, name: str) -> dict:
    conditions = figures_or_opinion["opinion"]["conditions"]
    return next(c for c in conditions if c["opinion"] == opinion and c["name"] == name)


# --- finding 2: decided on unrounded values, failing values shown as failing ----------------


def test_a_lower_end_of_0_799979_is_not_substantial_and_does_not_print_as_80():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.799979))
    assert opinion.level == "Reasonable"
    lower = opinion.conditions[0]
    assert lower.held is False
    assert "80.0%" not in lower.text
    assert "79.998%" in lower.text


def test_one_stratum_of_148_with_64_of_74_good_is_not_substantial():
    # The statistician's case: its lower end was 0.799979, rounded to 0.8, called Substantial.
    figures = compute_figures(
        inputs_for({"all": (148, 74, 74, 64)}), thresholds=OpinionThresholds(substantial_alpha=0)
    )
    lower = condition(figures, "Substantial", "good_or_better_lower")
    assert lower["value"] < 0.8
    assert lower["held"] is False
    assert figures["opinion"]["level"] != "Substantial"
    assert "80.0%" not in lower["text"]
    # The JSON keeps the unrounded figure the decision used.
    assert figures["summary"]["good_or_better"]["low"] == lower["value"]


def test_a_rounding_hair_below_the_threshold_fails_and_says_so():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.8 - 1e-12))
    assert opinion.level == "Reasonable"
    assert "just below 80%" in opinion.conditions[0].text


def test_alpha_is_compared_unrounded():
    opinion = form_opinion(replace(STRONG, alpha=0.79996))
    alpha = next(c for c in opinion.conditions if c.name == "alpha")
    assert alpha.held is False
    assert opinion.level == "Reasonable"
    assert "0.800" not in alpha.text
    assert "0.7999" in alpha.text


def test_alpha_from_the_double_audits_reaches_the_opinion_unrounded():
    # Seventeen double audits whose alpha is 0.79995: four places would make it 0.8.
    doubles = [
        {"first": 2, "second": 2, "cases": 2},
        {"first": 3, "second": 3, "cases": 2},
        {"first": 4, "second": 4, "cases": 8},
        {"first": 2, "second": 3, "cases": 3},
        {"first": 3, "second": 4, "cases": 2},
    ]
    figures = compute_figures(inputs_for({"all": (100, 60, 60, 60)}, doubles=doubles))
    alpha = condition(figures, "Substantial", "alpha")
    assert 0.79995 <= alpha["value"] < 0.8
    assert alpha["held"] is False
    assert figures["opinion"]["level"] == "Reasonable"


def test_completion_is_compared_unrounded():
    # 22,499 of 25,000 is 0.89996: rounded to four places it would read 0.9 and pass.
    figures = compute_figures(inputs_for({"all": (40000, 25000, 22499, 22000)}))
    assert figures["summary"]["completion_rate"] == 22499 / 25000
    assert figures["interim"] is True
    assert any("89.996%" in caveat for caveat in figures["opinion"]["caveats"])


@pytest.mark.parametrize(
    ("value", "threshold", "text"),
    [
        (0.85, 0.8, "85.0%"),
        (0.8, 0.8, "80.0%"),
        (0.799979, 0.8, "79.998%"),
        (0.79996, 0.8, "79.996%"),
        (0.8 - 1e-12, 0.8, "just below 80%"),
        (0.5999, 0.6, "59.99%"),
        (0.721, 0.8, "72.1%"),
    ],
)
def test_a_percentage_beside_its_threshold_never_reads_as_the_other_side(value, threshold, text):
    assert display.percent_against(value, threshold) == text


# --- finding 5: every stratum counts ----------------------------------------------------------


def test_a_team_with_no_audits_keeps_the_opinion_at_limited_or_below():
    figures = compute_figures(
        inputs_for({"North": (100, 30, 30, 29), "South": (100, 0, 0, 0)}),
        thresholds=OpinionThresholds(substantial_alpha=0),
    )
    good = figures["findings"]["good_or_better"]
    assert good["coverage"]["unaudited_strata"] == ["South"]
    assert good["coverage"]["share_of_frame"] == 0.5
    assert figures["opinion"]["level"] in ("Limited", "No assurance")
    for level in ("Substantial", "Reasonable"):
        assert condition(figures, level, "unaudited_strata")["held"] is False
    caveats = " ".join(figures["opinion"]["caveats"])
    assert "South" in caveats
    assert "50.0%" in caveats


def test_a_small_unaudited_stratum_under_the_stated_share_only_adds_a_caveat():
    figures = compute_figures(
        inputs_for({"North": (2000, 60, 60, 60), "Tiny": (40, 0, 0, 0)}, doubles=AGREEING),
    )
    assert figures["findings"]["good_or_better"]["coverage"]["share_of_frame"] == 2000 / 2040
    assert condition(figures, "Substantial", "unaudited_strata")["held"] is True
    assert figures["opinion"]["level"] == "Substantial"
    assert any("Tiny" in caveat for caveat in figures["opinion"]["caveats"])


def test_every_stratum_audited_covers_the_whole_frame_without_a_caveat():
    figures = compute_figures(inputs_for({"North": (100, 30, 30, 29), "South": (100, 30, 30, 28)}))
    coverage = figures["findings"]["good_or_better"]["coverage"]
    assert coverage == {
        "strata": 2,
        "audited_strata": 2,
        "unaudited_strata": [],
        "population": 200,
        "population_covered": 200,
        "share_of_frame": 1.0,
    }
    assert not any("stratum" in caveat for caveat in figures["opinion"]["caveats"])


# --- finding 6: one definition of each figure -----------------------------------------------


def test_completion_counts_completed_first_audits_over_cases_in_the_sample():
    # Two strata planned 10 each; one stratum was extended to 12 cases in the sample.
    figures = compute_figures(inputs_for({"North": (100, 12, 9, 8), "South": (100, 10, 4, 3)}))
    summary = figures["summary"]
    assert (summary["audited"], summary["sampled"]) == (13, 22)
    assert summary["completion_rate"] == 13 / 22


def test_the_trend_shows_the_stratified_estimate_of_every_cycle():
    earlier = [
        {
            "cycle": "Last quarter",
            "period_end": "2025-12-31",
            "strata": {"North": [100, 10, 9], "South": [900, 10, 1]},
        },
    ]
    figures = compute_figures(
        inputs_for({"North": (100, 10, 10, 9), "South": (900, 10, 10, 1)}, earlier=earlier)
    )
    trend = figures["findings"]["trend"]
    summary = figures["summary"]["good_or_better"]
    assert trend[-1]["good_or_better"] == summary["estimate"]
    assert (trend[-1]["low"], trend[-1]["high"]) == (summary["low"], summary["high"])
    # 0.1 * 0.9 + 0.9 * 0.1, not the raw 10 of 20.
    assert trend[0]["good_or_better"] == pytest.approx(0.18)


def test_raw_shares_are_named_as_shares_of_audited_cases():
    figures = compute_figures(inputs_for({"North": (100, 10, 10, 9), "South": (900, 10, 10, 1)}))
    findings = figures["findings"]
    assert findings["overall_proportion"] == 0.5
    assert "share of audited cases" in figures["definitions"]["overall_proportion"].lower()
    assert findings["good_or_better"]["estimate"] == pytest.approx(0.18)


# --- finding 12: wording and Interim ----------------------------------------------------------


def test_the_lower_bound_is_called_the_lower_end_of_the_95_percent_interval():
    opinion = form_opinion(replace(STRONG, good_or_better_lower=0.721))
    assert opinion.conditions[0].text == (
        "The lower end of the 95% interval for good or better is 72.1% (needs at least 80%)"
    )


@pytest.mark.parametrize(("done", "interim"), [(8, True), (9, False), (10, False)])
def test_a_report_before_90_percent_completion_is_interim(done, interim):
    figures = compute_figures(inputs_for({"all": (100, 10, done, done)}))
    assert figures["interim"] is interim


# --- finding 11 (pure part): the thresholds used are stated ----------------------------------


def test_the_figures_state_the_thresholds_the_opinion_used():
    thresholds = OpinionThresholds(substantial_lower=0.85, unaudited_share_max=0.02)
    figures = compute_figures(inputs_for({"all": (100, 10, 10, 10)}), thresholds=thresholds)
    stated = figures["opinion"]["thresholds"]
    assert stated["substantial_lower"] == 0.85
    assert stated["unaudited_share_max"] == 0.02
    assert stated["reasonable_lower"] == 0.60
