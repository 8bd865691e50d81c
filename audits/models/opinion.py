"""The organisation's opinion thresholds (DESIGN.md section 7), set by an administrator.

One row, edited in the admin; every change leaves an Event. Without a row the design's
defaults apply. Each report states the thresholds it was compiled with.
"""

from dataclasses import fields

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from audits.core.opinion import DEFAULT_THRESHOLDS, OpinionThresholds

_SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


def _share(default: float, help_text: str) -> models.FloatField:
    return models.FloatField(default=default, validators=_SHARE, help_text=help_text)


class OpinionSettings(models.Model):
    substantial_lower = _share(
        DEFAULT_THRESHOLDS.substantial_lower,
        "Substantial needs the lower end of the 95% interval for good or better at least "
        "this (0.80 is 80%)",
    )
    reasonable_lower = _share(
        DEFAULT_THRESHOLDS.reasonable_lower, "Reasonable needs the lower end at least this"
    )
    limited_lower = _share(
        DEFAULT_THRESHOLDS.limited_lower, "Limited needs the lower end at least this"
    )
    substantial_alpha = _share(
        DEFAULT_THRESHOLDS.substantial_alpha,
        "Substantial needs agreement between auditors (Krippendorff's alpha) measured and "
        "at least this",
    )
    alpha_caveat = _share(DEFAULT_THRESHOLDS.alpha_caveat, "A caveat when alpha is below this")
    completion_caveat = _share(
        DEFAULT_THRESHOLDS.completion_caveat,
        "A report compiled while completion is below this is Interim, with a caveat",
    )
    unaudited_share_max = _share(
        DEFAULT_THRESHOLDS.unaudited_share_max,
        "The opinion stays at Limited or below unless strata with no completed audit hold "
        "less than this share of the frame",
    )
    reliability_minimum = models.PositiveSmallIntegerField(
        default=DEFAULT_THRESHOLDS.reliability_minimum,
        validators=[MinValueValidator(2)],
        help_text="Agreement between auditors (alpha) and with moderators (kappa) is 'not "
        "measured' when fewer cases than this stand behind it",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "opinion thresholds"
        verbose_name_plural = "opinion thresholds"

    def __str__(self) -> str:
        return "Opinion thresholds"

    def thresholds(self) -> OpinionThresholds:
        return OpinionThresholds(
            **{f.name: getattr(self, f.name) for f in fields(OpinionThresholds)}
        )

    def clean(self) -> None:
        try:
            self.thresholds()
        except (ValueError, TypeError) as error:
            raise ValidationError(str(error)) from error


def opinion_thresholds() -> OpinionThresholds:
    """The organisation's thresholds now: the row's, or the design's defaults."""
    row = OpinionSettings.objects.order_by("pk").first()
    return DEFAULT_THRESHOLDS if row is None else row.thresholds()
