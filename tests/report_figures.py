"""A realistic figures dict for the report builders, built from the real pure cores.

The council here is invented but the numbers hang together: the sample is drawn from a
synthetic frame with ``audits.core.sampling.draw``, the allocation, intervals, funnel limits,
kappa and alpha come from ``audits.core.stats`` and the opinion from ``audits.core.opinion``, so the
seed, frame hash and verify command printed in the example report really do re-check.
Everything is generated from fixed seeds: the same call always returns the same dict.
"""

import copy
import hashlib
import json
import random
import statistics

from audits.core import opinion, sampling, stats
from audits.core.funnel import funnel_limits

SEED = "LA-QA-2025-Q3-7f3a9c"
GRADE_SCALE = {"1": "Inadequate", "2": "Requires improvement", "3": "Good", "4": "Outstanding"}
STRATA = {"cin": 700, "cp": 300, "cla": 400, "leaver": 100}
CASE_TYPE_NAMES = {
    "cin": "Child in need",
    "cp": "Child protection",
    "cla": "Child looked after",
    "leaver": "Care leaver",
}
# Each team holds one kind of case; the three child-in-need teams share that stratum.
TEAMS = {
    "Front Door and Assessment": ("cin", 0.3),
    "Child in Need North": ("cin", 0.1),
    "Child in Need South": ("cin", -0.35),
    "Child Protection One": ("cp", 0.0),
    "Children Looked After": ("cla", 0.25),
    "Leaving Care": ("leaver", -0.1),
}
DOMAINS = [
    "Risk identification and management",
    "Assessment quality and critical analysis",
    "Planning",
    "Voice of the child",
    "Management oversight and supervision",
    "Multi-agency working",
    "Outcomes for the child",
    "Recording and chronology",
]
# How each domain tends to sit relative to the case's overall quality.
DOMAIN_LEAN = [0.1, -0.3, -0.2, -0.1, -0.4, 0.2, 0.0, -0.15]
THEMES = [
    "Drift and delay",
    "Over-optimism about parental capacity",
    "Voice of the child not evident",
    "Weak critical analysis",
    "Plans not SMART",
    "Management oversight not evident",
    "Case not stepped up or down when it should have been",
]
AUDITORS = [f"auditor.{number}" for number in range(1, 9)]
EXCLUSIONS = {"closed before the period": 120, "audited in the last 12 months": 30}
RULES = [
    ("R1", True, "The auditor is not in the case's current team."),
    ("R2", True, "The auditor was never the case's allocated worker or manager."),
    ("R3", True, "The auditor does not manage the case's team."),
    ("R4", True, "The auditor has declared no conflict with the case or its worker."),
    ("R5", False, "The auditor did not audit this case in the last 12 months."),
]
EARLIER_CYCLES = [
    ("Q4 2024 case audit", "2024-12-31", 35, 21),
    ("Q1 2025 case audit", "2025-03-31", 38, 24),
    ("Q2 2025 case audit", "2025-06-30", 40, 27),
]


def _frame() -> list[tuple[str, str, str]]:
    """(case_ref, stratum, team) for every case in the frame."""
    rng = random.Random("frame")
    refs = rng.sample(range(100000, 999999), sum(STRATA.values()))
    teams_by_stratum: dict[str, list[str]] = {}
    for team, (stratum, _) in TEAMS.items():
        teams_by_stratum.setdefault(stratum, []).append(team)
    rows = []
    position = 0
    for stratum, size in STRATA.items():
        for index in range(size):
            team_names = teams_by_stratum[stratum]
            rows.append((f"C{refs[position]}", stratum, team_names[index % len(team_names)]))
            position += 1
    return rows


def _grade(rng: random.Random, quality: float, *, spread: float) -> int:
    return min(4, max(1, round(quality + rng.gauss(0, spread))))


def _audits(rng: random.Random, cases: list[tuple[str, str, str]]) -> list[dict]:
    audits = []
    for case_ref, stratum, team in cases:
        overall = _grade(rng, 2.85 + TEAMS[team][1], spread=0.75)
        domain_grades = {
            domain: _grade(rng, overall + lean, spread=0.6)
            for domain, lean in zip(DOMAINS, DOMAIN_LEAN, strict=True)
        }
        weak = [theme for theme in THEMES if rng.random() < 0.05 + 0.12 * (4 - overall)]
        audits.append(
            {
                "case_ref": case_ref,
                "team": team,
                "case_type": stratum,
                "stratum": stratum,
                "auditor": "",
                "overall_grade": overall,
                "moderated_grade": None,
                "final_grade": overall,
                "domain_grades": domain_grades,
                "themes": weak[:3],
                "follow_up": False,
                "role": "primary",
                "status": "submitted",
            }
        )
    return audits


