"""Changing the organisation's opinion thresholds: saved with an Event of before and after."""

from dataclasses import asdict

from django.db import transaction

from audits.models import OpinionSettings
from audits.models.opinion import opinion_thresholds
from audits.services.history import event_record


def opinion_settings_save(*, row: OpinionSettings, actor, reason: str = "") -> OpinionSettings:
    """Save ``row`` (validated by its clean) and record what the thresholds were and are."""
    with transaction.atomic():
        before = asdict(opinion_thresholds())
        row.full_clean()
        row.save()
        event_record(
            actor=actor,
            verb="opinion_thresholds.changed",
            obj=row,
            before=before,
            after=asdict(row.thresholds()),
            reason=reason,
        )
    return row
