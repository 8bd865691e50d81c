"""Recompute an assurance report's headline figures from its exported files.

    python3 -I recompute_report.py data.json audits.csv

Standalone: nothing but the Python 3 standard library, and nothing of CaseAssure, so
internal audit can run it on any machine. It reads the report's CSV (one row per audit)
and data.json (the frame's stratum sizes and the cases in the sample), recomputes

  - good or better: the stratified estimate and its 95% interval,
  - completion: completed first audits over the cases in the sample,
  - the grade distribution and the counts by team (team at completion),
  - Krippendorff's alpha (ordinal) on the overall grades of cases audited twice,

prints each beside the report's figure, and exits 1 if any differs (0 if all agree).
"""

import csv
import json
import math
import sys
from collections import Counter, defaultdict
from statistics import NormalDist

GOOD = 3
COMPLETED = ("submitted", "final")
TOLERANCE = 1e-9


def stratified_proportion(strata: dict, confidence: float = 0.95) -> tuple:
    """(estimate, low, high) from {stratum: (N_h, n_h, good_h)} over strata with n_h > 0.

    Estimate sum W_h p_h, W_h = N_h / N over the audited strata; variance
    sum W_h^2 (1 - n_h / N_h) p_h (1 - p_h) / (n_h - 1), a quarter for a stratum audited
    once; Wilson's interval on the effective sample size p (1 - p) / variance."""
    sampled = {name: counts for name, counts in strata.items() if counts[1] > 0}
    population = sum(size for size, _, _ in sampled.values())
    estimate = variance = 0.0
    for size, audited, good in sampled.values():
        weight = size / population
        p = good / audited
        estimate += weight * p
        spread = p * (1 - p) / (audited - 1) if audited > 1 else 0.25
        variance += weight * weight * (1 - audited / size) * spread
    audited_total = sum(audited for _, audited, _ in sampled.values())
    if variance > 0 and 0 < estimate < 1:
        effective_n = estimate * (1 - estimate) / variance
    else:
        remaining = 1 - audited_total / population
        effective_n = audited_total / remaining if remaining > 0 else math.inf
    if math.isinf(effective_n):
        return estimate, estimate, estimate
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    shrink = 1 + z * z / effective_n
    centre = (estimate + z * z / (2 * effective_n)) / shrink
    half = (z / shrink) * math.sqrt(
        estimate * (1 - estimate) / effective_n + z * z / (4 * effective_n * effective_n)
    )
    return estimate, max(0.0, centre - half), min(1.0, centre + half)


def ordinal_alpha(pairs: list, categories: list) -> float | None:
    """Krippendorff's alpha, ordinal, two raters, from (first, second) grade pairs."""
    if not pairs:
        return None
    if len({grade for pair in pairs for grade in pair}) == 1:
        return 1.0
    index = {category: position for position, category in enumerate(categories)}
    size = len(categories)
    coincidences = [[0.0] * size for _ in range(size)]
    for first, second in pairs:
        coincidences[index[first]][index[second]] += 1
        coincidences[index[second]][index[first]] += 1
    counts = [sum(row[k] for row in coincidences) for k in range(size)]
    total = sum(counts)
    running = [0.0]
    for count in counts:
        running.append(running[-1] + count)

    def distance(c: int, k: int) -> float:
        low, high = min(c, k), max(c, k)
        return (running[high + 1] - running[low] - (counts[low] + counts[high]) / 2) ** 2

    observed = sum(coincidences[c][k] * distance(c, k) for c in range(size) for k in range(size))
    expected = sum(
        (counts[c] * counts[k] - (counts[c] if c == k else 0)) / (total - 1) * distance(c, k)
        for c in range(size)
        for k in range(size)
    )
    return 1 - observed / expected


def recompute(data: dict, rows: list[dict]) -> dict:
    strata_rows = data["methodology"]["strata"]
    sizes = {s["stratum"]: s["population"] for s in strata_rows}
    counted = [row for row in rows if row["counts_in_estimate"] == "yes"]
    by_stratum: dict = defaultdict(lambda: [0, 0])
    by_team: dict = defaultdict(lambda: [0, 0])
    for row in counted:
        good = int(row["final_grade"]) >= GOOD
        for key, table in ((row["stratum"], by_stratum), (row["team_at_completion"], by_team)):
            table[key][0] += 1
            table[key][1] += good
    strata = {name: (max(sizes.get(name, n), n), n, good) for name, (n, good) in by_stratum.items()}
    estimate = low = high = None
    if strata:
        estimate, low, high = stratified_proportion(strata)
    in_sample = sum(s["in_sample"] for s in strata_rows)
    scale = sorted(int(grade) for grade in data["findings"]["grade_scale"])
    grades = Counter(row["final_grade"] for row in counted)
    completed = [row for row in rows if row["status"] in COMPLETED]
    firsts = {r["case_ref"]: r for r in completed if r["role"] == "primary"}
    seconds = {r["case_ref"]: r for r in completed if r["role"] == "second"}
    pairs = [
        (int(firsts[ref]["overall_grade"]), int(seconds[ref]["overall_grade"]))
        for ref in sorted(set(firsts) & set(seconds))
    ]
    return {
        "summary.audited": len(counted),
        "summary.sampled": in_sample,
        "summary.completion_rate": len(counted) / in_sample if in_sample else None,
        "summary.good_or_better.estimate": estimate,
        "summary.good_or_better.low": low,
        "summary.good_or_better.high": high,
        "findings.grade_distribution": {str(g): grades.get(str(g), 0) for g in scale},
        "findings.by_team": dict(sorted(by_team.items())),
        "reliability.double_audits": len(pairs),
        "reliability.alpha_overall": ordinal_alpha(pairs, scale),
    }


def reported(data: dict) -> dict:
    summary, findings, reliability = data["summary"], data["findings"], data["reliability"]
    good = summary["good_or_better"]
    return {
        "summary.audited": summary["audited"],
        "summary.sampled": summary["sampled"],
        "summary.completion_rate": summary["completion_rate"],
        "summary.good_or_better.estimate": good["estimate"],
        "summary.good_or_better.low": good["low"],
        "summary.good_or_better.high": good["high"],
        "findings.grade_distribution": findings["grade_distribution"],
        "findings.by_team": {
            t["team"]: [t["audited"], t["good_or_better"]] for t in findings["by_team"]
        },
        "reliability.double_audits": reliability["double_audits"],
        "reliability.alpha_overall": reliability["alpha_overall"],
    }


def agrees(mine, theirs, name: str) -> bool:
    if name == "reliability.alpha_overall" and theirs is None:
        return True  # the report says "not measured" (too few double audits): nothing to check
    if isinstance(mine, float) or isinstance(theirs, float):
        if mine is None or theirs is None:
            return mine is theirs
        # The report may round alpha for print; every other figure is stored unrounded.
        places = 4 if name == "reliability.alpha_overall" else None
        return math.isclose(
            round(mine, places) if places else mine,
            theirs,
            rel_tol=0,
            abs_tol=5e-5 if places else TOLERANCE,
        )
    return mine == theirs


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python3 -I recompute_report.py data.json audits.csv", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        data = json.load(file)
    with open(argv[2], encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    mine, theirs = recompute(data, rows), reported(data)
    differ = 0
    for name, value in mine.items():
        ok = agrees(value, theirs[name], name)
        differ += not ok
        verdict = "same" if ok else "DIFFERENT"
        print(f"{verdict:9} {name}: recomputed {value!r}, report {theirs[name]!r}")
    print("All headline figures agree." if not differ else f"{differ} figure(s) differ.")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