def _assign_auditors(rng: random.Random, audits: list[dict]) -> None:
    # Auditors sit in quality assurance or manage other teams; spread load evenly.
    order = rng.sample(AUDITORS, len(AUDITORS))
    for index, audit in enumerate(audits):
        audit["auditor"] = order[index % len(order)]


def _moderate(rng: random.Random, audits: list[dict]) -> dict:
    """Moderate every Inadequate and Outstanding grade plus a random tenth."""
    chosen = [a for a in audits if a["overall_grade"] in (1, 4)]
    rest = [a for a in audits if a["overall_grade"] in (2, 3)]
    chosen += rng.sample(rest, max(1, len(rest) // 10))
    # Moderators mostly agree; two over-generous grades are brought down.
    changed_down = [a for a in chosen if a["overall_grade"] in (3, 4)][:2]
    for audit in chosen:
        audit["status"] = "moderated"
        audit["moderated_grade"] = audit["overall_grade"] - (audit in changed_down)
        audit["final_grade"] = audit["moderated_grade"]
    original = [a["overall_grade"] for a in chosen]
    moderated = [a["moderated_grade"] for a in chosen]
    return {
        "moderated": len(chosen),
        "changed": sum(o != m for o, m in zip(original, moderated, strict=True)),
        "change_rate": sum(o != m for o, m in zip(original, moderated, strict=True)) / len(chosen),
        "direction": {
            "up": sum(m > o for o, m in zip(original, moderated, strict=True)),
            "down": sum(m < o for o, m in zip(original, moderated, strict=True)),
        },
        "kappa_quadratic": round(
            stats.cohen_kappa(original, moderated, [1, 2, 3, 4], "quadratic"), 4
        ),
    }


def _double_audits(rng: random.Random, audits: list[dict], count: int) -> dict:
    """A second, blind auditor grades ``count`` cases; agreement is alpha per domain."""
    doubled = audits[:: max(1, len(audits) // count)][:count]
    second = [
        {
            domain: min(4, max(1, grade + rng.choice([-1, 0, 0, 0, 0, 1])))
            for domain, grade in audit["domain_grades"].items()
        }
        for audit in doubled
    ]
    first_all = [g for audit in doubled for g in audit["domain_grades"].values()]
    second_all = [g for grades in second for g in grades.values()]
    by_domain = {}
    for domain in DOMAINS:
        first = [audit["domain_grades"][domain] for audit in doubled]
        other = [grades[domain] for grades in second]
        by_domain[domain] = round(
            stats.krippendorff_alpha([first, other], "ordinal", categories=[1, 2, 3, 4]), 4
        )
    return {
        "double_audits": len(doubled),
        "alpha_overall": round(
            stats.krippendorff_alpha([first_all, second_all], "ordinal", categories=[1, 2, 3, 4]),
            4,
        ),
        "alpha_by_domain": by_domain,
    }


def _proportion_row(audits: list[dict]) -> tuple[int, int, float | None]:
    good = sum(a["final_grade"] >= 3 for a in audits)
    return len(audits), good, (round(good / len(audits), 4) if audits else None)


def _by_team(audits: list[dict], overall: float) -> list[dict]:
    rows = []
    for team in TEAMS:
        audited, good, proportion = _proportion_row([a for a in audits if a["team"] == team])
        limits95 = funnel_limits(overall, audited, 0.95)
        limits998 = funnel_limits(overall, audited, 0.998)
        flag = "within"
        if proportion is not None and proportion > limits95[1]:
            flag = "above"
        elif proportion is not None and proportion < limits95[0]:
            flag = "below"
        rows.append(
            {
                "team": team,
                "audited": audited,
                "good_or_better": good,
                "proportion": proportion,
                "limits95": [round(v, 4) for v in limits95],
                "limits998": [round(v, 4) for v in limits998],
                "flag": flag,
            }
        )
    return rows


def _by_domain(audits: list[dict]) -> list[dict]:
    rows = []
    for domain in DOMAINS:
        grades = [a["domain_grades"][domain] for a in audits]
        rows.append(
            {
                "domain": domain,
                "rated": len(grades),
                "mean": round(statistics.fmean(grades), 2),
                "good_or_better": round(sum(g >= 3 for g in grades) / len(grades), 4),
                "distribution": {str(g): grades.count(g) for g in range(1, 5)},
            }
        )
    return rows


def _trend(audited_now: int, good_now: int) -> list[dict]:
    """Earlier cycles and, last, this one, as the compiler lists them (crude proportion
    with a Wilson interval, so every cycle is measured the same way)."""
    rows = []
    this_cycle = ("Q3 2025 case audit", "2025-09-30", audited_now, good_now)
    for name, period_end, audited, good in [*EARLIER_CYCLES, this_cycle]:
        low, high = stats.wilson_interval(good, audited)
        rows.append(
            {
                "cycle": name,
                "period_end": period_end,
                "audited": audited,
                "good_or_better": round(good / audited, 4),
                "low": round(low, 4),
                "high": round(high, 4),
            }
        )
    return rows


def report_hash(figures: dict) -> str:
    """SHA-256 over the canonical JSON of the figures, leaving out the hash itself."""
    unhashed = copy.deepcopy(figures)
    unhashed.get("report", {}).pop("hash", None)
    canonical = json.dumps(unhashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def appendix_row(audit: dict) -> dict:
    keys = [
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
    ]
    return {key: audit[key] for key in keys}


def example_audits() -> list[dict]:
    """Every audit of the example cycle, with the fields the CSV export needs."""
    return _build()[1]


def example_figures() -> dict:
    """The figures of a quarter's audit of about 40 cases, six teams, eight domains."""
    return _build()[0]


def _build() -> tuple[dict, list[dict]]:
    rng = random.Random("grades")
    frame = _frame()
    team_of = {case_ref: team for case_ref, _, team in frame}
    planned = stats.estimation_sample_size(0.14, p=0.7, population=len(frame))
    allocation = stats.allocate(STRATA, planned, minimum=4)
    # One child protection case is replaced (its file moved to another council), so the
    # draw for that stratum runs one rank further.
    extended = {**allocation, "cp": allocation["cp"] + 1}
    drawn = sampling.draw(
        ((case_ref, stratum) for case_ref, stratum, _ in frame), allocation=extended, seed=SEED
    )
    replaced = drawn["cp"][2]
    replacement = drawn["cp"][-1]
    sample = [
        (chosen.case_ref, stratum, team_of[chosen.case_ref])
        for stratum, chosen_cases in drawn.items()
        for chosen in chosen_cases
        if chosen is not replaced
    ]
    audits = _audits(rng, sample)
    _assign_auditors(rng, audits)
    # Two audits are not finished by the end of the cycle.
    unfinished = audits[5], audits[23]
    for audit in unfinished:
        audit.update(
            status="in progress", overall_grade=None, final_grade=None, domain_grades={}, themes=[]
        )
    completed = [a for a in audits if a["status"] != "in progress"]
    moderation = _moderate(rng, completed)
    double = _double_audits(rng, completed, 4)

    by_stratum = {
        stratum: (
            STRATA[stratum],
            sum(a["stratum"] == stratum for a in completed),
            sum(a["stratum"] == stratum and a["final_grade"] >= 3 for a in completed),
        )
        for stratum in STRATA
    }
    estimate, low, high = stats.stratified_proportion(by_stratum)
    audited, good, overall = _proportion_row(completed)
    largest_team = max(sum(a["team"] == team for a in completed) for team in TEAMS)
    funnel = []
    for n in range(1, largest_team + 1):
        low95, high95 = funnel_limits(overall, n, 0.95)
        low998, high998 = funnel_limits(overall, n, 0.998)
        funnel.append(
            {
                "n": n,
                "low95": round(low95, 4),
                "high95": round(high95, 4),
                "low998": round(low998, 4),
                "high998": round(high998, 4),
            }
        )
    theme_counts = {theme: sum(theme in a["themes"] for a in completed) for theme in THEMES}
    escalation_items = [
        {
            "case_ref": completed[3]["case_ref"],
            "raised_at": "2025-08-04T10:12:00+00:00",
            "acknowledged_at": "2025-08-04T15:40:00+00:00",
            "overdue": False,
        },
        {
            "case_ref": completed[17]["case_ref"],
            "raised_at": "2025-09-11T16:05:00+00:00",
            "acknowledged_at": "2025-09-12T09:30:00+00:00",
            "overdue": False,
        },
    ]
    actions = {
        "total": 30,
        "open": 10,
        "done": 12,
        "verified": 8,
        "overdue": 1,
        "overdue_high": 0,
        "on_time_rate": 0.85,
        "by_priority": {"high": 5, "medium": 15, "low": 10},
    }
    judged = opinion.form_opinion(
        opinion.OpinionInputs(
            good_or_better_lower=low,
            overdue_escalations=0,
            overdue_high_priority_actions=actions["overdue_high"],
            alpha=double["alpha_overall"],
            completion_rate=audited / planned,
            audited=audited,
            planned=planned,
        )
    ).as_dict()
    frame_hash = sampling.frame_hash((case_ref, stratum) for case_ref, stratum, _ in frame)

    figures = {
        "report": {
            "version": 1,
            "hash": "",
            "cycle_id": 3,
            "title": "Case audit assurance report",
        },
        "cycle": {
            "name": "Q3 2025 case audit",
            "period_start": "2025-07-01",
            "period_end": "2025-09-30",
        },
        "as_of": "2025-10-06T09:00:00+00:00",
        "interim": judged["interim"],
        "opinion": judged,
        "summary": {
            "audited": audited,
            "sampled": planned,
            "planned": planned,
            "completion_rate": audited / planned,
            "good_or_better": {
                "estimate": estimate,
                "low": low,
                "high": high,
                "coverage": {
                    "strata": len(STRATA),
                    "audited_strata": len(STRATA),
                    "unaudited_strata": [],
                    "population": len(frame),
                    "population_covered": len(frame),
                    "share_of_frame": 1.0,
                },
            },
            "inadequate": sum(a["final_grade"] == 1 for a in completed),
            "escalations": len(escalation_items),
            "overdue_escalations": 0,
            "overdue_actions": actions["overdue"],
        },
        "methodology": {
            "frame_definition": {
                "case_types": list(STRATA),
                "teams": list(TEAMS),
                "open_on": "2025-09-30",
                "exclude_audited_months": 12,
                "exclude_closed_before_period": True,
                "stratify_by": "case_type",
            },
            "population": len(frame),
            "exclusions": dict(EXCLUSIONS),
            "seed": SEED,
            "frame_hash": frame_hash,
            "algorithm": f"{sampling.ALGORITHM_NAME} v{sampling.ALGORITHM_VERSION}",
            "drawn_by": "qa.lead",
            "drawn_at": "2025-07-01T09:00:00+00:00",
            "sample_size_method": (
                "estimation (margin 14%, 95% confidence, expected 70% good or better)"
            ),
            "allocation_method": "proportional (at least 4 cases per stratum)",
            "strata": [
                {
                    "stratum": stratum,
                    "population": STRATA[stratum],
                    "planned": allocation[stratum],
                    "drawn": extended[stratum],
                    "replacements": int(stratum == "cp"),
                    "in_sample": allocation[stratum],
                    "completed": by_stratum[stratum][1],
                }
                for stratum in STRATA
            ],
            "replacements": [
                {
                    "case_ref": replaced.case_ref,
                    "stratum": "cp",
                    "rank": replaced.rank,
                    "reason": "The child moved to another council and the file was "
                    "transferred before the audit began.",
                    "replaced_by": replacement.case_ref,
                }
            ],
            "rules": [
                {"rule": rule, "enabled": enabled, "text": text} for rule, enabled, text in RULES
            ],
            "overrides": [
                {
                    "case_ref": audits[30]["case_ref"],
                    "auditor": audits[30]["auditor"],
                    "rule": "R3",
                    "reason": "The auditor took over management of the team after the "
                    "draw; no other auditor with capacity could take the case.",
                    "by": "qa.lead",
                }
            ],
            "unassignable": [],
            "verify_command": (
                "python3 -I verify_sample.py cycle-3-frame.csv.gz cycle-3-sample.csv "
                f"--frame-hash={frame_hash} --seed={SEED}"
            ),
            "verify_script": sampling.verify_script_text(),
        },
        "findings": {
            "grade_scale": dict(GRADE_SCALE),
            "grade_distribution": {
                str(g): sum(a["final_grade"] == g for a in completed) for g in range(1, 5)
            },
            "by_team": _by_team(completed, overall),
            "overall_proportion": overall,
            "funnel": funnel,
            "by_case_type": [
                {
                    "case_type": stratum,
                    **dict(
                        zip(
                            ("audited", "good_or_better", "proportion"),
                            _proportion_row([a for a in completed if a["case_type"] == stratum]),
                            strict=True,
                        )
                    ),
                }
                for stratum in STRATA
            ],
            "by_domain": _by_domain(completed),
            "themes": sorted(
                (
                    {"theme": theme, "count": count, "share": round(count / audited, 4)}
                    for theme, count in theme_counts.items()
                ),
                key=lambda row: (-row["count"], row["theme"]),
            ),
            "trend": _trend(audited, good),
            "follow_ups": {"audited": 3, "good_or_better": 2},
            "median_grade": statistics.median(a["final_grade"] for a in completed),
        },
        "reliability": {
            **moderation,
            "change_rate": round(moderation["change_rate"], 4),
            **double,
            "notes": [
                "Kappa compares each moderated audit's original overall grade with the "
                "moderator's grade.",
                "Alpha is measured on the domain grades of cases audited twice, blind.",
            ],
        },
        "escalations": {
            "raised": len(escalation_items),
            "acknowledged": len(escalation_items),
            "overdue": 0,
            "items": escalation_items,
        },
        "actions": actions,
        "appendix": [appendix_row(a) for a in sorted(completed, key=lambda a: a["case_ref"])],
    }
    figures["report"]["hash"] = report_hash(figures)
    return figures, sorted(audits, key=lambda a: a["case_ref"])


def large_appendix(count: int, *, seed: int = 1) -> list[dict]:
    """``count`` synthetic appendix rows, for timing the appendix of a large report."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        stratum = rng.choice(list(STRATA))
        team = rng.choice([t for t, (s, _) in TEAMS.items() if s == stratum])
        grade = rng.choice([1, 2, 2, 3, 3, 3, 3, 4])
        moderated = rng.choice([None] * 9 + [max(1, grade - 1)])
        rows.append(
            {
                "case_ref": f"C{number:07d}",
                "team": team,
                "case_type": stratum,
                "stratum": stratum,
                "auditor": rng.choice(AUDITORS),
                "overall_grade": grade,
                "moderated_grade": moderated,
                "final_grade": grade if moderated is None else moderated,
                "themes": rng.sample(THEMES, rng.choice([0, 0, 1, 1, 2, 3])),
                "follow_up": rng.random() < 0.05,
            }
        )
    return rows


def unmeasured_figures() -> dict:
    """A cycle where nothing was measured: every figure None, every list empty."""
    figures = example_figures()
    return {
        "report": {**figures["report"], "hash": "0" * 64},
        "cycle": {"name": "Empty cycle", "period_start": None, "period_end": None},
        "as_of": None,
        "opinion": {"level": None, "reason": None, "conditions": [], "caveats": []},
        "summary": dict.fromkeys(figures["summary"]),
        "methodology": {
            **dict.fromkeys(figures["methodology"]),
            "strata": [],
            "replacements": [],
            "rules": [],
            "overrides": [],
            "unassignable": [],
            "exclusions": {},
            "frame_definition": {},
        },
        "findings": {
            "grade_scale": None,
            "grade_distribution": {},
            "by_team": [],
            "overall_proportion": None,
            "funnel": [],
            "by_case_type": [],
            "by_domain": [],
            "themes": [],
            "trend": [],
            "follow_ups": None,
            "median_grade": None,
        },
        "reliability": {
            "moderated": 0,
            "changed": 0,
            "change_rate": None,
            "direction": None,
            "kappa_quadratic": None,
            "double_audits": 0,
            "alpha_overall": None,
            "alpha_by_domain": {},
            "notes": [],
        },
        "escalations": {"raised": 0, "acknowledged": 0, "overdue": 0, "items": []},
        "actions": dict.fromkeys(figures["actions"]),
        "appendix": [],
    }
