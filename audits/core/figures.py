"""Every figure of an assurance report, computed from the report inputs. Pure: plain data
in (see report_data.report_inputs: completed audits already counted by group), plain
JSON-ready data out, plus the opinion. The appendix of audited cases is made apart, from
the per-audit rows (see ``appendix``)."""

import math
from collections import Counter, defaultdict
from datetime import date, datetime
from statistics import median

from audits.core import funnel, stats
from audits.core.agreement import krippendorff_alpha_interval, krippendorff_alpha_pairs
from audits.core.grading import DEFAULT_SCALE, is_good_or_better
from audits.core.opinion import OpinionInputs, OpinionThresholds, form_opinion
from audits.core.reconciliation import report_figures as reconciliation_figures

COMPLETED = ("submitted", "final")
# The interval stats.stratified_proportion gives (DESIGN.md section 7), named in the JSON so
# that anyone can recompute it with audits/standalone/recompute_report.py: the
# Korn-Graubard lower end with Jeffreys' upper end.
INTERVAL_METHOD = "korn-graubard-jeffreys"
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


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _primaries(inputs: dict, follow_up: bool = False) -> list[dict]:
    """The groups of completed first audits, of the random sample or of follow-ups, each
    with its final grade: the agreed grade of a reconciled double audit, else the
    moderator's when moderated, else the auditor's."""
    return [
        {
            **group,
            "final_grade": group.get("reconciled_grade")
            or group["moderated_grade"]
            or group["overall_grade"],
        }
        for group in inputs["completed"]
        if group["role"] == "primary" and group["follow_up"] == follow_up
    ]


