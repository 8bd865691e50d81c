"""Everything a report's figures are computed from, read from the database as plain data.

The figures count completed audits through their stored summaries (models/summaries.py):
the audits are grouped in SQL, so the inputs hold counts, not one row per audit, and stay
small however many audits a cycle has. The one-row-per-audit and one-row-per-sampled-case
details (for the appendix, the CSV and the report hash) are read by report_appendix.py.

The result is JSON-ready and canonical (sorted, no database ids that change between
copies), so its SHA-256 -- with the details and the figures -- is the report hash.
"""

from collections import Counter
from datetime import datetime

from django.db.models import Count, Q

from audits.core.grading import GOOD, RANDOM_SHARE
from audits.core.rules import RULES, reason_words
from audits.models import (
    Action,
    Assignment,
    AuditSummary,
    Cycle,
    DomainGrade,
    Escalation,
    Event,
    SampledCase,
    Staff,
    Team,
)
from audits.selectors import report_pairs, snapshot
from audits.selectors.sample_record import overlapping_draws, seed_parts_of

PRIMARY, SECOND = Assignment.Role.PRIMARY, Assignment.Role.SECOND


def _cycle_definition(cycle: Cycle) -> dict:
    return {
        "name": cycle.name,
        "period_start": cycle.period_start.isoformat(),
        "period_end": cycle.period_end.isoformat(),
        "case_types": sorted(cycle.case_types),
        "teams": sorted(team.name for team in cycle.teams.all()),  # prefetched or not
        "open_on": cycle.frame_open_on.isoformat(),
        "exclude_audited_months": cycle.exclude_audited_months,
        "exclude_closed_before_period": cycle.exclude_closed_before_period,
        "stratify_by": cycle.stratify_by,
        "plan": cycle.plan,
        "rules": [
            {"rule": rule, "enabled": bool(cycle.rules.get(rule, True)), "text": reason_words(rule)}
            for rule in RULES
        ],
    }


def _names_of(users) -> dict[int, str]:
    """Each user's name as the register knows the person (else as the login does)."""
    users = [user for user in users if user is not None]
    staff = dict(Staff.objects.filter(user__in=users).values_list("user_id", "name"))
    return {u.pk: staff.get(u.pk) or u.get_full_name() or u.username for u in users}


def _overrides(cycle: Cycle) -> list[dict]:
    """Assignments a manager made by hand with a reason: the case, the auditor (by name and
    staff reference), the rules set aside in words, the reason and who made it (the actor
    of the assignment's latest override event)."""
    overrides = list(
        Assignment.objects.filter(sampled_case__cycle=cycle)
        .exclude(override_reason="")
        .select_related("sampled_case__case", "auditor")
    )
    events = Event.objects.filter(
        object_type="assignment",
        object_id__in=[str(o.pk) for o in overrides],
        verb__in=["assignment.overridden", "assignment.set"],
    ).select_related("actor")
    made_by = {event.object_id: event.actor for event in events.order_by("id")}
    names = _names_of(made_by.values())
    rows = [
        {
            "case_ref": o.sampled_case.case.case_ref,
            "auditor": o.auditor.staff_ref,
            "auditor_name": o.auditor.name,
            "rule": ", ".join(o.override_rules) or "-",
            "rules_in_words": [reason_words(rule) for rule in o.override_rules],
            "reason": o.override_reason,
            "agreed_by": names.get(getattr(made_by.get(str(o.pk)), "pk", None)),
        }
        for o in overrides
    ]
    return sorted(rows, key=lambda row: (row["case_ref"], row["auditor"]))


def _drawn_by(cycle: Cycle, frame) -> str | None:
    """Who drew the sample, by name (``_names_of``); the staff name may come with the cycle
    (read in the same query by ``fingerprint``)."""
    if not hasattr(cycle, "fp_drawn_by_staff_name") or frame.drawn_by is None:
        return _names_of([frame.drawn_by]).get(frame.drawn_by_id)
    user = frame.drawn_by
    return cycle.fp_drawn_by_staff_name or user.get_full_name() or user.username


def _frame(cycle: Cycle) -> dict | None:
    frame = getattr(cycle, "frame", None)
    if frame is None:
        return None
    return {
        "seed": frame.seed,
        "frame_hash": frame.frame_hash,
        "population": frame.size,
        "strata": frame.strata_sizes,
        "allocation": frame.allocation,
        "exclusions": frame.exclusion_counts,
        "algorithm": f"{frame.algorithm} v{frame.algorithm_version}",
        "drawn_by": _drawn_by(cycle, frame),
        "drawn_at": frame.drawn_at.isoformat(),
        "frame_file": frame.frame_file,
        # The seed's parts (commit, then reveal) and any other draw over the same period
        # and teams, so the report names a second try at the sample.
        "seed_parts": seed_parts_of(frame),
        "overlapping_draws": overlapping_draws(cycle=cycle),
    }


