"""The rules a cycle's definition must keep, whoever writes it (the API, the new-cycle
page, a command): plain data in, field errors out, in the words both show."""

from datetime import date

# What each way of sizing the sample needs to be given.
PLAN_NEEDS = {
    "fixed": ("n",),
    "estimation": ("margin",),
    "attribute": ("tolerable_rate", "expected_rate"),
}
PERIOD_END_BEFORE_START = "The end of the period must be the same as or after its start"
# What a missing value of the plan is asked for with (GOV.UK style: say what to enter).
PLAN_MISSING = {
    "n": "Enter a sample size, like 60",
    "margin": "Enter the margin of error, like 0.05",
    "tolerable_rate": "Enter the tolerable deviation rate, like 0.1",
    "expected_rate": "Enter the expected deviation rate, like 0.02",
}


def plan_problems(plan: dict) -> dict[str, list[str]]:
    """Field errors for a plan whose values are already of the right type."""
    method = plan.get("method", "fixed")
    problems = {
        name: [PLAN_MISSING[name]] for name in PLAN_NEEDS.get(method, ()) if plan.get(name) is None
    }
    if plan.get("allocation") == "neyman" and plan.get("sd") is None:
        problems["sd"] = ["Neyman allocation needs a standard deviation per stratum"]
    if problems:
        return problems
    if method == "attribute" and plan["expected_rate"] >= plan["tolerable_rate"]:
        return {"expected_rate": ["must be below the tolerable rate"]}
    return {}


def period_problems(start: date | None, end: date | None) -> dict[str, list[str]]:
    if start and end and end < start:
        return {"period_end": [PERIOD_END_BEFORE_START]}
    return {}


def case_type_problems(case_types, known) -> dict[str, list[str]]:
    unknown = [value for value in case_types if value not in known]
    if unknown:
        return {"case_types": [f"There is no case type {value}." for value in unknown]}
    return {}
