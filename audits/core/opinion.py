"""Assurance opinion rules (DESIGN.md section 7) as a pure function.

The report states one opinion and lists every condition behind it, held or not, so a
reader can see exactly why the service got this level and what it would take to reach
the next one. Thresholds are configurable per organisation (models/opinion.py); the
defaults are the design's table, and the opinion states the ones it used.

Every condition is decided on the unrounded value: a lower end of 0.799979 fails "at
least 80%", and is written so that it reads as failing (audits/core/display.py).
"""

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any

from audits.core.display import decimal_against, percent, percent_against, threshold_percent

SUBSTANTIAL = "Substantial"
REASONABLE = "Reasonable"
LIMITED = "Limited"
NO_ASSURANCE = "No assurance"
LEVELS = (SUBSTANTIAL, REASONABLE, LIMITED, NO_ASSURANCE)


@dataclass(frozen=True)
class OpinionThresholds:
    """Where each opinion level starts (proportions in [0, 1]), and the fewest double
    audits (and random moderations) agreement is measured on."""

    substantial_lower: float = 0.80
    reasonable_lower: float = 0.60
    limited_lower: float = 0.40
    substantial_alpha: float = 0.80
    alpha_caveat: float = 0.667
    # Below this completion the report is Interim (and says why).
    completion_caveat: float = 0.90
    # Strata of the frame without a completed audit may hold less than this share of the
    # frame before the opinion is held at Limited: the estimate says nothing about them.
    unaudited_share_max: float = 0.05
    # Fewer cases than this behind alpha (or kappa): "not measured", never a number.
    reliability_minimum: int = 10

    def __post_init__(self) -> None:
        minimum = self.reliability_minimum
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 2:
            raise ValueError(f"reliability_minimum must be a whole number >= 2, got {minimum!r}")
        for field in fields(self):
            if field.name == "reliability_minimum":
                continue
            value = getattr(self, field.name)
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if not is_number or not 0 <= value <= 1:
                raise ValueError(
                    f"threshold {field.name} must be a number in [0, 1], got {value!r}"
                )
        # A higher bar for a lower opinion would let a service be Substantial but not
        # Reasonable; refuse the configuration rather than report nonsense.
        if not self.substantial_lower >= self.reasonable_lower >= self.limited_lower:
            raise ValueError(
                "thresholds must satisfy substantial_lower >= reasonable_lower >= limited_lower"
            )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "OpinionThresholds":
        """Build from configuration; keys left out keep their defaults."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown opinion thresholds {unknown}; known are {sorted(known)}")
        return cls(**values)


DEFAULT_THRESHOLDS = OpinionThresholds()


@dataclass(frozen=True)
class OpinionInputs:
    """The measured facts an opinion is formed from.

    ``good_or_better_lower`` is None when nothing was audited; ``alpha`` and
    ``completion_rate`` are None when not measured. ``unaudited_strata`` are the strata
    of the frame with no completed audit, holding ``unaudited_share`` of the frame.
    """

    good_or_better_lower: float | None
    overdue_escalations: int
    overdue_high_priority_actions: int
    alpha: float | None
    completion_rate: float | None
    audited: int
    planned: int
    unaudited_strata: tuple[str, ...] = ()
    unaudited_share: float = 0.0

    def __post_init__(self) -> None:
        for name in ("good_or_better_lower", "completion_rate", "unaudited_share"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1] or None, got {value!r}")
        if self.alpha is not None and not (math.isfinite(self.alpha) and self.alpha <= 1):
            raise ValueError(f"alpha must be a finite number no greater than 1, got {self.alpha!r}")
        for name in ("overdue_escalations", "overdue_high_priority_actions", "audited", "planned"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


@dataclass(frozen=True)
class Condition:
    """One test behind an opinion level and whether it held."""

    opinion: str
    name: str
    value: Any
    threshold: Any
    held: bool
    text: str


@dataclass(frozen=True)
class Opinion:
    """The opinion, every condition of every level, caveats, and why not the level above."""

    level: str
    conditions: list[Condition]
    caveats: list[str]
    reason: str
    # Compiled before the completion threshold: the report says Interim on its cover.
    interim: bool
    thresholds: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (numbers become Python int/float, not numpy types)."""
        data = asdict(self)
        for condition in data["conditions"]:
            condition["value"] = _plain(condition["value"])
            condition["threshold"] = _plain(condition["threshold"])
        return data


def _plain(value: Any) -> Any:
    # numpy scalars are registered as numbers.Integral / numbers.Real but json cannot
    # encode numpy integers, so convert to the built-in types.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def _lower_bound(opinion: str, lower: float | None, threshold: float) -> Condition:
    needs = f"needs at least {threshold_percent(threshold)}"
    if lower is None:
        text = f"Nothing has been audited, so there is no interval for good or better ({needs})"
        return Condition(opinion, "good_or_better_lower", None, threshold, False, text)
    shown = percent_against(lower, threshold)
    text = f"The lower end of the 95% interval for good or better is {shown} ({needs})"
    return Condition(
        opinion, "good_or_better_lower", lower, threshold, bool(lower >= threshold), text
    )


def _none_overdue(opinion: str, name: str, count: int, what: str) -> Condition:
    noun = what if count == 1 else f"{what}s"
    text = f"{count} overdue {noun} (needs none)"
    return Condition(opinion, name, count, 0, bool(count == 0), text)