def _sample(cycle: Cycle) -> dict:
    """Sampled cases counted by stratum, status and follow-up, and the replacements."""
    counts = report_pairs.counted(
        SampledCase.objects.filter(cycle=cycle)
        .values_list("stratum", "status", "is_follow_up")
        .annotate(cases=Count("pk"))
        .order_by()
    )
    replaced = SampledCase.objects.filter(cycle=cycle, status=SampledCase.Status.REPLACED)
    return {
        "counts": [
            {"stratum": stratum, "status": status, "follow_up": follow_up, "cases": cases}
            for stratum, status, follow_up, cases in counts
        ],
        "replacements": [
            {
                "case_ref": case_ref,
                "stratum": stratum,
                "rank": rank,
                "reason": reason,
                "replaced_by": replaced_by,
            }
            for case_ref, stratum, rank, reason, replaced_by in replaced.order_by(
                "stratum", "rank", "case__case_ref"
            ).values_list(
                "case__case_ref",
                "stratum",
                "rank",
                "replacement_reason",
                "replaced_by__case__case_ref",
            )
        ],
    }


def _completed(cycle: Cycle) -> list[dict]:
    """Completed audits, first and second, counted by role, team and case type (as when
    the audit was completed), stratum, follow-up, the auditor's overall grade, the
    moderator's (None unless moderated) and the agreed grade of a reconciled double audit
    (None unless reconciled)."""
    groups = (
        AuditSummary.objects.filter(cycle=cycle)
        .values_list(
            "role",
            "team_id",
            "case_type",
            "stratum",
            "follow_up",
            "overall_grade",
            "moderated_grade",
            "reconciled_grade",
        )
        .annotate(audits=Count("pk"))
        .order_by()
    )
    teams = dict(Team.objects.values_list("pk", "name"))
    named = report_pairs.counted((role, teams[team], *rest) for role, team, *rest in groups)
    return [
        {
            "role": role,
            "team": team,
            "case_type": case_type,
            "stratum": stratum,
            "follow_up": follow_up,
            "overall_grade": overall,
            "moderated_grade": moderated,
            "reconciled_grade": reconciled,
            "audits": audits,
        }
        for (
            role,
            team,
            case_type,
            stratum,
            follow_up,
            overall,
            moderated,
            reconciled,
            audits,
        ) in named
    ]


def _domain_grades(cycle: Cycle) -> list[dict]:
    """Completed first audits of the random sample counted by domain and median grade; a
    reconciled double audit counts its agreed domain grades instead of the first's."""
    grouped = (
        DomainGrade.objects.filter(cycle=cycle, counted=True)
        .values_list("domain", "grade")
        .annotate(audits=Count("pk"))
        .order_by()
    )
    counts = Counter({(d, g): n for d, g, n in grouped})
    for first_grades, agreed in report_pairs.reconciled(cycle):
        counts.subtract(first_grades)
        counts.update(agreed)
    groups = report_pairs.counted((d, g, n) for (d, g), n in counts.items() if n)
    return [{"domain": d, "grade": g, "audits": n} for d, g, n in groups]


def _random_moderations(cycle: Cycle) -> list[dict]:
    """Completed audits moderated because they fell in the cycle's random share (not by the
    Inadequate/Outstanding rule), counted by the auditor's overall grade and the moderator's:
    what auditor-moderator agreement is measured on."""
    groups = report_pairs.counted(
        AuditSummary.objects.filter(
            cycle=cycle, moderated_grade__isnull=False, audit__moderation_reason=RANDOM_SHARE
        )
        .values_list("overall_grade", "moderated_grade")
        .annotate(audits=Count("pk"))
        .order_by()
    )
    return [{"auditor": a, "moderator": b, "audits": n} for a, b, n in groups]


def _themes(cycle: Cycle) -> dict[str, int]:
    """How many completed first audits of the random sample name each theme. Audits are
    grouped by their (sorted) list of themes first: there are few distinct lists."""
    groups = (
        AuditSummary.objects.filter(cycle=cycle, role=PRIMARY, follow_up=False)
        .values_list("themes")
        .annotate(audits=Count("pk"))
        .order_by()
    )
    counts: Counter[str] = Counter()
    for themes, audits in groups:
        for theme in themes:
            counts[theme] += audits
    return dict(sorted(counts.items()))


