"""What an inspection pack holds about a cycle, read as plain data: the sampling record, one
record per audit (answers, grades, moderations, reconciliation, escalations), the actions
and the evidence list. Audits and actions are read in chunks (``iterator``), so the worker's
memory does not grow with the cycle; the files themselves are read by the worker through the
named storages.
"""

from collections.abc import Iterator

from django.db.models import F, Max, Prefetch

from audits.core import sampling
from audits.models import Action, Audit, Cycle, Evidence, Moderation, Reconciliation, Report
from audits.selectors import sample_record

CHUNK = 500


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def sampling_facts(cycle: Cycle) -> dict:
    """The record of the draw: the frame's facts, the seed and its parts, the plan, and the
    command that re-checks it (run from the pack's sampling/ folder)."""
    frame = cycle.frame
    return {
        "cycle": {"id": cycle.pk, "name": cycle.name},
        "period_start": _iso(cycle.period_start),
        "period_end": _iso(cycle.period_end),
        "stratify_by": cycle.stratify_by,
        "plan": cycle.plan,
        "frame_file": frame.frame_file,
        "exclusions_file": frame.exclusions_file,
        "sample_file": sample_record.sample_file_name(cycle),
        "frame_hash": frame.frame_hash,
        "frame_size": frame.size,
        "strata_sizes": frame.strata_sizes,
        "allocation": frame.allocation,
        "exclusion_counts": frame.exclusion_counts,
        "seed": frame.seed,
        "seed_parts": sample_record.seed_parts_of(frame),
        "algorithm": frame.algorithm,
        "algorithm_version": frame.algorithm_version,
        "selection_path": frame.selection_path,
        "drawn_at": _iso(frame.drawn_at),
        "drawn_by": getattr(frame.drawn_by, "username", None),
        "command": sample_record.recheck_command(frame),
        "overlapping_draws": sample_record.overlapping_draws(cycle=cycle),
    }


def sample_verification(cycle: Cycle, frame_stream) -> dict:
    """The re-check of the draw from the stored frame (``frame_stream``: its gzip bytes),
    as the sampling record page shows it."""
    frame = cycle.frame
    try:
        return sampling.verify(
            sampling.read_frame_csv(frame_stream),
            seed=frame.seed,
            recorded=sample_record.drawn_ranks(cycle),
            recorded_frame_hash=frame.frame_hash,
            server_random=frame.server_random,
            witness_input=frame.witness_input,
        ).as_dict()
    except (OSError, sampling.SamplingError, EOFError) as error:
        return {"match": False, "error": f"the stored frame cannot be read: {error}"}


def audit_count(cycle: Cycle) -> int:
    return Audit.objects.filter(assignment__sampled_case__cycle=cycle).count()


def _moderation(item: Moderation) -> dict:
    return {
        "decision": item.decision,
        "moderator": item.moderator.name,
        "original_overall_grade": item.original_overall_grade,
        "moderated_overall_grade": item.moderated_overall_grade,
        "original_grades": item.original_grades,
        "moderated_grades": item.moderated_grades,
        "reason": item.reason,
        "at": _iso(item.at),
    }


def _reconciliation(item: Reconciliation | None) -> dict | None:
    if item is None:
        return None
    return {
        "id": item.pk,
        "status": item.status,
        "first_audit": item.first_audit_id,
        "second_audit": item.second_audit_id,
        "first_grades": item.first_grades,
        "second_grades": item.second_grades,
        "disagreements": item.disagreements,
        "agreed_overall_grade": item.agreed_overall_grade,
        "agreed_domain_grades": item.agreed_domain_grades,
        "reason": item.reason,
        "agreed_by": getattr(item.agreed_by, "name", None),
        "agreed_at": _iso(item.agreed_at),
    }


