"""Assurance opinion rules (DESIGN.md section 7) as a pure function.

The report states one opinion and lists every condition behind it, held or not, so a
reader can see exactly why the service got this level and what it would take to reach
the next one. Thresholds are configurable; the defaults are the design's table.
"""

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any

SUBSTANTIAL = "Substantial"
REASONABLE = "Reasonable"
LIMITED = "Limited"
NO_ASSURANCE = "No assurance"
LEVELS = (SUBSTANTIAL, REASONABLE, LIMITED, NO_ASSURANCE)

# The lower bound arrives from floating-point arithmetic; a value that prints as 80.0%
# must not fail a "at least 80%" test because it is 0.7999999999999999.
_SLACK = 1e-9


@dataclass(frozen=True)
class OpinionThresholds:
    """Where each opinion level starts; all are proportions in [0, 1]."""

    substantial_lower: float = 0.80
    reasonable_lower: float = 0.60
    limited_lower: float = 0.40
    substantial_alpha: float = 0.80
    alpha_caveat: float = 0.667
    completion_caveat: float = 0.90

    def __post_init__(self) -> None:
        for field in fields(self):
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
    ``completion_rate`` are None when not measured.
    """

    good_or_better_lower: float | None
    overdue_escalations: int
    overdue_high_priority_actions: int
    alpha: float | None
    completion_rate: float | None
    audited: int
    planned: int

    def __post_init__(self) -> None:
        for name in ("good_or_better_lower", "completion_rate"):
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


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _lower_bound(opinion: str, lower: float | None, threshold: float) -> Condition:
    needs = f"needs at least {threshold * 100:g}%"
    if lower is None:
        text = f"Nothing has been audited, so there is no lower bound of good-or-better ({needs})"
        return Condition(opinion, "good_or_better_lower", None, threshold, False, text)
    text = f"Lower 95% bound of good-or-better is {_percent(lower)} ({needs})"
    held = bool(lower >= threshold - _SLACK)
    return Condition(opinion, "good_or_better_lower", lower, threshold, held, text)


def _none_overdue(opinion: str, name: str, count: int, what: str) -> Condition:
    noun = what if count == 1 else f"{what}s"
    text = f"{count} overdue {noun} (needs none)"
    return Condition(opinion, name, count, 0, bool(count == 0), text)


def _alpha(opinion: str, alpha: float | None, threshold: float) -> Condition:
    if alpha is None:
        text = f"Auditor agreement (Krippendorff's alpha) not measured (needs at least {threshold})"
        return Condition(opinion, "alpha", None, threshold, False, text)
    text = f"Auditor agreement (Krippendorff's alpha) is {alpha:.3f} (needs at least {threshold})"
    held = bool(alpha >= threshold - _SLACK)
    return Condition(opinion, "alpha", alpha, threshold, held, text)


def _conditions(inputs: OpinionInputs, thresholds: OpinionThresholds) -> list[Condition]:
    lower = inputs.good_or_better_lower
    escalations = inputs.overdue_escalations
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
        _lower_bound(REASONABLE, lower, thresholds.reasonable_lower),
        _none_overdue(REASONABLE, "overdue_escalations", escalations, "escalation"),
        _lower_bound(LIMITED, lower, thresholds.limited_lower),
    ]


def _caveats(inputs: OpinionInputs, thresholds: OpinionThresholds) -> list[str]:
    caveats = []
    if inputs.alpha is not None and inputs.alpha < thresholds.alpha_caveat:
        caveats.append(
            f"Auditors agree less than they should (Krippendorff's alpha {inputs.alpha:.3f}, "
            f"below {thresholds.alpha_caveat}), so grades may depend on who audited the case."
        )
    if inputs.completion_rate is not None and inputs.completion_rate < thresholds.completion_caveat:
        caveats.append(
            f"Only {_percent(inputs.completion_rate)} of audits were completed (below "
            f"{thresholds.completion_caveat * 100:g}%), so the cases not audited may differ."
        )
    if inputs.audited < inputs.planned:
        caveats.append(
            f"{inputs.audited} cases were audited against {inputs.planned} planned, so the "
            f"estimate is less precise than the sample was designed to give."
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
    )
