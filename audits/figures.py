"""Every figure of an assurance report, computed from the report inputs. Pure: plain data
in (see report_data.report_inputs: completed audits already counted by group), plain
JSON-ready data out, plus the opinion. The appendix of audited cases is made apart, from
the per-audit rows (see ``appendix``)."""

from collections import Counter, defaultdict
from datetime import date, datetime
from statistics import median

from audits import stats
from audits.agreement import krippendorff_alpha_pairs
from audits.grading import DEFAULT_SCALE, is_good_or_better
from audits.opinion import OpinionInputs, OpinionThresholds, form_opinion

COMPLETED = ("submitted", "final")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _primaries(inputs: dict, follow_up: bool = False) -> list[dict]:
    """The groups of completed first audits, of the random sample or of follow-ups, each
    with its final grade (the moderator's when moderated)."""
    return [
        {**group, "final_grade": group["moderated_grade"] or group["overall_grade"]}
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


def _good_or_better(groups: list[dict], frame: dict | None) -> dict:
    by_stratum = _count(groups, "stratum")
    if not groups:
        return {"estimate": None, "low": None, "high": None, "audited": 0, "good": 0}
    sizes = (frame or {}).get("strata") or {}
    strata = {name: (max(sizes.get(name, n), n), n, good) for name, (n, good) in by_stratum.items()}
    estimate, low, high = stats.stratified_proportion(strata)
    return {
        "estimate": round(estimate, 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "audited": sum(n for n, _ in by_stratum.values()),
        "good": sum(good for _, good in by_stratum.values()),
    }


def _by_team(groups: list[dict]) -> tuple[list[dict], float | None, list[dict]]:
    teams = _count(groups, "team")
    total = sum(n for n, _ in teams.values())
    overall = sum(g for _, g in teams.values()) / total if total else None
    rows = []
    for team, (n, good) in sorted(teams.items()):
        low95, high95 = stats.funnel_limits(overall, n, 0.95)
        low998, high998 = stats.funnel_limits(overall, n, 0.998)
        proportion = good / n
        flag = "above" if proportion > high95 else "below" if proportion < low95 else "within"
        rows.append(
            {
                "team": team, "audited": n, "good_or_better": good,
                "proportion": round(proportion, 4),
                "limits95": [round(low95, 4), round(high95, 4)],
                "limits998": [round(low998, 4), round(high998, 4)],
                "flag": flag,
            }
        )  # fmt: skip
    funnel = []
    if overall is not None:
        for n in range(1, max(n for n, _ in teams.values()) + 1):
            low95, high95 = stats.funnel_limits(overall, n, 0.95)
            low998, high998 = stats.funnel_limits(overall, n, 0.998)
            funnel.append({"n": n, "low95": round(low95, 4), "high95": round(high95, 4),
                           "low998": round(low998, 4), "high998": round(high998, 4)})  # fmt: skip
    return rows, None if overall is None else round(overall, 4), funnel


def _by(groups: list[dict], key: str) -> list[dict]:
    return [
        {key: name, "audited": n, "good_or_better": good, "proportion": _share(good, n)}
        for name, (n, good) in sorted(_count(groups, key).items())
    ]


def _by_domain(domain_grades: list[dict]) -> list[dict]:
    """Per domain: how many audits rated it, their mean median grade, the share good or
    better and the distribution of the medians rounded (half to even) to a grade."""
    by_domain: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for row in domain_grades:
        by_domain[row["domain"]].append((row["grade"], row["audits"]))
    rows = []
    for domain, counted in sorted(by_domain.items()):
        rated = sum(n for _, n in counted)
        # Medians are whole or half grades, so this sum is exact in any order.
        total = sum(grade * n for grade, n in counted)
        distribution: Counter[str] = Counter()
        for grade, n in counted:
            distribution[str(round(grade))] += n
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
    rows = []
    earlier = [*inputs["earlier"]]
    if current["audited"]:
        earlier.append(
            {"cycle": inputs["cycle"]["name"], "period_end": inputs["cycle"]["period_end"],
             "audited": current["audited"], "good": current["good"]}
        )  # fmt: skip
    for row in earlier:
        low, high = stats.wilson_interval(row["good"], row["audited"])
        rows.append(
            {"cycle": row["cycle"], "period_end": row["period_end"], "audited": row["audited"],
             "good_or_better": _share(row["good"], row["audited"]),
             "low": round(low, 4), "high": round(high, 4)}
        )  # fmt: skip
    return rows


def _reliability(inputs: dict, scale: list[int]) -> dict:
    # Every agreed or changed moderation, first and second audits alike: the auditor's
    # overall grade and the moderator's.
    pairs = [
        (group["overall_grade"], group["moderated_grade"])
        for group in inputs["completed"]
        if group["moderated_grade"] is not None
        for _ in range(group["audits"])
    ]
    changed = sum(a != b for a, b in pairs)
    kappa = None
    if len(pairs) >= 2:
        kappa = stats.cohen_kappa([a for a, _ in pairs], [b for _, b in pairs], scale, "quadratic")
    doubles = inputs["double_audits"]
    alpha = None
    alpha_by_domain: dict[str, float | None] = {}
    notes = []
    if doubles["cases"] >= 2:
        overall = {(p["first"], p["second"]): p["cases"] for p in doubles["overall"]}
        alpha = _alpha(overall, scale)
        by_domain: dict[str, dict] = defaultdict(dict)
        for p in doubles["domains"]:
            by_domain[p["domain"]][(p["first"], p["second"])] = p["cases"]
        for domain, domain_pairs in sorted(by_domain.items()):
            alpha_by_domain[domain] = _alpha(domain_pairs, None, level="interval")
    else:
        notes.append("Fewer than two double-audited cases: Krippendorff's alpha not measured.")
    if len(pairs) < 2:
        notes.append("Fewer than two moderated audits: weighted kappa not measured.")
    return {
        "moderated": len(pairs),
        "changed": changed,
        "change_rate": _share(changed, len(pairs)),
        "direction": {"up": sum(b > a for a, b in pairs), "down": sum(b < a for a, b in pairs)},
        "kappa_quadratic": None if kappa is None else round(kappa, 4),
        "double_audits": doubles["cases"],
        "alpha_overall": alpha,
        "alpha_by_domain": alpha_by_domain,
        "notes": notes,
    }


def _alpha(pairs: dict, categories, level="ordinal") -> float | None:
    try:
        value = krippendorff_alpha_pairs(pairs, level=level, categories=categories)
    except ValueError:
        return None  # e.g. every rating identical and a single value: alpha is undefined
    return None if value != value else round(float(value), 4)  # NaN -> not measured


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


def _methodology(inputs: dict, planned: int, audited: int, verify: dict) -> dict:
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
             "drawn": drawn[stratum], "replacements": replaced[stratum]}
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
    inputs: dict, *, verify: dict | None = None, thresholds: OpinionThresholds | None = None
) -> dict:
    """All report figures and the opinion. ``verify`` carries the re-check command and
    script text (printed, not hashed as data)."""
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
    reliability = _reliability(inputs, scale)
    escalations = _escalations(inputs, as_of)
    actions = _actions(inputs, as_of.date())
    completion = _share(audited, active)
    opinion = form_opinion(
        OpinionInputs(
            good_or_better_lower=good["low"],
            overdue_escalations=escalations["overdue"],
            overdue_high_priority_actions=actions["overdue_high"],
            alpha=reliability["alpha_overall"],
            completion_rate=completion,
            audited=audited,
            planned=planned,
        ),
        thresholds or OpinionThresholds(),
    ).as_dict()
    grades: Counter[str] = Counter()
    for group in audits:
        grades[str(group["final_grade"])] += group["audits"]
    themes = inputs["themes"]
    return {
        "cycle": {k: inputs["cycle"][k] for k in ("name", "period_start", "period_end")},
        "as_of": inputs["as_of"],
        "opinion": opinion,
        "summary": {
            "audited": audited,
            "planned": planned,
            "completion_rate": completion,
            "good_or_better": {k: good[k] for k in ("estimate", "low", "high")},
            "inadequate": grades.get("1", 0),
            "escalations": escalations["raised"],
            "overdue_escalations": escalations["overdue"],
            "overdue_actions": actions["overdue"],
        },
        "methodology": _methodology(inputs, planned, audited, verify or {}),
        "findings": {
            "grade_scale": {str(k): v for k, v in sorted(scale_labels.items())},
            "grade_distribution": {str(k): grades.get(str(k), 0) for k in scale},
            "good_or_better": good,
            "by_team": by_team,
            "overall_proportion": overall,
            "funnel": funnel,
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
