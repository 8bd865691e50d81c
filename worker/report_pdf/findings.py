"""Findings: grades, good or better by team (funnel), by kind of case and area of
practice, themes, the trend against earlier cycles and follow-up audits."""

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from reportlab.platypus import PageBreak

from audits.core.display import interval, percent
from worker.report_pdf import charts
from worker.report_pdf.blocks import Column, chart_or, field, number, para, records_table
from worker.report_pdf.styles import DEFAULT_GRADE_SCALE, H1, H2, LEAD, SMALL
from worker.report_pdf.words import (
    as_count,
    as_date,
    as_decimal,
    as_limits,
    as_text,
    case_type_text,
    records,
    section,
)


def _team_position(team: Mapping) -> str:
    flag, proportion = team.get("flag"), team.get("proportion")
    if flag not in ("above", "below") or proportion is None:
        return "Within limits" if flag == "within" else as_text(flag)
    low, high = ([*(team.get("limits998") or []), None, None])[:2]
    beyond = (flag == "above" and high is not None and proportion > high) or (
        flag == "below" and low is not None and proportion < low
    )
    return f"{flag.capitalize()} the {'99.8%' if beyond else '95%'} limit"


TEAM_COLUMNS = [
    Column("No.", 6, field("number")),
    Column("Team", 27, field("team")),
    number("Audited", 10, "audited"),
    number("Good or better", 11, "good_or_better"),
    number("Share of audited cases", 9, "proportion", percent),
    Column("95% limits", 19, field("limits95", as_limits)),
    Column("Position", 18, _team_position),
]
CASE_TYPE_COLUMNS = [
    Column("Kind of case", 40, field("case_type", case_type_text)),
    number("Audited", 20, "audited"),
    number("Good or better", 20, "good_or_better"),
    number("Share of audited cases", 20, "proportion", percent),
]
THEME_COLUMNS = [
    Column("Theme", 47, field("theme")),
    number("Cases", 9, "count"),
    number("Share of audits", 13, "share", partial(percent, places=0)),
    Column("", 31, lambda t: charts.share_bar(t.get("share"))),
]


def _domain_columns(grades: list[str]) -> list[Column]:
    def graded(grade: str) -> Callable[[Mapping], str]:
        return lambda d: as_count(section(d, "distribution").get(grade))

    return [
        Column("Area", 34, field("domain")),
        number("Rated", 8, "rated"),
        number("Average grade", 10, "mean", as_decimal),
        number(
            "Share of rated audits good or better",
            10,
            "good_or_better",
            partial(percent, places=0),
        ),
        *(Column(f"Graded {g}", 38 / len(grades), graded(g), right=True) for g in grades),
    ]


def _median(median: Any, scale: Mapping[str, str]) -> str:
    if median is None:
        return ""
    grade = f"{median:g}" if isinstance(median, float) else str(median)
    return f"The median grade is {grade}" + (f" ({scale[grade]})." if grade in scale else ".")


def findings(figures: Mapping) -> list:
    findings = section(figures, "findings")
    scale = section(findings, "grade_scale") or DEFAULT_GRADE_SCALE
    scale = {str(grade): str(name) for grade, name in scale.items()}
    grades = sorted(scale, key=int)
    teams = [{**t, "number": n} for n, t in enumerate(records(findings, "by_team"), start=1)]
    funnel = charts.funnel_chart(
        teams, records(findings, "funnel"), findings.get("overall_proportion")
    )
    follow_ups = section(findings, "follow_ups")
    return [
        para("Findings", H1),
        para("Grades", H2),
        para(
            "Overall grade of each audited case, after moderation where a moderator changed it. "
            + _median(findings.get("median_grade"), scale),
            LEAD,
        ),
        *chart_or(
            charts.grade_chart(section(findings, "grade_distribution"), scale),
            "No grades were recorded.",
        ),
        para("Good or better by team", H2),
        *(
            []
            if funnel is None
            else [
                para(
                    "Each point is a team's share of audited cases graded good or better, around "
                    "the share of all audited cases (not weighted by strata). Small teams vary "
                    "more by chance, so the limits widen as fewer cases are audited. A team "
                    "outside the 95% limits is worth a look; outside the 99.8% limits, chance "
                    "is an unlikely explanation.",
                    LEAD,
                ),
                funnel,
            ]
        ),
        *records_table(teams, TEAM_COLUMNS, "No team had an audited case."),
        para("By kind of case", H2),
        *records_table(
            records(findings, "by_case_type"), CASE_TYPE_COLUMNS, "Nothing was audited."
        ),
        para("By area of practice", H2),
        *records_table(
            records(findings, "by_domain"), _domain_columns(grades), "Nothing was graded."
        ),
        para(f"Grades: {', '.join(f'{g} {scale[g]}' for g in grades)}.", SMALL),
        para("Themes", H2),
        para("How many audited cases were tagged with each recurring theme.", LEAD),
        *records_table(records(findings, "themes"), THEME_COLUMNS, "No themes were recorded."),
        *_trend(figures),
        para("Follow-up audits", H2),
        para(
            f"{as_count(follow_ups.get('audited'))} cases were audited again as follow-ups, of "
            f"which {as_count(follow_ups.get('good_or_better'))} were good or better. They are "
            "reported apart from the random sample and are not in the estimates above."
            if follow_ups.get("audited")
            else "No follow-up audits were made in this cycle."
        ),
        PageBreak(),
    ]


TREND_COLUMNS = [
    Column("Cycle", 22, field("label")),
    Column("Period ended", 20, field("period_end", as_date)),
    number("Audited", 14, "audited"),
    number("Good or better (estimate)", 18, "value", percent),
    Column("95% interval", 26, lambda p: interval(p.get("low"), p.get("high"))),
]


def _trend(figures: Mapping) -> list:
    cycle, summary = section(figures, "cycle"), section(figures, "summary")
    good = section(summary, "good_or_better")
    earlier = records(section(figures, "findings"), "trend")
    points = [{**t, "label": t.get("cycle"), "value": t.get("good_or_better")} for t in earlier]
    # The compiler lists earlier cycles; add this one unless it is already the last point.
    if not earlier or earlier[-1].get("period_end") != cycle.get("period_end"):
        points.append(
            {**good, "label": cycle.get("name"), "value": good.get("estimate")}
            | {"period_end": cycle.get("period_end"), "audited": summary.get("audited")}
        )
    points[-1]["current"] = True
    for point in points:
        point["label"] = as_text(point["label"]).removesuffix(" case audit")
    story = [para("Trend against earlier cycles", H2)]
    if not earlier:
        return [*story, para("There are no earlier cycles to compare with.")]
    chart = chart_or(charts.trend_chart(points), "No cycle has a measured rate.")
    lead = para(
        "Each cycle's good or better is its stratified estimate over its own frame, with its "
        "95% interval: the figure that cycle's report headlined.",
        LEAD,
    )
    return [*story, lead, *chart, *records_table(points, TREND_COLUMNS, "")]
