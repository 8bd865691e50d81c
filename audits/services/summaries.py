"""Keeping each audit's summary (models/summaries.py) in line with the audit.

``audit_summary_record`` is called by the services that complete an audit or change its
grades (submit, moderate), in their transaction; ``audit_summaries_rebuild`` writes them
in bulk for audits stored another way (a data load, the bench).
"""

from collections.abc import Iterable

from django.db import transaction

from audits.core import grading
from audits.core.statuses import AUDIT_COMPLETED
from audits.models import Assignment, Audit, AuditSummary, DomainGrade, Reconciliation, Template

SOURCE_COLUMNS = (
    "pk",
    "template_id",
    "answers",
    "overall_grade",
    "moderated_answers",
    "moderated_overall_grade",
    "themes",
    "assignment__role",
    "assignment__sampled_case__cycle_id",
    "assignment__sampled_case__case_id",
    "assignment__sampled_case__stratum",
    "assignment__sampled_case__is_follow_up",
    "assignment__sampled_case__case__team_id",
    "assignment__sampled_case__case__case_type",
)


def _rows(
    source: tuple, definition: dict, reconciled: int | None = None
) -> tuple[AuditSummary, list[DomainGrade]]:
    """The summary and domain grades of one audit. ``reconciled`` is the agreed overall
    grade of its double audit (a first audit whose pair disagreed): the final grade. Its
    domain grades stay the auditor's (moderated) ones: alpha pairs them with the second
    audit's; report_inputs counts the agreed domain grades in the figures instead."""
    (
        audit_id,
        _,
        answers,
        overall,
        moderated_answers,
        moderated_overall,
        themes,
        role,
        cycle_id,
        case_id,
        stratum,
        follow_up,
        team_id,
        case_type,
    ) = source
    summary = grading.audit_summary(
        definition,
        answers=answers,
        overall_grade=overall,
        moderated_answers=moderated_answers,
        moderated_overall_grade=moderated_overall,
        themes=themes,
    )
    row = AuditSummary(
        audit_id=audit_id,
        cycle_id=cycle_id,
        case_id=case_id,
        team_id=team_id,
        case_type=case_type,
        stratum=stratum,
        role=role,
        follow_up=follow_up,
        overall_grade=summary["overall_grade"],
        moderated_grade=summary["moderated_grade"],
        reconciled_grade=reconciled,
        final_grade=reconciled or summary["final_grade"],
        themes=summary["themes"],
    )
    counted = role == Assignment.Role.PRIMARY and not follow_up
    grades = [
        DomainGrade(
            summary_id=audit_id, cycle_id=cycle_id, counted=counted, domain=domain, grade=grade
        )
        for domain, grade in summary["domain_grades"].items()
    ]
    return row, grades


def audit_summary_record(*, audit: Audit) -> AuditSummary | None:
    """Write the summary of a completed audit, or remove it once the audit is not
    completed (returned for rework). Call it after saving the audit, in its transaction."""
    with transaction.atomic():
        AuditSummary.objects.filter(audit_id=audit.pk).delete()
        if audit.status not in AUDIT_COMPLETED:
            return None
        sampled = audit.assignment.sampled_case
        case = sampled.case
        source = (
            audit.pk,
            audit.template_id,
            audit.answers,
            audit.overall_grade,
            audit.moderated_answers,
            audit.moderated_overall_grade,
            audit.themes,
            audit.assignment.role,
            sampled.cycle_id,
            sampled.case_id,
            sampled.stratum,
            sampled.is_follow_up,
            case.team_id,
            case.case_type,
        )
        row, grades = _rows(
            source, audit.template.definition, _reconciled([audit.pk]).get(audit.pk)
        )
        row.save(force_insert=True)
        DomainGrade.objects.bulk_create(grades)
    return row


def audit_summaries_rebuild(*, audits: Iterable[int] | None = None, batch: int = 2000) -> int:
    """Rewrite the summaries of the given audit ids (all audits when None) from their
    answers. Returns how many completed audits now have one."""
    chosen = Audit.objects.all() if audits is None else Audit.objects.filter(pk__in=audits)
    definitions: dict[int, dict] = {}
    written = 0
    with transaction.atomic():
        AuditSummary.objects.filter(audit__in=chosen).delete()
        sources = (
            chosen.filter(status__in=AUDIT_COMPLETED).order_by("pk").values_list(*SOURCE_COLUMNS)
        )
        summaries, grades = [], []
        reconciled = _reconciled(chosen.values("pk"))
        for source in sources.iterator(chunk_size=batch):
            template_id = source[1]
            if template_id not in definitions:
                definitions[template_id] = Template.objects.get(pk=template_id).definition
            row, domain_rows = _rows(source, definitions[template_id], reconciled.get(source[0]))
            summaries.append(row)
            grades += domain_rows
            if len(summaries) >= batch:
                written += _write(summaries, grades)
                summaries, grades = [], []
        written += _write(summaries, grades)
    return written


def _reconciled(audits) -> dict[int, int]:
    """The agreed overall grade of each first audit (of ``audits``) whose pair was reconciled."""
    agreed = Reconciliation.objects.filter(
        first_audit__in=audits, status=Reconciliation.Status.AGREED
    )
    return dict(agreed.values_list("first_audit_id", "agreed_overall_grade"))


def _write(summaries: list[AuditSummary], grades: list[DomainGrade]) -> int:
    AuditSummary.objects.bulk_create(summaries)
    DomainGrade.objects.bulk_create(grades)
    return len(summaries)
