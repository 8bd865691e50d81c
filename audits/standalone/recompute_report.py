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

GOOD = 3
COMPLETED = ("submitted", "final")
TOLERANCE = 1e-9


def _beta_regularized(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b), by its continued fraction
    (modified Lentz), on the side where the fraction converges fast."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _beta_regularized(1 - x, b, a)
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 10000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return front * fraction / a


def beta_quantile(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), by bisection on I_x(a, b) (to the last bit)."""
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if _beta_regularized(middle, a, b) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def korn_graubard(strata: dict, confidence: float = 0.95) -> tuple:
    """(estimate, low, high) from {stratum: (N_h, n_h, good_h)} over strata with n_h > 0.

    Estimate sum W_h p_h, W_h = N_h / N over the audited strata. Each stratum's variance
    uses p~_h = (g_h + 1) / (n_h + 2) (Agresti-Caffo): W_h^2 (1 - n_h / N_h) p~_h (1 - p~_h)
    / n_h; the effective size n* = p~ (1 - p~) / variance, p~ = sum W_h p~_h, capped at
    n / (1 - n / N); the lower end is Clopper-Pearson's for p n* in n* (Korn-Graubard), the
    upper end Jeffreys'. A census gives low = high = estimate."""
    sampled = [counts for counts in strata.values() if counts[1] > 0]
    population = sum(size for size, _, _ in sampled)
    estimate = sum(good / audited * size for size, audited, good in sampled) / population
    variance = centre = 0.0
    for size, audited, good in sampled:
        weight = size / population
        adjusted = (good + 1) / (audited + 2)
        variance += weight**2 * (1 - audited / size) * adjusted * (1 - adjusted) / audited
        centre += adjusted * weight
    audited_total = sum(audited for _, audited, _ in sampled)
    remaining = 1 - audited_total / population
    cap = audited_total / remaining if remaining > 0 else math.inf
    effective = min(centre * (1 - centre) / variance, cap) if variance > 0 else cap
    if math.isinf(effective):
        return estimate, estimate, estimate
    count = estimate * effective
    tail = (1 - confidence) / 2
    low = beta_quantile(tail, count, effective - count + 1) if estimate > 0 else 0.0
    high = beta_quantile(1 - tail, count + 0.5, effective - count + 0.5) if estimate < 1 else 1.0
    return estimate, min(low, estimate), max(high, estimate)


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


# The interval the report names (summary.good_or_better.interval_method in data.json).
INTERVALS = {"korn-graubard-jeffreys": korn_graubard}


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
    method = data["summary"]["good_or_better"].get("interval_method")
    if method not in INTERVALS:
        raise SystemExit(
            f"unknown interval method {method!r}: this script knows {sorted(INTERVALS)}"
        )
    if strata:
        estimate, low, high = INTERVALS[method](strata)
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
        # Below the report's minimum of double audits alpha is "not measured" (None).
        "reliability.alpha_overall": (
            ordinal_alpha(pairs, scale)
            if len(pairs) >= data["reliability"].get("minimum_pairs", 10)
            else None
        ),
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
    # Every figure is stored unrounded; "not measured" (None) must match "not measured".
    if isinstance(mine, float) or isinstance(theirs, float):
        if mine is None or theirs is None:
            return mine is theirs
        return math.isclose(mine, theirs, rel_tol=0, abs_tol=TOLERANCE)
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
