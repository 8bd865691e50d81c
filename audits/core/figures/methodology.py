"""The methodology section's record: how the sample was drawn, from which frame, with which
rules and overrides, and how anyone can re-check it."""

from collections import Counter


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
            {
                "stratum": stratum,
                "population": population,
                "planned": (frame.get("allocation") or {}).get(stratum, 0),
                "drawn": drawn[stratum],
                "replacements": replaced[stratum],
                "in_sample": drawn[stratum] - replaced[stratum],
                "completed": completed.get(stratum, (0, 0))[0],
            }
        )
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
        "frame_definition": {
            k: inputs["cycle"][k]
            for k in (
                "case_types",
                "teams",
                "open_on",
                "exclude_audited_months",
                "exclude_closed_before_period",
                "stratify_by",
            )
        },
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
    }
