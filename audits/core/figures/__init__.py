"""Every figure of an assurance report, computed from the report inputs. Pure: plain data
in (see selectors/report_inputs: completed audits already counted by group), plain
JSON-ready data out, plus the opinion. The appendix of audited cases is made apart, from
the per-audit rows (see ``appendix``).

By section: ``estimates`` (the headline estimate and the trend), ``breakdowns`` (by team
with the funnel, by case type and domain), ``reliability`` (moderation and agreement),
``follow_through`` (escalations and actions), ``methodology`` (the draw's record); helpers
they share in ``common``. ``compute_figures`` puts them together."""

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from audits.core.figures.breakdowns import (
    _by,
    _by_domain,
    _by_team,
    _funnel_chance,
    _median_grade,
)
from audits.core.figures.common import _count, _primaries, _share
from audits.core.figures.estimates import _good_or_better, _trend
from audits.core.figures.follow_through import _actions, _escalations
from audits.core.figures.methodology import _methodology
from audits.core.figures.reliability import _reliability
from audits.core.grading import DEFAULT_SCALE
from audits.core.opinion import OpinionInputs, OpinionThresholds, form_opinion
from audits.core.reconciliation import report_figures as reconciliation_figures
from audits.core.statuses import AUDIT_COMPLETED

# The layout of the figures (Report.figures, data.json, the figures in API responses).
# Minor: fields added; major: a field removed, renamed or changing meaning (README, "API
# changelog"). Reports keep the version they were compiled with.
FIGURES_SCHEMA_VERSION = "1.1"

# What each headline figure is, in the JSON beside the figures (DESIGN.md section 7).
DEFINITIONS = {
    "good_or_better": (
        "Stratified estimate of the share of cases in the frame graded good or better: each "
        "audited stratum weighted by its share of the frame (N_h / N, over the audited "
        "strata), completed first audits of the random sample, final grades; low and high "
        "are the ends of its 95% interval. Unrounded."
    ),
    "completion_rate": (
        "Completed first audits of the random sample divided by the cases in the sample "
        "now (after replacements and extensions; follow-ups left out). Unrounded."
    ),
    "overall_proportion": (
        "Share of audited cases graded good or better (not weighted): the centre of the "
        "funnel plot only."
    ),
    "proportion": "In by_team and by_case_type: the share of audited cases, not weighted.",
    "interim": "True when the completion rate is below the completion threshold.",
}