def audit_records(cycle: Cycle) -> Iterator[dict]:
    """One record per audit of the cycle (withdrawn ones too, with their reason), in id
    order, read CHUNK at a time with their moderations, escalations and reconciliation."""
    audits = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .select_related(
            "assignment__auditor",
            "assignment__sampled_case__case__team",
            "assignment__sampled_case__reconciliation__agreed_by",
        )
        # Not the template itself: its definition is large, and one decoded copy per
        # audit made a chunk of 500 audits weigh 12 MB (tests/test_pack_memory.py).
        .annotate(template_name=F("template__name"))
        .prefetch_related(
            Prefetch(
                "moderations",
                Moderation.objects.select_related("moderator").order_by("at", "pk"),
            ),
            "escalations",
        )
        .order_by("pk")
    )
    for audit in audits.iterator(chunk_size=CHUNK):
        sampled = audit.assignment.sampled_case
        yield {
            "id": audit.pk,
            "case_ref": sampled.case.case_ref,
            "team": sampled.case.team.name,
            "stratum": sampled.stratum,
            "rank": sampled.rank,
            "sampled_status": sampled.status,
            "is_follow_up": sampled.is_follow_up,
            "role": audit.assignment.role,
            "auditor": audit.assignment.auditor.name,
            "template": {"id": audit.template_id, "name": audit.template_name},
            "status": audit.status,
            "answers": audit.answers,
            "overall_grade": audit.overall_grade,
            "rationale": audit.rationale,
            "themes": audit.themes,
            "strengths": audit.strengths,
            "improvements": audit.improvements,
            "submitted_at": _iso(audit.submitted_at),
            "moderation_reason": audit.moderation_reason,
            "moderated_overall_grade": audit.moderated_overall_grade,
            "moderated_answers": audit.moderated_answers,
            "withdrawn_reason": audit.withdrawn_reason,
            "moderations": [_moderation(m) for m in audit.moderations.all()],
            "escalations": [
                {
                    "status": e.status,
                    "concern": e.concern,
                    "raised_at": _iso(e.raised_at),
                    "response": e.response,
                }
                for e in audit.escalations.all()
            ],
            "reconciliation": _reconciliation(getattr(sampled, "reconciliation", None)),
        }


AUDIT_CSV_HEADER = [
    "audit_id",
    "case_ref",
    "team",
    "stratum",
    "rank",
    "role",
    "auditor",
    "status",
    "overall_grade",
    "moderated_overall_grade",
    "moderations",
    "last_moderation",
    "reconciliation_status",
    "agreed_overall_grade",
    "submitted_at",
]


def audit_csv_row(record: dict) -> list:
    last = record["moderations"][-1]["decision"] if record["moderations"] else ""
    reconciliation = record["reconciliation"] or {}
    return [
        record["id"],
        record["case_ref"],
        record["team"],
        record["stratum"],
        record["rank"],
        record["role"],
        record["auditor"],
        record["status"],
        record["overall_grade"] if record["overall_grade"] is not None else "",
        record["moderated_overall_grade"] or "",
        len(record["moderations"]),
        last,
        reconciliation.get("status", ""),
        reconciliation.get("agreed_overall_grade") or "",
        record["submitted_at"] or "",
    ]


ACTION_CSV_HEADER = [
    "action_id",
    "audit_id",
    "case_ref",
    "team",
    "owner",
    "description",
    "priority",
    "due_date",
    "status",
    "created_at",
    "done_at",
    "verified_at",
    "evidence_files",
]


def action_rows(cycle: Cycle) -> Iterator[list]:
    """The actions agreed on the cycle's audits, one CSV row each, in id order."""
    actions = (
        Action.objects.filter(audit__assignment__sampled_case__cycle=cycle)
        .select_related("case", "team", "owner")
        .prefetch_related("evidence")
        .order_by("pk")
    )
    for action in actions.iterator(chunk_size=CHUNK):
        yield [
            action.pk,
            action.audit_id,
            action.case.case_ref,
            action.team.name,
            action.owner.name,
            action.description,
            action.priority,
            _iso(action.due_date),
            action.status,
            _iso(action.created_at),
            _iso(action.done_at) or "",
            _iso(action.verified_at) or "",
            len(action.evidence.all()),
        ]


EVIDENCE_CSV_HEADER = [
    "evidence_id",
    "attached_to",
    "audit_id",
    "question_key",
    "action_id",
    "name",
    "content_type",
    "size",
    "sha256",
    "uploaded_at",
]


def evidence_rows(cycle: Cycle) -> Iterator[list]:
    """Every evidence file of the cycle's audits and of their actions (the list, with each
    file's SHA-256; the files stay in CaseAssure)."""
    of_audits = Evidence.objects.filter(audit__assignment__sampled_case__cycle=cycle)
    of_actions = Evidence.objects.filter(action__audit__assignment__sampled_case__cycle=cycle)
    for item in (of_audits | of_actions).order_by("pk").iterator(chunk_size=CHUNK):
        yield [
            item.pk,
            "audit" if item.audit_id else "action",
            item.audit_id or "",
            item.question_key,
            item.action_id or "",
            item.display_name,
            item.content_type,
            item.size,
            item.sha256,
            _iso(item.uploaded_at),
        ]


def newest_report(cycle: Cycle) -> Report | None:
    newest = Report.objects.filter(cycle=cycle).aggregate(v=Max("version"))["v"]
    if newest is None:
        return None
    return Report.objects.defer("figures").get(cycle=cycle, version=newest)
