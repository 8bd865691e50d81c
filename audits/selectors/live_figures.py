"""A cycle's figures as they stand now (the dashboard), kept in the cache by the report's
inputs fingerprint: the inputs and figures are recomputed only when the data moved
(``report_build.report_fingerprint``, a few aggregate queries), the thresholds changed, or
time made an escalation or an action overdue (``figures_change_at``).

While the data mark stands (``infra/data_mark.py``: replaced after every committed change
to what the figures are computed from) the fingerprint itself is not read again: a view
reads the mark (one small query) and finds what the fingerprint gave under it. A write
that does not move the mark (SQL by hand) is still caught: the fingerprint is read again
when the figures kept under the mark were last checked ``RECHECK`` ago.

bench/pages.py, 100,000 cases, 2,000-case cycle (this shared 2-core machine): the
fingerprint 7-16 ms a view, the inputs and figures it saves 25 ms."""

import dataclasses
import hashlib
import json
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from audits.core.figures import FIGURES_SCHEMA_VERSION, compute_figures
from audits.core.figures.follow_through import figures_change_at
from audits.infra import data_mark
from audits.models import Cycle
from audits.models.opinion import opinion_thresholds
from audits.selectors.report_build import report_fingerprint
from audits.selectors.report_inputs import report_inputs

KEPT_SECONDS = 24 * 60 * 60  # at most; an entry is also dropped when time moves a figure
RECHECK = timedelta(seconds=30)


def _settings_hash(thresholds) -> str:
    return hashlib.sha256(
        json.dumps(dataclasses.asdict(thresholds), sort_keys=True, default=str).encode()
    ).hexdigest()[:16]


def figures_now(cycle: Cycle) -> dict:
    """The figures a report compiled now would give (``compute_figures``), from the cache
    when nothing they are computed from has changed since they were."""
    return figures_and_version(cycle)[0]


def figures_and_version(cycle: Cycle) -> tuple[dict, tuple]:
    """``figures_now``, and what names these very figures: the same version means the same
    figures, so what a page draws from them can be kept by it (``web/dashboard.py``)."""
    thresholds = opinion_thresholds()
    settings_hash = _settings_hash(thresholds)
    mark = data_mark.current()  # before any of the data (see infra/data_mark.py)
    now = timezone.now()
    marked = f"live-figures-mark:{FIGURES_SCHEMA_VERSION}:{cycle.pk}:{mark}:{settings_hash}"
    seen = None if mark is None else cache.get(marked)
    if seen is not None and now - seen["checked_at"] < RECHECK:
        kept = cache.get(seen["key"])
        if kept is not None and now < kept["change_at"]:
            return kept["figures"], (seen["key"], kept["change_at"])
    fingerprint = report_fingerprint(cycle)
    key = f"live-figures:{FIGURES_SCHEMA_VERSION}:{cycle.pk}:{fingerprint}:{settings_hash}"
    kept = cache.get(key)
    if kept is None or now >= kept["change_at"]:
        inputs = report_inputs(cycle, now)
        figures = compute_figures(inputs, thresholds=thresholds)
        kept = {"figures": figures, "change_at": figures_change_at(inputs, now)}
        cache.set(key, kept, KEPT_SECONDS)
    if mark is not None:
        cache.set(marked, {"key": key, "checked_at": now}, KEPT_SECONDS)
    return kept["figures"], (key, kept["change_at"])