def _earlier_cycles(cycle: Cycle) -> list[dict]:
    """Earlier cycles' completed first audits of the random sample counted by stratum,
    with each stratum's size in that cycle's frame, so the trend shows every cycle's
    stratified estimate, the figure its own report headlined."""
    counted = (
        AuditSummary.objects.filter(
            cycle__period_end__lt=cycle.period_start, role=PRIMARY, follow_up=False
        )
        .values_list("cycle_id", "stratum")
        .annotate(audited=Count("pk"), good=Count("pk", filter=Q(final_grade__gte=GOOD)))
        .order_by()
    )
    by_cycle: dict[int, dict] = {}
    for cycle_id, stratum, audited, good in counted:
        by_cycle.setdefault(cycle_id, {})[stratum] = (audited, good)
    earlier = Cycle.objects.filter(pk__in=by_cycle).select_related("frame")
    rows = []
    for other in earlier.order_by("period_end", "pk"):
        frame = getattr(other, "frame", None)
        sizes = (frame.strata_sizes if frame else None) or {}
        counts = by_cycle[other.pk]
        strata = {
            name: [max(sizes.get(name, 0), audited), audited, good]
            for name, (audited, good) in counts.items()
        } | {name: [size, 0, 0] for name, size in sizes.items() if name not in counts}
        rows.append(
            {
                "cycle": other.name,
                "period_end": other.period_end.isoformat(),
                "strata": dict(sorted(strata.items())),
            }
        )
    return rows


def report_inputs(cycle: Cycle, as_of: datetime) -> dict:
    """The complete input of a report's figures on ``cycle`` as at ``as_of``, all read from
    one snapshot; the largest groupings run on a second connection meanwhile (PostgreSQL)."""
    # The second connection runs in the worker only (never in a request) and stays for
    # what it saves: bench/report.py, 50,000 audits, this shared 2-core machine, best of
    # 2: inputs_s 0.75 s with it (floor 0.55 s) against 1.04 s on one connection (floor
    # 0.43 s). tests/test_snapshot.py checks both give the same inputs.
    with snapshot.one_snapshot():
        inputs, (domain_grades, double_audits) = snapshot.in_parallel(
            lambda: _inputs_here(cycle, as_of),
            lambda: (_domain_grades(cycle), report_pairs.double_audits(cycle)),
        )
    return {**inputs, "domain_grades": domain_grades, "double_audits": double_audits}


def report_setting(cycle: Cycle) -> dict:
    """The few inputs that are read whole, not counted: the cycle's definition, its form,
    its frame (with other draws over the same period) and the cases no one could take."""
    template = cycle.template
    return {
        "cycle": _cycle_definition(cycle),
        "template": None
        if template is None
        else {"name": template.name, "version": template.version, "scale": template.grade_scale},
        "frame": _frame(cycle),
        "unassignable": [
            {
                "case_ref": row["case_ref"],
                "rules": row["reasons"],
                "reasons_in_words": [reason_words(reason) for reason in row["reasons"]],
            }
            for row in cycle.assignment_summary.get("unassignable", [])
        ],
    }


def _inputs_here(cycle: Cycle, as_of: datetime) -> dict:
    escalations = Escalation.objects.filter(audit__assignment__sampled_case__cycle=cycle)
    actions = Action.objects.filter(audit__assignment__sampled_case__cycle=cycle).order_by("id")
    return {
        "as_of": as_of.isoformat(),
        **report_setting(cycle),
        "sample": _sample(cycle),
        "completed": _completed(cycle),
        "themes": _themes(cycle),
        "moderations": {RANDOM_SHARE: _random_moderations(cycle)},
        "reconciliations": report_pairs.reconciliations(cycle),
        "escalations": sorted(
            (
                {
                    "case_ref": e.audit.assignment.sampled_case.case.case_ref,
                    "raised_at": e.raised_at.isoformat(),
                    "due_at": e.due_at.isoformat(),
                    "acknowledged_at": e.acknowledged_at.isoformat() if e.acknowledged_at else None,
                }
                for e in escalations.select_related("audit__assignment__sampled_case__case")
            ),
            key=lambda row: (row["raised_at"], row["case_ref"]),
        ),
        "actions": [
            {
                "priority": a.priority,
                "status": a.status,
                "due_date": a.due_date.isoformat(),
                "done_on": a.done_at.date().isoformat() if a.done_at else None,
            }
            for a in actions
        ],
        "overrides": _overrides(cycle),
        "earlier": _earlier_cycles(cycle),
    }
