"""The report's statistical figures from plain inputs (no database): exact funnel flags with
their tail probabilities and the chance line, and agreement measured or "not measured"."""

from types import SimpleNamespace

import pytest

from audits.core.figures import compute_figures
from audits.core.grading import DEFAULT_SCALE as SCALE
from audits.core.opinion import OpinionThresholds
from audits.services.audits import chosen_for_moderation


def group(team, grade, audits=1, *, role="primary", moderated=None, stratum="cin"):
    return {
        "role": role,
        "team": team,
        "case_type": "cin",
        "stratum": stratum,
        "follow_up": False,
        "overall_grade": grade,
        "moderated_grade": moderated,
        "audits": audits,
    }


def inputs(completed, *, doubles=(), domains=(), random_moderations=(), strata=None):
    strata = strata or {"cin": 1000}
    return {
        "as_of": "2026-06-30T12:00:00+00:00",
        "cycle": {
            "name": "Q1",
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "case_types": ["cin"],
            "teams": [],
            "open_on": "2026-04-01",
            "exclude_audited_months": 12,
            "exclude_closed_before_period": True,
            "stratify_by": "case_type",
            "plan": {"method": "fixed", "n": 40},
            "rules": [],
        },
        "template": None,
        "frame": {"strata": strata, "allocation": dict.fromkeys(strata, 0)},
        "sample": {"counts": [], "replacements": []},
        "completed": completed,
        "themes": {},
        "moderations": {
            "random": [
                {"auditor": a, "moderator": b, "audits": n} for a, b, n in random_moderations
            ]
        },
        "escalations": [],
        "actions": [],
        "overrides": [],
        "unassignable": [],
        "earlier": [],
        "domain_grades": [],
        "double_audits": {
            "cases": sum(n for *_, n in doubles),
            "overall": [{"first": a, "second": b, "cases": n} for a, b, n in doubles],
            "domains": [
                {"domain": d, "first": a, "second": b, "cases": n} for d, a, b, n in domains
            ],
        },
    }


# --- funnel -----------------------------------------------------------------------------


def teams_around_80_percent():
    # Eleven teams of 20 with 16 good, and one of 5 with 1 good: overall 177 / 225.
    completed = []
    for number in range(11):
        completed += [group(f"Team {number:02}", 3, 16), group(f"Team {number:02}", 2, 4)]
    completed += [group("Small team", 3, 1), group("Small team", 2, 4)]
    return completed


def test_each_team_carries_its_exact_tail_probability_and_both_flags():
    figures = compute_figures(inputs(teams_around_80_percent()))
    small = next(row for row in figures["findings"]["by_team"] if row["team"] == "Small team")
    # P(X <= 1) for 5 cases at 177/225: exact, not the normal approximation.
    p0 = 177 / 225
    assert small["tail_probability"] == pytest.approx(
        (1 - p0) ** 5 + 5 * p0 * (1 - p0) ** 4, abs=1e-6
    )
    assert (small["flag"], small["flag998"]) == ("below", "within")
    assert small["limits998"][0] < small["proportion"] < small["limits95"][0]


def test_the_report_says_how_many_teams_chance_alone_would_flag():
    chance = compute_figures(inputs(teams_around_80_percent()))["findings"]["funnel_chance"]
    assert (chance["teams"], chance["expected95"], chance["expected998"]) == (12, 0.6, 0.024)
    assert "by chance alone" in chance["text"]
    assert "0.6" in chance["text"]


def test_the_funnel_curve_is_the_exact_one():
    figures = compute_figures(inputs(teams_around_80_percent()))
    curve = {point["n"]: point for point in figures["findings"]["funnel"]}
    assert set(curve) == set(range(1, 21))
    # Around 79% no team of 11 or fewer can be significantly above at 95%: 0.787^11 > 2.5%.
    assert curve[11]["high95"] == 1.0
    assert curve[20]["high95"] < 1.0


# --- agreement --------------------------------------------------------------------------


def test_two_identical_double_audits_are_not_measured_and_block_substantial():
    # Issue 13, finding 4: two double audits both graded Good gave alpha = 1.0, and the
    # report said Substantial.
    completed = [group("Team A", 3, 200), group("Team A", 3, 2, role="second")]
    figures = compute_figures(inputs(completed, doubles=[(3, 3, 2)]))
    reliability = figures["reliability"]
    assert reliability["alpha_overall"] is None
    assert (reliability["alpha_pairs"], reliability["alpha_interval"]) == (2, None)
    assert any("Only 2 cases were audited twice" in note for note in reliability["notes"])
    assert figures["opinion"]["level"] != "Substantial"
    alpha = next(c for c in figures["opinion"]["conditions"] if c["name"] == "alpha")
    assert alpha["held"] is False


def test_enough_identical_double_audits_are_still_not_measured():
    figures = compute_figures(inputs([group("Team A", 3, 200)], doubles=[(3, 3, 12)]))
    assert figures["reliability"]["alpha_overall"] is None
    assert any("undefined" in note for note in figures["reliability"]["notes"])


