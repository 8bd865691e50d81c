"""Everything a report is computed from, read from the database as plain data.

The result is JSON-ready and canonical (sorted, no database ids that change between
copies), so its SHA-256 — with the figures — is the report hash, and recomputing it later
tells whether the data have changed since the report.
"""

from datetime import datetime
from statistics import median

from audits import grading
from audits.assignment import RULES
from audits.models import (
    Action,
    Assignment,
    Audit,
    Cycle,
    Escalation,
    Moderation,
    SampledCase,
    Template,
)

COMPLETED = (Audit.Status.SUBMITTED, Audit.Status.FINAL)


AUDIT_COLUMNS = (
    "template_id",
    "assignment__sampled_case__case__case_ref",
    "assignment__sampled_case__case__team__name",
    "assignment__sampled_case__case__case_type",
    "assignment__sampled_case__stratum",
    "assignment__role",
    "assignment__auditor__staff_ref",
    "status",
    "assignment__sampled_case__is_follow_up",
    "overall_grade",
    "moderated_overall_grade",
    "answers",
    "moderated_answers",
    "themes",
)


class _GradeForm:
    """What an audit row needs from its form, worked out once per form version."""

    def __init__(self, definition: dict):
        graded = [q for q in grading.questions(definition) if q["kind"] == "grade"]
        self.keys = sorted(q["key"] for q in graded)
        domains: dict[str, list[str]] = {}
        for question in graded:
            if question.get("domain"):
                domains.setdefault(question["domain"], []).append(question["key"])
        self.domains = sorted(domains.items())

    def domain_grades(self, answers: dict) -> dict[str, float]:
        """The same as grading.domain_grades, sorted by domain."""
        found = {}
        for domain, keys in self.domains:
            values = [answers[key] for key in keys if key in answers]
            if values:
                found[domain] = float(median(values))
        return found


def _audit_rows(cycle: Cycle) -> list[dict]:
    """One plain row per audit, read as tuples: at 50,000 audits, model instances and the
    form definition joined onto every row cost seconds."""
    forms: dict[int, _GradeForm] = {}
    rows = []
    audits = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .order_by("assignment__sampled_case__case__case_ref", "assignment__role")
        .values_list(*AUDIT_COLUMNS)
    )
    for (template_id, case_ref, team, case_type, stratum, role, auditor, status, follow_up,
         overall, moderated, answers, moderated_answers, themes) in audits:  # fmt: skip
        form = forms.get(template_id)
        if form is None:
            definition = Template.objects.values_list("definition", flat=True).get(pk=template_id)
            form = forms[template_id] = _GradeForm(definition)
        answers = moderated_answers or answers
        rows.append(
            {
                "case_ref": case_ref, "team": team, "case_type": case_type, "stratum": stratum,
                "role": role, "auditor": auditor, "status": status, "follow_up": follow_up,
                "overall_grade": overall, "moderated_grade": moderated,
                "final_grade": moderated or overall,
                "domain_grades": form.domain_grades(answers),
                "grades": {key: answers[key] for key in form.keys if key in answers},
                "themes": sorted(themes),
            }
        )  # fmt: skip
    return rows


def _cycle_definition(cycle: Cycle) -> dict:
    return {
        "name": cycle.name,
        "period_start": cycle.period_start.isoformat(),
        "period_end": cycle.period_end.isoformat(),
        "case_types": sorted(cycle.case_types),
        "teams": sorted(cycle.teams.values_list("name", flat=True)),
        "open_on": cycle.frame_open_on.isoformat(),
        "exclude_audited_months": cycle.exclude_audited_months,
        "exclude_closed_before_period": cycle.exclude_closed_before_period,
        "stratify_by": cycle.stratify_by,
        "plan": cycle.plan,
        "rules": [
            {"rule": rule, "enabled": bool(cycle.rules.get(rule, True)), "text": text}
            for rule, text in RULES.items()
        ],
    }


