"""Writes on the audit programme: add or remove an entry, move or skip one occurrence (with a
reason), and make the cycles that are due (the beat task ``worker.tasks.run_programme``).

Each occurrence makes at most one cycle, however many runs or workers see it due: the run
locks the entry's row, re-reads the occurrence, and claims it with a conditional update; the
unique (entry, day) row and the one-to-one cycle link stop a second cycle at the database."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audits.core import cycle_rules, programme
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.infra import notify
from audits.models import Cycle, ProgrammeEntry, ProgrammeOccurrence
from audits.selectors import programme as programme_reads
from audits.services.cycles import PLAN_DEFAULTS
from audits.services.history import event_record
from audits.services.templates import current_template

NOT_WRITER = "Only an administrator or the QA lead sets the audit programme."
ALREADY_MADE = "Its cycle is already made: change the cycle itself."
ALREADY_SKIPPED = "It is skipped."
ENTRY_FIELDS = ("year", "kind", "name", "frequency", "month", "day", "theme", "stratify_by")


def _check_writer(actor) -> None:
    if not programme_reads.may_write(actor):
        raise Forbidden(NOT_WRITER)


def _entry_record(entry: ProgrammeEntry) -> dict:
    return {
        **{name: getattr(entry, name) for name in ENTRY_FIELDS},
        "teams": sorted(entry.teams.values_list("pk", flat=True)),
        "case_types": entry.case_types,
        "plan": entry.plan,
        "starts_on": str(entry.starts_on),
    }


def programme_entry_create(*, actor, fields: dict) -> ProgrammeEntry:
    """An entry of the programme from ``fields`` (model values, ``teams`` a list of Teams);
    DomainError with field errors if a rule fails."""
    _check_writer(actor)
    fields = dict(fields)
    fields.setdefault("frequency", programme.MONTHLY)
    fields.setdefault("day", 1)
    fields.setdefault("theme", "")
    fields.setdefault("case_types", [])
    fields["plan"] = PLAN_DEFAULTS | {"n": 20} | dict(fields.get("plan") or {})
    problems = programme.entry_problems(
        kind=fields.get("kind"),
        year=fields.get("year") or 0,
        month=fields.get("month") or 0,
        day=fields["day"],
        frequency=fields["frequency"],
        case_types=fields["case_types"],
        theme=fields["theme"],
        teams_given=bool(fields.get("teams")),
    )
    problems |= cycle_rules.case_type_problems(fields["case_types"], settings.CASE_TYPES)
    if plan := cycle_rules.plan_problems(fields["plan"]):
        problems["plan"] = plan
    if not str(fields.get("name") or "").strip():
        problems["name"] = ["Enter a name for the audit"]
    if problems:
        raise DomainError("The programme entry is not valid.", fields=problems)
    teams = fields.pop("teams", [])
    with transaction.atomic():
        entry = ProgrammeEntry.objects.create(
            created_by=actor, starts_on=timezone.localdate(), **fields
        )
        entry.teams.set(teams)
        event_record(
            actor=actor, verb="programme.entry_added", obj=entry, after=_entry_record(entry)
        )
    return entry


def programme_entry_delete(*, actor, entry: ProgrammeEntry) -> None:
    """An entry taken out of the programme; one that has made a cycle stays (409)."""
    _check_writer(actor)
    with transaction.atomic():
        entry = ProgrammeEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.occurrences.filter(cycle__isnull=False).exists():
            raise StateConflict("This entry has made cycles: skip its later dates instead.")
        event_record(
            actor=actor, verb="programme.entry_removed", obj=entry, before=_entry_record(entry)
        )
        entry.occurrences.all().delete()
        entry.delete()


def _changeable(entry: ProgrammeEntry, scheduled_on) -> ProgrammeOccurrence:
    """The occurrence of ``entry`` first scheduled for ``scheduled_on``, locked, for a move or
    a skip: 400 if the entry has no such date, 409 once made or skipped."""
    if scheduled_on not in programme.occurrence_dates(programme_reads.as_plain(entry)):
        raise DomainError(
            "Choose one of the entry's dates.",
            fields={
                "scheduled_on": ["Choose one of the dates of this audit that can still change"]
            },
        )
    ProgrammeEntry.objects.select_for_update().get(pk=entry.pk)
    occurrence, _ = ProgrammeOccurrence.objects.get_or_create(
        entry=entry, scheduled_on=scheduled_on
    )
    occurrence = ProgrammeOccurrence.objects.select_for_update().get(pk=occurrence.pk)
    if occurrence.cycle_id is not None:
        raise StateConflict(ALREADY_MADE)
    if occurrence.skipped:
        raise StateConflict(ALREADY_SKIPPED)
    return occurrence


def _occurrence_record(occurrence: ProgrammeOccurrence) -> dict:
    return {
        "scheduled_on": str(occurrence.scheduled_on),
        "moved_to": str(occurrence.moved_to) if occurrence.moved_to else None,
        "skipped": occurrence.skipped,
    }


def programme_occurrence_move(
    *, actor, entry: ProgrammeEntry, scheduled_on: date, to: date, reason: str
) -> ProgrammeOccurrence:
    """Make the cycle of one occurrence on another day, saying why."""
    _check_writer(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        occurrence = _changeable(entry, scheduled_on)
        current = occurrence.moved_to or occurrence.scheduled_on
        problems = programme.move_problems(
            current=current, to=to, today=timezone.localdate(), reason=reason
        )
        if problems:
            raise DomainError("The audit cannot be moved.", fields=problems)
        before = _occurrence_record(occurrence)
        occurrence.moved_to, occurrence.reason = to, reason
        occurrence.save(update_fields=["moved_to", "reason"])
        event_record(
            actor=actor,
            verb="programme.moved",
            obj=occurrence,
            before=before,
            after=_occurrence_record(occurrence),
            reason=reason,
        )
    return occurrence


def programme_occurrence_skip(
    *, actor, entry: ProgrammeEntry, scheduled_on: date, reason: str
) -> ProgrammeOccurrence:
    """Make no cycle for one occurrence, saying why."""
    _check_writer(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        occurrence = _changeable(entry, scheduled_on)
        if not reason:
            raise DomainError(
                "The audit cannot be skipped.", fields={"reason": ["Say why the audit is skipped"]}
            )
        before = _occurrence_record(occurrence)
        occurrence.skipped, occurrence.reason = True, reason
        occurrence.save(update_fields=["skipped", "reason"])
        event_record(
            actor=actor,
            verb="programme.skipped",
            obj=occurrence,
            before=before,
            after=_occurrence_record(occurrence),
            reason=reason,
        )
    return occurrence


class _Lost(Exception):
    """Another run made this occurrence's cycle first: roll this one back."""


