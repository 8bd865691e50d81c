"""One figure across cycles, read from each report's stored figures: what internal audit
plots as a trend without fetching every report (GET /api/v1/assurance-summaries/series/).

Pure: each report's figures (as compiled, see core/figures) in, plain data out. A figure is
read only where the report measures it: good or better overall (the stratified estimate
with its 95% interval), by team (the share of audited cases, as the funnel plot shows it)
and by domain (the share of ratings of the domain good or better); completion overall;
Krippendorff's alpha overall (with its interval) and by domain. A point a report does not
measure (too few double audits for alpha) is given with ``value`` None, never left out,
so a gap in the line is visible as one."""

OVERALL = "overall"
GROUPINGS = {
    "good_or_better": (OVERALL, "team", "domain"),
    "completion": (OVERALL,),
    "alpha": (OVERALL, "domain"),
}
FIGURES = tuple(GROUPINGS)
BY = (OVERALL, "team", "domain")
MEANING = {
    ("good_or_better", OVERALL): (
        "Stratified estimate of the share of cases in the frame graded good or better, "
        "with its 95% interval (low, high); n is the audits counted."
    ),
    ("good_or_better", "team"): (
        "Share of the team's audited cases graded good or better (not weighted); n is the "
        "team's audits."
    ),
    ("good_or_better", "domain"): (
        "Share of the audits rating the domain that graded it good or better; n is those audits."
    ),
    ("completion", OVERALL): (
        "Completed first audits of the random sample over the cases in the sample; n is "
        "the cases in the sample."
    ),
    ("alpha", OVERALL): (
        "Krippendorff's alpha (ordinal) between blind double auditors' overall grades, "
        "with its interval; n is the cases audited twice. None: too few to measure."
    ),
    ("alpha", "domain"): (
        "Krippendorff's alpha (interval) between blind double auditors' grades of the "
        "domain; n is the cases audited twice. None: too few to measure."
    ),
}


def _point(value, n, interval=None) -> dict:
    low, high = interval if interval else (None, None)
    return {"value": value, "low": low, "high": high, "n": n}


def figure_points(figures: dict, figure: str, by: str) -> dict[str, dict]:
    """One report's values of ``figure`` grouped ``by``: group name -> point (value, low,
    high, n). The group of an overall figure is called "overall"."""
    summary = figures["summary"]
    findings = figures["findings"]
    reliability = figures["reliability"]
    if (figure, by) == ("good_or_better", OVERALL):
        good = summary["good_or_better"]
        return {OVERALL: _point(good["estimate"], summary["audited"], (good["low"], good["high"]))}
    if (figure, by) == ("good_or_better", "team"):
        return {
            row["team"]: _point(row["proportion"], row["audited"]) for row in findings["by_team"]
        }
    if (figure, by) == ("good_or_better", "domain"):
        return {
            row["domain"]: _point(row["good_or_better"], row["rated"])
            for row in findings["by_domain"]
        }
    if (figure, by) == ("completion", OVERALL):
        return {OVERALL: _point(summary["completion_rate"], summary["sampled"])}
    if (figure, by) == ("alpha", OVERALL):
        return {
            OVERALL: _point(
                reliability["alpha_overall"],
                reliability["alpha_pairs"],
                reliability.get("alpha_interval"),
            )
        }
    if (figure, by) == ("alpha", "domain"):
        pairs = reliability.get("alpha_by_domain_pairs") or {}
        return {
            domain: _point(value, pairs.get(domain, 0))
            for domain, value in (reliability.get("alpha_by_domain") or {}).items()
        }
    raise ValueError(f"{figure} is not given by {by}")


def series(reports: list[tuple[dict, dict]], figure: str, by: str) -> list[dict]:
    """``reports``: (what names the report, its figures) in the order the points go.
    One line per group, its points in that order; a group a report does not show has no
    point for that report (a team outside the cycle), one the report shows unmeasured has
    its point with ``value`` None."""
    lines: dict[str, list[dict]] = {}
    for named, figures in reports:
        for group, point in figure_points(figures, figure, by).items():
            lines.setdefault(group, []).append({**named, **point})
    return [{"group": group, "points": points} for group, points in sorted(lines.items())]