def _earlier_cycles(cycle: Cycle) -> list[dict]:
    rows = []
    earlier = Cycle.objects.filter(period_end__lt=cycle.period_start).order_by("period_end")
    for other in earlier:
        grades = list(
            Audit.objects.filter(
                assignment__sampled_case__cycle=other,
                assignment__role=Assignment.Role.PRIMARY,
                assignment__sampled_case__is_follow_up=False,
                status__in=COMPLETED,
            ).values_list("overall_grade", "moderated_overall_grade")
        )
        if grades:
            finals = [moderated or overall for overall, moderated in grades]
            rows.append(
                {
                    "cycle": other.name,
                    "period_end": other.period_end.isoformat(),
                    "audited": len(finals),
                    "good": sum(grading.is_good_or_better(g) for g in finals),
                }
            )
    return rows


def report_inputs(cycle: Cycle, as_of: datetime) -> dict:
    """The complete input of a report on ``cycle`` as at ``as_of``."""
    frame = getattr(cycle, "frame", None)
    sampled = SampledCase.objects.filter(cycle=cycle).select_related("case", "replaced_by__case")
    moderations = Moderation.objects.filter(audit__assignment__sampled_case__cycle=cycle).exclude(
        decision=Moderation.Decision.RETURN
    )
    escalations = Escalation.objects.filter(audit__assignment__sampled_case__cycle=cycle)
    actions = Action.objects.filter(audit__assignment__sampled_case__cycle=cycle).order_by("id")
    overrides = (
        Assignment.objects.filter(sampled_case__cycle=cycle)
        .exclude(override_reason="")
        .select_related("sampled_case__case", "auditor")
    )
    template = cycle.template
    return {
        "as_of": as_of.isoformat(),
        "cycle": _cycle_definition(cycle),
        "template": None
        if template is None
        else {"name": template.name, "version": template.version, "scale": template.grade_scale},
        "frame": None
        if frame is None
        else {
            "seed": frame.seed,
            "frame_hash": frame.frame_hash,
            "population": frame.size,
            "strata": frame.strata_sizes,
            "allocation": frame.allocation,
            "exclusions": frame.exclusion_counts,
            "algorithm": f"{frame.algorithm} v{frame.algorithm_version}",
            "drawn_by": getattr(frame.drawn_by, "username", None),
            "drawn_at": frame.drawn_at.isoformat(),
            "frame_file": frame.frame_file,
        },
        "sampled": sorted(
            (
                {
                    "case_ref": s.case.case_ref,
                    "stratum": s.stratum,
                    "rank": s.rank,
                    "status": s.status,
                    "follow_up": s.is_follow_up,
                    "replaced_by": s.replaced_by.case.case_ref if s.replaced_by else None,
                    "reason": s.replacement_reason,
                }
                for s in sampled
            ),
            key=lambda row: (row["stratum"], row["rank"], row["case_ref"]),
        ),
        "audits": _audit_rows(cycle),
        "moderations": sorted(
            (
                {
                    "original": m.original_overall_grade,
                    "moderated": m.moderated_overall_grade,
                    "decision": m.decision,
                }
                for m in moderations
            ),
            key=lambda row: (row["original"] or 0, row["moderated"] or 0, row["decision"]),
        ),
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
        "overrides": sorted(
            (
                {
                    "case_ref": o.sampled_case.case.case_ref,
                    "auditor": o.auditor.staff_ref,
                    "rule": ", ".join(o.override_rules) or "-",
                    "reason": o.override_reason,
                }
                for o in overrides
            ),
            key=lambda row: (row["case_ref"], row["auditor"]),
        ),
        "unassignable": [
            {"case_ref": row["case_ref"], "rules": row["reasons"]}
            for row in cycle.assignment_summary.get("unassignable", [])
        ],
        "earlier": _earlier_cycles(cycle),
    }