def _count(groups: list[dict], key: str) -> dict[str, list[int]]:
    """Audits and good-or-better ones per value of ``key``."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group in groups:
        counts[group[key]][0] += group["audits"]
        counts[group[key]][1] += group["audits"] * is_good_or_better(group["final_grade"])
    return counts


def _coverage(by_stratum: dict, sizes: dict) -> dict:
    """Which strata of the frame the estimate covers: a stratum with no completed audit
    cannot be estimated, so it is left out and named, with the share of the frame left."""
    population = sum(sizes.values())
    audited = sorted(name for name in sizes if by_stratum.get(name, (0, 0))[0] > 0)
    covered = sum(sizes[name] for name in audited)
    return {
        "strata": len(sizes),
        "audited_strata": len(audited),
        "unaudited_strata": sorted(set(sizes) - set(audited)),
        "population": population,
        "population_covered": covered,
        "share_of_frame": covered / population if population else None,
    }


def _stratified(by_stratum: dict, sizes: dict) -> tuple[float, float, float]:
    strata = {name: (max(sizes.get(name, n), n), n, good) for name, (n, good) in by_stratum.items()}
    return stats.stratified_proportion(strata)


def _good_or_better(groups: list[dict], frame: dict | None) -> dict:
    """The stratified estimate of good or better, unrounded: the opinion is decided on
    these values and every page rounds them only to print them (audits/core/display.py)."""
    by_stratum = _count(groups, "stratum")
    sizes = (frame or {}).get("strata") or {}
    coverage = _coverage(by_stratum, sizes)
    if not groups:
        return {"estimate": None, "low": None, "high": None, "audited": 0, "good": 0,
                "coverage": coverage}  # fmt: skip
    estimate, low, high = _stratified(by_stratum, sizes)
    return {
        "estimate": estimate,
        "low": low,
        "high": high,
        "interval_method": INTERVAL_METHOD,
        "audited": sum(n for n, _ in by_stratum.values()),
        "good": sum(good for _, good in by_stratum.values()),
        "coverage": coverage,
    }


def _by_team(groups: list[dict]) -> tuple[list[dict], float | None, list[dict]]:
    """Per team: audits, good ones, the exact funnel limits around the overall proportion
    (funnel.funnel_limits), the flag at 95% and at 99.8% and the exact one-sided tail
    probability behind them (funnel.funnel_position)."""
    teams = _count(groups, "team")
    total = sum(n for n, _ in teams.values())
    overall = sum(g for _, g in teams.values()) / total if total else None
    rows = []
    for team, (n, good) in sorted(teams.items()):
        low95, high95 = funnel.funnel_limits(overall, n, 0.95)
        low998, high998 = funnel.funnel_limits(overall, n, 0.998)
        flag, tail = funnel.funnel_position(good, n, overall, 0.95)
        flag998, _ = funnel.funnel_position(good, n, overall, 0.998)
        rows.append(
            {
                "team": team, "audited": n, "good_or_better": good,
                "proportion": round(good / n, 4),
                "limits95": [round(low95, 4), round(high95, 4)],
                "limits998": [round(low998, 4), round(high998, 4)],
                "flag": flag, "flag998": flag998, "tail_probability": round(tail, 6),
            }
        )  # fmt: skip
    curve = []
    if overall is not None:
        sizes = range(1, max(n for n, _ in teams.values()) + 1)
        low95, high95 = funnel.funnel_curve(overall, sizes, 0.95)
        low998, high998 = funnel.funnel_curve(overall, sizes, 0.998)
        names = ("low95", "high95", "low998", "high998")
        for n, *limits in zip(sizes, low95, high95, low998, high998, strict=True):
            rounded = (round(float(value), 4) for value in limits)
            curve.append({"n": n, **dict(zip(names, rounded, strict=True))})
    return rows, None if overall is None else round(overall, 4), curve


def _funnel_chance(teams: int) -> dict:
    """How many teams a funnel flags by chance alone: each team is tested against each
    limit, so even if all performed alike up to teams x (1 - confidence) fall outside it
    (fewer, as exact tests on few cases are conservative)."""
    expected95, expected998 = round(teams * 0.05, 3), round(teams * 0.002, 3)
    text = (
        f"{teams} teams are each compared with the limits, so even if every team worked to "
        f"the same standard up to {expected95:g} would fall outside the 95% limits and "
        f"{expected998:g} outside the 99.8% limits by chance alone. A team outside the 95% "
        "limits is a prompt to look closer, not a finding; the exact probability behind each "
        "flag is given."
    )
    return {"teams": teams, "expected95": expected95, "expected998": expected998, "text": text}


def _by(groups: list[dict], key: str) -> list[dict]:
    return [
        {key: name, "audited": n, "good_or_better": good, "proportion": _share(good, n)}
        for name, (n, good) in sorted(_count(groups, key).items())
    ]


def _by_domain(domain_grades: list[dict]) -> list[dict]:
    """Per domain: how many audits rated it, the mean of their domain grades, the share
    good or better and the distribution of the grades (grading.domain_grade: a median
    between two grades is the lower one)."""
    by_domain: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for row in domain_grades:
        by_domain[row["domain"]].append((row["grade"], row["audits"]))
    rows = []
    for domain, counted in sorted(by_domain.items()):
        rated = sum(n for _, n in counted)
        # Domain grades are whole grades, so this sum is exact in any order.
        total = sum(grade * n for grade, n in counted)
        distribution: Counter[str] = Counter()
        for grade, n in counted:
            distribution[str(math.floor(grade))] += n
        rows.append(
            {
                "domain": domain,
                "rated": rated,
                "mean": round(total / rated, 2),
                "good_or_better": _share(sum(n for g, n in counted if g >= 3), rated),
                "distribution": {g: distribution.get(g, 0) for g in ("1", "2", "3", "4")},
            }
        )
    return rows


def _median_grade(groups: list[dict]) -> float | int | None:
    grades = sorted((g["final_grade"], g["audits"]) for g in groups)
    finals = [grade for grade, n in grades for _ in range(n)]
    return median(finals) if finals else None


def _trend(inputs: dict, current: dict) -> list[dict]:
    """Good or better in each earlier cycle and this one, every one the stratified estimate
    over its own frame (the figure the report headlines), with its 95% interval."""
    rows = []
    for row in inputs["earlier"]:
        counted = {name: (n, good) for name, (_, n, good) in row["strata"].items() if n}
        sizes = {name: size for name, (size, _, _) in row["strata"].items()}
        if not counted:
            continue
        estimate, low, high = _stratified(counted, sizes)
        rows.append(
            {"cycle": row["cycle"], "period_end": row["period_end"],
             "audited": sum(n for n, _ in counted.values()),
             "good_or_better": estimate, "low": low, "high": high}
        )  # fmt: skip
    if current["audited"]:
        rows.append(
            {"cycle": inputs["cycle"]["name"], "period_end": inputs["cycle"]["period_end"],
             "audited": current["audited"], "good_or_better": current["estimate"],
             "low": current["low"], "high": current["high"]}
        )  # fmt: skip
    return rows


# Fewer double audits (or random moderations) than thresholds.reliability_minimum (default
# 10, set by an admin with the opinion thresholds) and agreement is "not measured": a handful
# of cases cannot show that grades do not depend on who graded.


def _paired(pairs: dict) -> int:
    return sum(n for (first, second), n in pairs.items() if None not in (first, second))


def _reliability(inputs: dict, scale: list[int], minimum: int) -> dict:
    """Moderation outcomes; auditor-moderator kappa on the random share of moderations
    only; Krippendorff's alpha on the blind double audits with a bootstrap interval and
    the number of pairs behind it. A measure is None ("not measured") when undefined or
    when fewer than ``minimum`` cases stand behind it, and the notes say why."""
    # Every agreed or changed moderation, first and second audits alike: the auditor's
    # overall grade and the moderator's.
    pairs = [
        (group["overall_grade"], group["moderated_grade"])
        for group in inputs["completed"]
        if group["moderated_grade"] is not None
        for _ in range(group["audits"])
    ]
    changed = sum(a != b for a, b in pairs)
    notes = []
    # Kappa only on audits moderated because they fell in the random share: the rule also
    # sends every Inadequate and Outstanding grade, which inflates agreement.
    at_random = [
        (row["auditor"], row["moderator"])
        for row in (inputs.get("moderations") or {}).get("random", [])
        for _ in range(row["audits"])
    ]
    kappa = None
    if len(at_random) >= minimum:
        kappa = stats.cohen_kappa(
            [a for a, _ in at_random], [b for _, b in at_random], scale, "quadratic"
        )
        if kappa is None:
            notes.append(
                "Auditors and moderators gave one and the same grade to every audit moderated "
                "at random, so their agreement (weighted kappa) is not measured."
            )
    else:
        notes.append(
            f"Only {len(at_random)} audits were moderated at random (at least {minimum} are "
            "needed), so agreement between auditors and moderators (weighted kappa) is not "
            "measured."
        )
    notes.append(
        "Weighted kappa compares auditors with moderators on the audits moderated at random "
        "only, not those sent because they were graded Inadequate or Outstanding. It is not "
        "blind: the moderator sees the auditor's grades, so it can overstate how consistently "
        "auditors grade."
    )
    doubles = inputs["double_audits"]
    overall = {(p["first"], p["second"]): p["cases"] for p in doubles["overall"]}
    alpha_pairs = _paired(overall)
    alpha, alpha_interval = None, None
    if alpha_pairs >= minimum:
        alpha = _alpha(overall, scale)
        if alpha is None:
            notes.append(
                "Every case audited twice got one and the same grade from both auditors, so "
                "Krippendorff's alpha is undefined and not measured."
            )
        else:
            interval = krippendorff_alpha_interval(overall, "ordinal", scale)
            alpha_interval = None if interval is None else [round(v, 4) for v in interval]
    else:
        notes.append(
            f"Only {alpha_pairs} cases were audited twice, blind (at least {minimum} are "
            "needed), so agreement between auditors (Krippendorff's alpha) is not measured."
        )
    by_domain: dict[str, dict] = defaultdict(dict)
    for p in doubles["domains"]:
        by_domain[p["domain"]][(p["first"], p["second"])] = p["cases"]
    domain_pairs = {domain: _paired(counted) for domain, counted in sorted(by_domain.items())}
    alpha_by_domain = {
        domain: _alpha(by_domain[domain], None, level="interval") if count >= minimum else None
        for domain, count in domain_pairs.items()
    }
    return {
        "moderated": len(pairs),
        "changed": changed,
        "change_rate": _share(changed, len(pairs)),
        "direction": {"up": sum(b > a for a, b in pairs), "down": sum(b < a for a, b in pairs)},
        "kappa_quadratic": None if kappa is None else round(kappa, 4),
        "kappa_moderations": len(at_random),
        "kappa_blind": False,
        "double_audits": doubles["cases"],
        "alpha_overall": alpha,
        "alpha_interval": alpha_interval,
        "alpha_pairs": alpha_pairs,
        "alpha_by_domain": alpha_by_domain,
        "alpha_by_domain_pairs": domain_pairs,
        "minimum_pairs": minimum,
        "notes": notes,
    }


def _alpha(pairs: dict, categories, level="ordinal") -> float | None:
    try:
        value = krippendorff_alpha_pairs(pairs, level=level, categories=categories)
    except ValueError:
        return None  # e.g. every rating identical and a single value: alpha is undefined
    # Unrounded: the opinion compares it with its threshold (pages round it to print).
    return None if value is None or value != value else float(value)  # NaN -> not measured


def _escalations(inputs: dict, as_of: datetime) -> dict:
    items = []
    for e in inputs["escalations"]:
        due = datetime.fromisoformat(e["due_at"])
        acknowledged = e["acknowledged_at"]
        overdue = acknowledged is None and due < as_of
        late = acknowledged is not None and datetime.fromisoformat(acknowledged) > due
        items.append({**e, "overdue": overdue, "acknowledged_late": late})
    return {
        "raised": len(items),
        "acknowledged": sum(e["acknowledged_at"] is not None for e in items),
        "overdue": sum(e["overdue"] for e in items),
        "items": items,
    }


def _actions(inputs: dict, today: date) -> dict:
    actions = inputs["actions"]
    overdue = [
        a for a in actions if a["status"] == "open" and date.fromisoformat(a["due_date"]) < today
    ]
    finished = [a for a in actions if a["done_on"]]
    on_time = [a for a in finished if a["done_on"] <= a["due_date"]]
    return {
        "total": len(actions),
        "open": sum(a["status"] == "open" for a in actions),
        "done": sum(a["status"] == "done" for a in actions),
        "verified": sum(a["status"] == "verified" for a in actions),
        "overdue": len(overdue),
        "overdue_high": sum(a["priority"] == "high" for a in overdue),
        "on_time_rate": _share(len(on_time), len(finished)),
        "by_priority": {
            p: sum(a["priority"] == p for a in actions) for p in ("high", "medium", "low")
        },
    }


def _methodology(inputs: dict, planned: int, audited: int, verify: dict, completed: dict) -> dict:
    frame = inputs["frame"] or {}
    drawn: Counter[str] = Counter()
    replaced: Counter[str] = Counter()
    for row in inputs["sample"]["counts"]:
        if not row["follow_up"]:
            drawn[row["stratum"]] += row["cases"]
            replaced[row["stratum"]] += row["cases"] * (row["status"] == "replaced")
    strata = []
    for stratum, population in sorted((frame.get("strata") or {}).items()):
        strata.append(
            {"stratum": stratum, "population": population,
             "planned": (frame.get("allocation") or {}).get(stratum, 0),
             "drawn": drawn[stratum], "replacements": replaced[stratum],
             "in_sample": drawn[stratum] - replaced[stratum],
             "completed": completed.get(stratum, (0, 0))[0]}
        )  # fmt: skip
    plan = inputs["cycle"]["plan"]
    method = plan.get("method", "fixed")
    confidence = plan.get("confidence", 0.95)
    described = {
        "fixed": f"fixed sample of {plan.get('n')}",
        "estimation": f"estimation (margin {plan.get('margin')}, confidence {confidence})",
        "attribute": (
            f"attribute test (tolerable {plan.get('tolerable_rate')}, "
            f"expected {plan.get('expected_rate')}, confidence {confidence})"
        ),
    }.get(method, method)
    return {
        "frame_definition": {k: inputs["cycle"][k] for k in (
            "case_types", "teams", "open_on", "exclude_audited_months",
            "exclude_closed_before_period", "stratify_by")},
        "population": frame.get("population"),
        "exclusions": frame.get("exclusions") or {},
        "seed": frame.get("seed"),
        "frame_hash": frame.get("frame_hash"),
        "seed_parts": frame.get("seed_parts") or {},
        "overlapping_draws": frame.get("overlapping_draws") or [],
        "algorithm": frame.get("algorithm"),
        "drawn_by": frame.get("drawn_by"),
        "drawn_at": frame.get("drawn_at"),
        "sample_size_method": described,
        "allocation_method": plan.get("allocation", "proportional"),
        "strata": strata,
        "replacements": inputs["sample"]["replacements"],
        "rules": inputs["cycle"]["rules"],
        "overrides": inputs["overrides"],
        "unassignable": inputs["unassignable"],
        "planned": planned,
        "audited": audited,
        "verify_command": verify.get("command"),
        "verify_script": verify.get("script"),
    }  # fmt: skip


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
    "case_ref", "team", "case_type", "stratum", "auditor", "overall_grade", "moderated_grade",
    "final_grade", "themes", "follow_up",
)  # fmt: skip


def appendix(audit_rows: list[dict]) -> list[dict]:
    """The appendix of audited cases: every completed first audit, of the random sample and
    of follow-ups, by case_ref (rows as report_rows.audit_rows gives them)."""
    completed = [a for a in audit_rows if a["role"] == "primary" and a["status"] in COMPLETED]
    return [
        {k: a[k] for k in APPENDIX_COLUMNS} for a in sorted(completed, key=lambda a: a["case_ref"])
    ]
