"""The series core on plain figures: every report gives its point, an unmeasured one with
value None, and a group a report does not show has no point there."""

import pytest

from audits.core import series


def figures(estimate, *, alpha=None, teams=(), domains=None):
    return {
        "summary": {
            "audited": 10,
            "sampled": 12,
            "completion_rate": 10 / 12,
            "good_or_better": {"estimate": estimate, "low": estimate - 0.1, "high": estimate + 0.1},
        },
        "findings": {
            "by_team": [{"team": t, "audited": 5, "proportion": p} for t, p in teams],
            "by_domain": [],
        },
        "reliability": {
            "alpha_overall": alpha,
            "alpha_interval": None,
            "alpha_pairs": 3,
            "alpha_by_domain": domains or {},
            "alpha_by_domain_pairs": dict.fromkeys(domains or {}, 3),
        },
    }


def test_an_unmeasured_alpha_is_a_point_with_no_value():
    lines = series.series(
        [({"cycle": 1}, figures(0.7)), ({"cycle": 2}, figures(0.8, alpha=0.81))], "alpha", "overall"
    )
    assert lines == [
        {
            "group": "overall",
            "points": [
                {"cycle": 1, "value": None, "low": None, "high": None, "n": 3},
                {"cycle": 2, "value": 0.81, "low": None, "high": None, "n": 3},
            ],
        }
    ]


def test_a_team_outside_a_cycle_has_no_point_there():
    lines = series.series(
        [
            ({"cycle": 1}, figures(0.7, teams=[("North", 0.6)])),
            ({"cycle": 2}, figures(0.8, teams=[("North", 0.8), ("South", 0.4)])),
        ],
        "good_or_better",
        "team",
    )
    assert [(line["group"], [p["cycle"] for p in line["points"]]) for line in lines] == [
        ("North", [1, 2]),
        ("South", [2]),
    ]
    assert lines[0]["points"][1]["value"] == 0.8


def test_overall_good_or_better_carries_its_interval():
    [line] = series.series([({"cycle": 1}, figures(0.7))], "good_or_better", "overall")
    assert line["points"][0]["low"] == pytest.approx(0.6)
    assert line["points"][0]["high"] == pytest.approx(0.8)


def test_a_figure_not_given_by_a_grouping_is_refused():
    with pytest.raises(ValueError, match="completion is not given by team"):
        series.figure_points(figures(0.7), "completion", "team")
