"""How far grades depend on who graded: moderation outcomes, auditor-moderator kappa on the
random share of moderations, and Krippendorff's alpha between double auditors, overall and by
domain."""

from collections import defaultdict

from audits.core import stats
from audits.core.agreement import krippendorff_alpha_interval, krippendorff_alpha_pairs
from audits.core.figures.common import _share
from audits.core.grading import RANDOM_SHARE

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
        for row in (inputs.get("moderations") or {}).get(RANDOM_SHARE, [])
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
