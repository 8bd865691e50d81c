"""The data mark: a random token replaced after every committed change to what reports are
computed from. While it stands, the dashboard keeps its figures without reading the inputs
fingerprint again (``selectors/live_figures.py``): one small query instead of the
fingerprint's 14 aggregates, 7-16 ms a view on the pages bench's 2,000-case cycle
(bench/pages.py, 100,000 cases, this shared 2-core machine).

What moves it:
- every Event written: the services record one for each change they make, whatever the
  path (page, API, admin, command; tests/test_every_write_has_an_event.py), and do their
  bulk writes inside the same transaction;
- every save or delete of a model the fingerprint reads, and of a cycle's teams, whoever
  makes it (a shell, a script): ``WATCHED``;
- the autosave's own statement, which writes its Event without the ORM
  (``services/draft_write.py``). (The register import's bulk Events come with its own
  ``register.imported`` Event, in the same transaction.)
A write that takes none of these paths (SQL by hand, a bulk statement in a script) is
caught by the dashboard's recheck of the fingerprint, at most ``live_figures.RECHECK``
later.

Why after commit, and why a random token: a view reads the mark first, then the data.
Moved after the data commits, a view that read the old mark keeps what it computed under
the old mark, which no one reads once the mark has moved; a view that read the new mark
reads committed data. Moved inside the writer's transaction, the mark's row would be
locked until that commit (an import holds it for seconds) and could deadlock with the rows
the writer touches next. A new random token, not a counter: two moves at once can never
give back a token a view has already used.
"""

import logging
import uuid

from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from audits import models as m

logger = logging.getLogger(__name__)

NAME = "report-inputs"
# Every model the fingerprint reads, and the Event (tests/test_data_mark.py checks the
# first against selectors/fingerprint.py).
WATCHED = (
    m.Action,
    m.Assignment,
    m.Audit,
    m.AuditSummary,
    m.Case,
    m.Cycle,
    m.DomainGrade,
    m.Escalation,
    m.Event,
    m.ExternalAccess,
    m.Frame,
    m.Moderation,
    m.OpinionSettings,
    m.PractitionerResponse,
    m.Reconciliation,
    m.SampledCase,
    m.Staff,
    m.Team,
    m.Template,
    get_user_model(),  # who drew a sample, by name when they have no staff record
)
_ONLY_SIGNING_IN = frozenset({"last_login"})


def current() -> str | None:
    """The mark as it stands; None before anything has moved it."""
    return m.DataMark.objects.filter(pk=NAME).values_list("token", flat=True).first()


def moved(using: str | None = None) -> None:
    """Replace the mark once the current transaction on ``using`` commits (at once outside
    one); once per transaction however many writes it makes."""
    alias = using or router.db_for_write(m.DataMark)
    connection = connections[alias]
    # Django keeps the callbacks of the open transaction in ``run_on_commit`` as
    # (savepoints, callback, robust), and drops those a rollback undoes.
    if connection.in_atomic_block and any(
        isinstance(entry[1], _Mover) and not entry[1].ran for entry in connection.run_on_commit
    ):
        return
    # Robust: the change itself has committed; a mark left standing is caught by the
    # dashboard's recheck, so a failure here is logged, not raised.
    transaction.on_commit(_Mover(alias), using=alias, robust=True)


class _Mover:
    """One transaction's move of the mark, run when it commits."""

    def __init__(self, alias: str):
        self.alias, self.ran = alias, False

    def __call__(self) -> None:
        self.ran = True
        _move(self.alias)


def _move(alias: str) -> None:
    token, now = uuid.uuid4().hex, timezone.now()
    marks = m.DataMark.objects.using(alias)
    if not marks.filter(pk=NAME).update(token=token, moved_at=now):
        marks.get_or_create(pk=NAME, defaults={"token": token, "moved_at": now})
    logger.debug("data mark moved to %s", token)


def _on_write(sender, instance=None, using=None, update_fields=None, **kwargs) -> None:
    if update_fields is not None and frozenset(update_fields) <= _ONLY_SIGNING_IN:
        return  # signing in stamps last_login: no name or figure changes
    moved(using)


def _on_teams_changed(sender, action: str, using=None, **kwargs) -> None:
    if action.startswith("post_"):
        moved(using)


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_on_write, sender=model, dispatch_uid=f"data-mark-save-{model}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"data-mark-delete-{model}")
    m2m_changed.connect(
        _on_teams_changed, sender=m.Cycle.teams.through, dispatch_uid="data-mark-cycle-teams"
    )
