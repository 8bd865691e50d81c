"""Every figure of an assurance report, computed from the report inputs. Pure: plain data
in (see report_data.report_inputs), plain JSON-ready data out, plus the opinion."""

from collections import Counter, defaultdict
from datetime import date, datetime
from statistics import median

from audits import stats
from audits.grading import DEFAULT_SCALE, is_good_or_better
from audits.opinion import OpinionInputs, OpinionThresholds, form_opinion

COMPLETED = ("submitted", "final")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _completed_primaries(inputs: dict, follow_up: bool = False) -> list[dict]:
    return [
        a
        for a in inputs["audits"]
        if a["role"] == "primary" and a["status"] in COMPLETED and a["follow_up"] == follow_up
    ]


def _good_or_better(audits: list[dict], frame: dict | None) -> dict:
    by_stratum: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for audit in audits:
        by_stratum[audit["stratum"]][0] += 1
        by_stratum[audit["stratum"]][1] += is_good_or_better(audit["final_grade"])
    if not audits:
        return {"estimate": None, "low": None, "high": None, "audited": 0, "good": 0}
    sizes = (frame or {}).get("strata") or {}
    strata = {name: (max(sizes.get(name, n), n), n, good) for name, (n, good) in by_stratum.items()}
    estimate, low, high = stats.stratified_proportion(strata)
    return {
        "estimate": round(estimate, 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "audited": len(audits),
        "good": sum(good for _, good in by_stratum.values()),
    }


def _by_team(audits: list[dict]) -> tuple[list[dict], float | None, list[dict]]:
    teams: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for audit in audits:
        teams[audit["team"]][0] += 1
        teams[audit["team"]][1] += is_good_or_better(audit["final_grade"])
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


def _by(audits: list[dict], key: str) -> list[dict]:
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for audit in audits:
        groups[audit[key]][0] += 1
        groups[audit[key]][1] += is_good_or_better(audit["final_grade"])
    return [
        {key: name, "audited": n, "good_or_better": good, "proportion": _share(good, n)}
        for name, (n, good) in sorted(groups.items())
    ]


def _by_domain(audits: list[dict]) -> list[dict]:
    grades: dict[str, list[float]] = defaultdict(list)
    for audit in audits:
        for domain, grade in audit["domain_grades"].items():
            grades[domain].append(grade)
    rows = []
    for domain, values in sorted(grades.items()):
        counts = Counter(str(round(v)) for v in values)
        rows.append(
            {
                "domain": domain,
                "rated": len(values),
                "mean": round(sum(values) / len(values), 2),
                "good_or_better": _share(sum(v >= 3 for v in values), len(values)),
                "distribution": {g: counts.get(g, 0) for g in ("1", "2", "3", "4")},
            }
        )
    return rows


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
    moderations = inputs["moderations"]
    pairs = [(m["original"], m["moderated"]) for m in moderations if m["original"] is not None]
    changed = sum(a != b for a, b in pairs)
    kappa = None
    if len(pairs) >= 2:
        kappa = stats.cohen_kappa([a for a, _ in pairs], [b for _, b in pairs], scale, "quadratic")
    by_case: dict[str, dict[str, dict]] = defaultdict(dict)
    for audit in inputs["audits"]:
        if audit["status"] in COMPLETED:
            by_case[audit["case_ref"]][audit["role"]] = audit
    doubles = [roles for roles in by_case.values() if {"primary", "second"} <= set(roles)]
    alpha = None
    alpha_by_domain: dict[str, float | None] = {}
    notes = []
    if len(doubles) >= 2:
        first = [d["primary"]["overall_grade"] for d in doubles]
        second = [d["second"]["overall_grade"] for d in doubles]
        alpha = _alpha([first, second], scale)
        domains = sorted({k for d in doubles for k in d["primary"]["domain_grades"]})
        for domain in domains:
            alpha_by_domain[domain] = _alpha(
                [
                    [d["primary"]["domain_grades"].get(domain) for d in doubles],
                    [d["second"]["domain_grades"].get(domain) for d in doubles],
                ],
                None,
                level="interval",
            )
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
        "double_audits": len(doubles),
        "alpha_overall": alpha,
        "alpha_by_domain": alpha_by_domain,
        "notes": notes,
    }