def _make_cycle(entry: ProgrammeEntry, scheduled_on: date, today: date) -> Cycle | None:
    """The cycle of one due occurrence, or None if it is no longer due (made by another run,
    skipped or moved since the due list was read)."""
    entry = ProgrammeEntry.objects.select_for_update().get(pk=entry.pk)
    occurrence, _ = ProgrammeOccurrence.objects.get_or_create(
        entry=entry, scheduled_on=scheduled_on
    )
    occurrence = ProgrammeOccurrence.objects.select_for_update().get(pk=occurrence.pk)
    plain = programme_reads.as_plain(entry)
    change = programme.Change(skipped=occurrence.skipped, moved_to=occurrence.moved_to)
    state = programme.state_of(plain, scheduled_on, today, change, occurrence.cycle_id is not None)
    if state != programme.WAITING:
        return None
    start, end = programme.period_of(plain, scheduled_on)
    month = programme.month_name(scheduled_on.month)
    cycle = Cycle.objects.create(
        name=f"{entry.name}, {month} {scheduled_on.year}"[:200],
        period_start=start,
        period_end=end,
        case_types=entry.case_types,
        stratify_by=entry.stratify_by,
        plan=PLAN_DEFAULTS | entry.plan,
        template=current_template(),
    )
    cycle.teams.set(entry.teams.all())
    claimed = ProgrammeOccurrence.objects.filter(pk=occurrence.pk, cycle__isnull=True).update(
        cycle=cycle, made_at=timezone.now()
    )
    if claimed != 1:
        raise _Lost
    event_record(
        actor=None,
        verb="created",
        obj=cycle,
        after={"name": cycle.name, "period_start": str(start), "period_end": str(end)},
        reason=f"audit programme: {entry.name}",
    )
    event_record(
        actor=None,
        verb="programme.cycle_made",
        obj=occurrence,
        after={"scheduled_on": str(scheduled_on), "cycle": cycle.pk},
    )
    return cycle


def _tell(cycle: Cycle) -> None:
    page = reverse("web:cycle", args=[cycle.pk])
    notify.send(
        notify.qa_leads(),
        f"A cycle of the audit programme is ready to draw: {cycle.name}",
        f"The audit programme made the cycle {cycle.name}. Draw its sample: "
        + notify.link("web:cycle", cycle.pk),
        page=page,
        kind=notify.PROGRAMME_CYCLE_READY,
    )


def programme_run(*, today: date | None = None) -> dict:
    """Make every cycle that is due (today's, and any missed while nothing ran), each once."""
    today = today or timezone.localdate()
    entries = programme_reads.entries_of_years_up_to(today.year)
    by_key = {entry.pk: entry for entry in entries}
    changes, made = programme_reads.changes_and_made(
        ProgrammeOccurrence.objects.filter(entry__in=entries)
    )
    due = programme.due_on(today, [programme_reads.as_plain(e) for e in entries], changes, made)
    made_now = []
    for key, scheduled_on in due:
        try:
            with transaction.atomic():
                cycle = _make_cycle(by_key[key], scheduled_on, today)
                if cycle is not None:
                    transaction.on_commit(lambda cycle=cycle: _tell(cycle))
        except _Lost:
            cycle = None
        if cycle is not None:
            made_now.append(cycle.pk)
    return {"due": len(due), "made": len(made_now), "cycles": made_now}