def test_alpha_comes_with_its_pairs_and_a_bootstrap_interval():
    doubles = [(3, 3, 14), (2, 2, 6), (2, 3, 3), (4, 4, 2), (3, 4, 2), (1, 2, 1), (1, 1, 2)]
    figures = compute_figures(inputs([group("Team A", 3, 200)], doubles=doubles))
    reliability = figures["reliability"]
    low, high = reliability["alpha_interval"]
    assert low < reliability["alpha_overall"] < high
    assert reliability["alpha_pairs"] == 30
    assert reliability["minimum_pairs"] == 10
    again = compute_figures(inputs([group("Team A", 3, 200)], doubles=doubles))
    assert again["reliability"]["alpha_interval"] == [low, high]


def test_the_minimum_number_of_double_audits_is_configurable():
    doubles = [(3, 3, 3), (2, 2, 2), (2, 3, 1)]
    data = inputs([group("Team A", 3, 200)], doubles=doubles)
    assert compute_figures(data)["reliability"]["alpha_overall"] is None
    measured = compute_figures(data, reliability_minimum=5)["reliability"]
    assert measured["alpha_overall"] is not None
    assert measured["minimum_pairs"] == 5
    # The organisation's setting (admin: Opinion thresholds) is what a report uses.
    organisation = OpinionThresholds(reliability_minimum=5)
    assert compute_figures(data, thresholds=organisation)["reliability"] == measured
    with pytest.raises(ValueError, match="reliability_minimum"):
        OpinionThresholds(reliability_minimum=1)


def test_domain_alpha_needs_the_minimum_too():
    domains = [("Planning", 3, 3, 4), ("Planning", 2, 3, 1), ("Voice", 3, 3, 8), ("Voice", 2, 2, 4)]
    domains += [("Voice", 2, 3, 3)]
    figures = compute_figures(inputs([group("Team A", 3, 200)], domains=domains))
    reliability = figures["reliability"]
    assert reliability["alpha_by_domain_pairs"] == {"Planning": 5, "Voice": 15}
    assert reliability["alpha_by_domain"]["Planning"] is None
    assert reliability["alpha_by_domain"]["Voice"] is not None


def test_kappa_uses_only_the_random_share_and_is_labelled_not_blind():
    # Every Inadequate and Outstanding audit was moderated by rule and agreed: counting them
    # would inflate kappa. Only the random share counts.
    by_rule = [group("Team A", 1, 20, moderated=1), group("Team A", 4, 20, moderated=4)]
    random_share = [(3, 3, 6), (2, 3, 2), (3, 2, 2), (2, 2, 2)]
    completed = [*by_rule, group("Team A", 3, 8, moderated=3), group("Team A", 2, 4, moderated=2)]
    figures = compute_figures(inputs(completed, random_moderations=random_share))
    reliability = figures["reliability"]
    assert reliability["kappa_moderations"] == 12
    assert reliability["kappa_blind"] is False
    # 4 of 12 one grade apart; both marginals 4 x grade 2 and 8 x grade 3:
    # 1 - (4/12) / (2 x 4/12 x 8/12) = 0.25. With the rule's 40 agreed extremes it was ~0.98.
    assert reliability["kappa_quadratic"] == pytest.approx(0.25, abs=1e-4)
    assert reliability["moderated"] == 52
    assert any("not blind" in note for note in reliability["notes"])


def test_too_few_random_moderations_leave_kappa_not_measured():
    figures = compute_figures(inputs([group("Team A", 3, 50)], random_moderations=[(3, 2, 4)]))
    assert figures["reliability"]["kappa_quadratic"] is None
    assert any(
        "Only 4 audits were moderated at random" in n for n in figures["reliability"]["notes"]
    )


# --- the random share of moderation -------------------------------------------------------


def submitted(pk, grade):
    return SimpleNamespace(pk=pk, overall_grade=grade, template=SimpleNamespace(scale=SCALE))


def test_the_random_share_is_drawn_whatever_the_grade():
    # Kappa is measured on the audits marked "random"; they must be a random sample of all
    # audits, Inadequate and Outstanding ones included, not only of the middle grades.
    assert chosen_for_moderation(submitted(7, 1), "seed", 1.0) == "random"
    assert chosen_for_moderation(submitted(7, 4), "seed", 1.0) == "random"
    assert chosen_for_moderation(submitted(7, 1), "seed", 0.0) == "inadequate"
    assert chosen_for_moderation(submitted(7, 4), "seed", 0.0) == "outstanding"
    assert chosen_for_moderation(submitted(7, 3), "seed", 0.0) == ""
    for grade in (1, 2, 3, 4):
        share = sum(
            chosen_for_moderation(submitted(pk, grade), "seed", 0.2) == "random"
            for pk in range(2000)
        )
        assert 0.17 < share / 2000 < 0.23