def _alpha(opinion: str, alpha: float | None, threshold: float) -> Condition:
    needs = f"needs a measured alpha of at least {threshold:g}"
    if alpha is None:
        # No reliability evidence is no evidence: an unmeasured alpha cannot pass.
        text = f"Agreement between auditors (Krippendorff's alpha) was not measured ({needs})"
        return Condition(opinion, "alpha", None, threshold, False, text)
    shown = decimal_against(alpha, threshold)
    text = f"Agreement between auditors (Krippendorff's alpha) is {shown} ({needs})"
    return Condition(opinion, "alpha", alpha, threshold, bool(alpha >= threshold), text)


def _unaudited(opinion: str, inputs: OpinionInputs, threshold: float) -> Condition:
    needs = f"strata without one must hold less than {threshold_percent(threshold)} of the frame"
    share = inputs.unaudited_share
    if not inputs.unaudited_strata:
        text = f"Every stratum of the frame has a completed audit ({needs})"
        return Condition(opinion, "unaudited_strata", 0.0, threshold, True, text)
    names = ", ".join(inputs.unaudited_strata)
    shown = percent(share) if share >= threshold else percent_against(share, threshold)
    text = (
        f"Strata with no completed audit ({names}) hold {shown} of the frame "
        f"(needs less than {threshold_percent(threshold)})"
    )
    return Condition(opinion, "unaudited_strata", share, threshold, bool(share < threshold), text)


def _conditions(inputs: OpinionInputs, thresholds: OpinionThresholds) -> list[Condition]:
    lower = inputs.good_or_better_lower
    escalations = inputs.overdue_escalations
    share_max = thresholds.unaudited_share_max
    return [
        _lower_bound(SUBSTANTIAL, lower, thresholds.substantial_lower),
        _none_overdue(SUBSTANTIAL, "overdue_escalations", escalations, "escalation"),
        _none_overdue(
            SUBSTANTIAL,
            "overdue_high_priority_actions",
            inputs.overdue_high_priority_actions,
            "high-priority action",
        ),
        _alpha(SUBSTANTIAL, inputs.alpha, thresholds.substantial_alpha),
        _unaudited(SUBSTANTIAL, inputs, share_max),
        _lower_bound(REASONABLE, lower, thresholds.reasonable_lower),
        _none_overdue(REASONABLE, "overdue_escalations", escalations, "escalation"),
        _unaudited(REASONABLE, inputs, share_max),
        _lower_bound(LIMITED, lower, thresholds.limited_lower),
    ]


def _is_interim(inputs: OpinionInputs, thresholds: OpinionThresholds) -> bool:
    rate = inputs.completion_rate
    return rate is None or rate < thresholds.completion_caveat


def _caveats(inputs: OpinionInputs, thresholds: OpinionThresholds) -> list[str]:
    caveats = []
    if inputs.alpha is None:
        caveats.append(
            "Agreement between auditors (Krippendorff's alpha) was not measured, so there is "
            "no evidence that a case's grade does not depend on who audited it."
        )
    elif inputs.alpha < thresholds.alpha_caveat:
        shown = decimal_against(inputs.alpha, thresholds.alpha_caveat)
        caveats.append(
            f"Auditors agree less than they should (Krippendorff's alpha {shown}, "
            f"below {thresholds.alpha_caveat:g}), so grades may depend on who audited the case."
        )
    rate = inputs.completion_rate
    if rate is not None and rate < thresholds.completion_caveat:
        limit = thresholds.completion_caveat
        caveats.append(
            f"Only {percent_against(rate, limit)} of the cases in the sample have a completed "
            f"audit (below {threshold_percent(limit)}), so this report is Interim and the "
            "cases not yet audited may differ."
        )
    if inputs.audited < inputs.planned:
        caveats.append(
            f"{inputs.audited} cases were audited against {inputs.planned} planned, so the "
            f"estimate is less precise than the sample was designed to give."
        )
    if inputs.unaudited_strata:
        names = ", ".join(inputs.unaudited_strata)
        caveats.append(
            f"No audit was completed in {names} ({percent(inputs.unaudited_share)} of the "
            "frame): the estimate covers only the audited strata and says nothing about these."
        )
    return caveats


def _reason(level: str, conditions: list[Condition]) -> str:
    if level == SUBSTANTIAL:
        return "Every condition for Substantial assurance held."
    above = LEVELS[LEVELS.index(level) - 1]
    failed = [c.text for c in conditions if c.opinion == above and not c.held]
    return f"{level} rather than {above} because: {'; '.join(failed)}."


def form_opinion(
    inputs: OpinionInputs, thresholds: OpinionThresholds = DEFAULT_THRESHOLDS
) -> Opinion:
    """The highest level whose conditions all hold, with every condition listed."""
    conditions = _conditions(inputs, thresholds)
    level = next(
        (
            candidate
            for candidate in LEVELS[:-1]
            if all(c.held for c in conditions if c.opinion == candidate)
        ),
        NO_ASSURANCE,
    )
    return Opinion(
        level=level,
        conditions=conditions,
        caveats=_caveats(inputs, thresholds),
        reason=_reason(level, conditions),
        interim=_is_interim(inputs, thresholds),
        thresholds=asdict(thresholds),
    )