def _alpha(ratings, categories, level="ordinal") -> float | None:
    try:
        value = stats.krippendorff_alpha(ratings, level=level, categories=categories)
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
    sampled = inputs["sampled"]
    strata = []
    for stratum, population in sorted((frame.get("strata") or {}).items()):
        rows = [s for s in sampled if s["stratum"] == stratum and not s["follow_up"]]
        strata.append(
            {"stratum": stratum, "population": population,
             "planned": (frame.get("allocation") or {}).get(stratum, 0),
             "drawn": len(rows), "replacements": sum(s["status"] == "replaced" for s in rows)}
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
        "algorithm": frame.get("algorithm"),
        "drawn_by": frame.get("drawn_by"),
        "drawn_at": frame.get("drawn_at"),
        "sample_size_method": described,
        "allocation_method": plan.get("allocation", "proportional"),
        "strata": strata,
        "replacements": [
            {"case_ref": s["case_ref"], "stratum": s["stratum"], "rank": s["rank"],
             "reason": s["reason"], "replaced_by": s["replaced_by"]}
            for s in sampled if s["status"] == "replaced"
        ],
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
    audits = _completed_primaries(inputs)
    follow_ups = _completed_primaries(inputs, follow_up=True)
    frame = inputs["frame"]
    active = [s for s in inputs["sampled"] if s["status"] == "selected" and not s["follow_up"]]
    planned = sum((frame or {}).get("allocation", {}).values()) if frame else 0
    good = _good_or_better(audits, frame)
    by_team, overall, funnel = _by_team(audits)
    reliability = _reliability(inputs, scale)
    escalations = _escalations(inputs, as_of)
    actions = _actions(inputs, as_of.date())
    completion = _share(len(audits), len(active))
    opinion = form_opinion(
        OpinionInputs(
            good_or_better_lower=good["low"],
            overdue_escalations=escalations["overdue"],
            overdue_high_priority_actions=actions["overdue_high"],
            alpha=reliability["alpha_overall"],
            completion_rate=completion,
            audited=len(audits),
            planned=planned,
        ),
        thresholds or OpinionThresholds(),
    ).as_dict()
    grades = Counter(str(a["final_grade"]) for a in audits)
    themes = Counter(theme for a in audits for theme in a["themes"])
    return {
        "cycle": {k: inputs["cycle"][k] for k in ("name", "period_start", "period_end")},
        "as_of": inputs["as_of"],
        "opinion": opinion,
        "summary": {
            "audited": len(audits),
            "planned": planned,
            "completion_rate": completion,
            "good_or_better": {k: good[k] for k in ("estimate", "low", "high")},
            "inadequate": grades.get("1", 0),
            "escalations": escalations["raised"],
            "overdue_escalations": escalations["overdue"],
            "overdue_actions": actions["overdue"],
        },
        "methodology": _methodology(inputs, planned, len(audits), verify or {}),
        "findings": {
            "grade_scale": {str(k): v for k, v in sorted(scale_labels.items())},
            "grade_distribution": {str(k): grades.get(str(k), 0) for k in scale},
            "good_or_better": good,
            "by_team": by_team,
            "overall_proportion": overall,
            "funnel": funnel,
            "by_case_type": _by(audits, "case_type"),
            "by_domain": _by_domain(audits),
            "themes": [
                {"theme": t, "count": n, "share": _share(n, len(audits))}
                for t, n in sorted(themes.items(), key=lambda item: (-item[1], item[0]))
            ],
            "trend": _trend(inputs, good),
            "follow_ups": {
                "audited": len(follow_ups),
                "good_or_better": sum(is_good_or_better(a["final_grade"]) for a in follow_ups),
            },
            "median_grade": median([a["final_grade"] for a in audits]) if audits else None,
        },
        "reliability": reliability,
        "escalations": escalations,
        "actions": actions,
        "appendix": [
            {
                k: a[k]
                for k in (
                    "case_ref",
                    "team",
                    "case_type",
                    "stratum",
                    "auditor",
                    "overall_grade",
                    "moderated_grade",
                    "final_grade",
                    "themes",
                    "follow_up",
                )
            }
            for a in sorted(audits + follow_ups, key=lambda a: a["case_ref"])
        ],
    }
