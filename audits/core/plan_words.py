"""The plan of a sample in one plain sentence: how many cases and why, and how they are
shared over the strata. Pure; the numbers come from `core/planning.py`."""


def _percent(rate) -> str:
    value = round(float(rate) * 100, 2)
    return f"{value:g}%"


def size_sentence(plan: dict, population: int, n: int) -> str:
    """Why the plan gives ``n`` cases from a frame of ``population``."""
    method = plan.get("method", "fixed")
    confidence = _percent(plan.get("confidence", 0.95))
    if population and n >= population:
        capped = f" That is every case in the frame ({population})."
    else:
        capped = ""
    if method == "estimation":
        return (
            f"{n} cases estimate the share of audits graded good or better to within "
            f"{_percent(plan['margin'])} either way, {confidence} of the time, if about "
            f"{_percent(plan.get('p', 0.5))} are good or better.{capped}"
        )
    if method == "attribute":
        return (
            f"{n} cases show, with {confidence} confidence, that fewer than "
            f"{_percent(plan['tolerable_rate'])} of cases fall short, if about "
            f"{_percent(plan['expected_rate'])} are expected to.{capped}"
        )
    asked = int(plan.get("n", n))
    if population and asked > population:
        return f"You asked for {asked} cases; the frame holds only {population}, so all are taken."
    return f"You chose a fixed sample of {n} cases."


ALLOCATION_WORDS = {
    "proportional": "shared in proportion to the cases in each stratum",
    "neyman": "shared by size and by how much each stratum varies (Neyman), so strata that "
    "vary more get more",
    "equal": "shared equally between the strata",
}


def allocation_sentence(plan: dict, strata: int) -> str:
    """How the cases are shared over ``strata`` strata."""
    if strata <= 1:
        return "There is one stratum: every case is drawn from it."
    words = ALLOCATION_WORDS.get(plan.get("allocation", "proportional"), "shared")
    minimum = int(plan.get("minimum", 0))
    at_least = f", with at least {minimum} in each stratum" if minimum else ""
    return f"They are {words}{at_least}."