def compute_figures(
    inputs: dict,
    *,
    verify: dict | None = None,
    thresholds: OpinionThresholds | None = None,
    reliability_minimum: int | None = None,
) -> dict:
    """All report figures and the opinion. ``verify`` carries the re-check command and
    script text (printed, not hashed as data); ``reliability_minimum`` is the fewest
    double audits (and random moderations) agreement is measured on."""
    as_of = datetime.fromisoformat(inputs["as_of"])
    scale_labels = {
        int(k): v for k, v in ((inputs["template"] or {}).get("scale") or DEFAULT_SCALE).items()
    }
    scale = sorted(scale_labels)
    audits = _primaries(inputs)
    audited = sum(g["audits"] for g in audits)
    follow_ups = _count(_primaries(inputs, follow_up=True), "follow_up")[True]
    frame = inputs["frame"]
    active = sum(
        row["cases"]
        for row in inputs["sample"]["counts"]
        if row["status"] == "selected" and not row["follow_up"]
    )
    planned = sum((frame or {}).get("allocation", {}).values()) if frame else 0
    good = _good_or_better(audits, frame)
    by_team, overall, funnel = _by_team(audits)
    thresholds = thresholds or OpinionThresholds()
    if reliability_minimum is None:
        reliability_minimum = thresholds.reliability_minimum
    reliability = _reliability(inputs, scale, reliability_minimum)
    escalations = _escalations(inputs, as_of)
    actions = _actions(inputs, as_of.date())
    # One completion everywhere: completed first audits of the random sample over the cases
    # in the sample now (after replacements and extensions), unrounded.
    completion = audited / active if active else None
    coverage = good["coverage"]
    population = coverage["population"]
    opinion = form_opinion(
        OpinionInputs(
            good_or_better_lower=good["low"],
            overdue_escalations=escalations["overdue"],
            overdue_high_priority_actions=actions["overdue_high"],
            alpha=reliability["alpha_overall"],
            completion_rate=completion,
            audited=audited,
            planned=planned,
            unaudited_strata=tuple(coverage["unaudited_strata"]),
            unaudited_share=(
                (population - coverage["population_covered"]) / population if population else 0.0
            ),
        ),
        thresholds,
    ).as_dict()
    reconciliation = reconciliation_figures(inputs)
    if reconciliation["open"]:
        opinion["caveats"].append(reconciliation["caveat"])
    grades: Counter[str] = Counter()
    for group in audits:
        grades[str(group["final_grade"])] += group["audits"]
    themes = inputs["themes"]
    return {
        "schema_version": FIGURES_SCHEMA_VERSION,
        "cycle": {k: inputs["cycle"][k] for k in ("name", "period_start", "period_end")},
        "as_of": inputs["as_of"],
        "interim": opinion["interim"],
        "opinion": opinion,
        "definitions": DEFINITIONS,
        "summary": {
            "audited": audited,
            "sampled": active,
            "planned": planned,
            "completion_rate": completion,
            "good_or_better": {
                k: good.get(k) for k in ("estimate", "low", "high", "interval_method", "coverage")
            },
            "inadequate": grades.get("1", 0),
            "escalations": escalations["raised"],
            "overdue_escalations": escalations["overdue"],
            "overdue_actions": actions["overdue"],
        },
        "methodology": _methodology(
            inputs, planned, audited, verify or {}, _count(audits, "stratum")
        ),
        "findings": {
            "grade_scale": {str(k): v for k, v in sorted(scale_labels.items())},
            "grade_distribution": {str(k): grades.get(str(k), 0) for k in scale},
            "good_or_better": good,
            "by_team": by_team,
            "overall_proportion": overall,
            "funnel": funnel,
            "funnel_chance": _funnel_chance(len(by_team)),
            "by_case_type": _by(audits, "case_type"),
            "by_domain": _by_domain(inputs["domain_grades"]),
            "themes": [
                {"theme": t, "count": n, "share": _share(n, audited)}
                for t, n in sorted(themes.items(), key=lambda item: (-item[1], item[0]))
            ],
            "trend": _trend(inputs, good),
            "follow_ups": {"audited": follow_ups[0], "good_or_better": follow_ups[1]},
            "median_grade": _median_grade(audits),
        },
        "reliability": reliability,
        "reconciliation": reconciliation,
        "escalations": escalations,
        "actions": actions,
    }


APPENDIX_COLUMNS = (
    "case_ref",
    "team",
    "case_type",
    "stratum",
    "auditor",
    "auditor_name",
    "overall_grade",
    "moderated_grade",
    "final_grade",
    "themes",
    "follow_up",
)


def appendix(audit_rows: list[dict]) -> list[dict]:
    """The appendix of audited cases: every completed first audit, of the random sample and
    of follow-ups, by case_ref (rows as report_rows.audit_rows gives them)."""
    return sorted(AppendixRows(audit_rows), key=lambda a: a["case_ref"])


class AppendixRows:
    """The appendix's rows of ``audit_rows`` (already in case_ref order), one at a time, as
    often as it is iterated: every completed first audit, with the appendix's columns."""

    def __init__(self, audit_rows: Iterable[dict]):
        self.audit_rows = audit_rows

    @staticmethod
    def listed(audit_row: Mapping) -> bool:
        """Whether the appendix lists ``audit_row``."""
        return audit_row["role"] == "primary" and audit_row["status"] in AUDIT_COMPLETED

    def auditors(self) -> set[tuple[str, str]] | None:
        """(staff ref, name) of the appendix's auditors if the rows know them without being
        read again (``AuditRows`` records them as it keeps the rows), else None."""
        known = getattr(self.audit_rows, "appendix_auditors", None)
        return None if known is None else set(known)

    def __iter__(self) -> Iterator[dict]:
        for a in self.audit_rows:
            if self.listed(a):
                yield {k: a[k] for k in APPENDIX_COLUMNS}
