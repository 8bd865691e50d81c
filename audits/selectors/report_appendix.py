"""A report's details: one row per audit (the appendix, the CSV) and one per sampled case.

They are not needed for the figures (report_data.py counts in SQL), but they are part of
what the report hash covers, so a change to any audit's grades, themes or sample record
changes the hash. Read as tuples in chunks: at 50,000 audits model instances would cost
seconds. A compile never holds them all: ``AuditRows`` keeps them in a temporary file as
they are read (about 5 KB of Python objects per audit, 250 MB at 50,000), and the hash, the
CSV and the PDF's appendix each read them back one at a time.
"""

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator

from audits.core import grading
from audits.core.figures import AppendixRows
from audits.models import Assignment, Audit, Cycle, Reconciliation, SampledCase, Template

CHUNK = 2000
PRIMARY = Assignment.Role.PRIMARY
AUDIT_COLUMNS = (
    "template_id",
    "assignment__sampled_case__case__case_ref",
    "assignment__sampled_case__case__team__name",
    "summary__team__name",
    "assignment__sampled_case__case__case_type",
    "assignment__sampled_case__stratum",
    "assignment__role",
    "assignment__auditor__staff_ref",
    "assignment__auditor__name",
    "status",
    "assignment__sampled_case__is_follow_up",
    "overall_grade",
    "moderated_overall_grade",
    "answers",
    "moderated_answers",
    "themes",
    "summary__reconciled_grade",
    "pk",
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
        # A domain's few questions take a few grades each: each set of grades is worked out
        # once (a median per domain per audit was a tenth of a 50,000-audit compile).
        self._grade_of: dict[tuple, int] = {}

    def domain_grades(self, answers: dict) -> dict[str, int]:
        """The same as grading.domain_grades, sorted by domain."""
        found = {}
        for domain, keys in self.domains:
            values = tuple([answers[key] for key in keys if key in answers])
            if values:
                try:
                    grade = self._grade_of.get(values)
                except TypeError:  # an unhashable answer: not a grade, worked out as it is
                    grade = grading.domain_grade(list(values))
                if grade is None:
                    grade = self._grade_of[values] = grading.domain_grade(list(values))
                found[domain] = grade
        return found


def audit_rows(cycle: Cycle) -> list[dict]:
    """One plain row per audit of the cycle (any status but withdrawn: a replaced case's
    audit is no part of the sample), by case_ref and role."""
    return list(audit_rows_streamed(cycle))


def audit_rows_streamed(cycle: Cycle) -> Iterator[dict]:
    """``audit_rows``, one row at a time."""
    forms: dict[int, _GradeForm] = {}
    audits = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .exclude(status=Audit.Status.WITHDRAWN)
        .order_by("assignment__sampled_case__case__case_ref", "assignment__role")
        .values_list(*AUDIT_COLUMNS)
    )
    stream = audits.iterator(CHUNK)
    # A reconciled double audit's first audit: the agreed domain grades are its final ones.
    agreed_domains = dict(
        Reconciliation.objects.filter(
            sampled_case__cycle=cycle, status=Reconciliation.Status.AGREED
        ).values_list("first_audit_id", "agreed_domain_grades")
    )
    for (
        template_id,
        case_ref,
        current_team,
        team_then,
        case_type,
        stratum,
        role,
        auditor,
        auditor_name,
        status,
        follow_up,
        overall,
        moderated,
        answers,
        moderated_answers,
        themes,
        reconciled,
        audit_id,
    ) in stream:
        form = forms.get(template_id)
        if form is None:
            definition = Template.objects.values_list("definition", flat=True).get(pk=template_id)
            form = forms[template_id] = _GradeForm(definition)
        answers = moderated_answers or answers
        # A completed first audit of the random sample is counted in the estimate; its
        # summary holds the team when it was completed, the team the figures use.
        counted = team_then is not None and role == PRIMARY and not follow_up
        yield (
            {
                "case_ref": case_ref,
                "team": team_then or current_team,
                "team_at_completion": team_then,
                "current_team": current_team,
                "case_type": case_type,
                "stratum": stratum,
                "role": role,
                "auditor": auditor,
                "auditor_name": auditor_name,
                "status": status,
                "follow_up": follow_up,
                "counts_in_estimate": counted,
                "overall_grade": overall,
                "moderated_grade": moderated,
                "reconciled_grade": reconciled,
                "final_grade": reconciled or moderated or overall,
                "domain_grades": (
                    dict(sorted(agreed_domains[audit_id].items()))
                    if reconciled and audit_id in agreed_domains
                    else form.domain_grades(answers)
                ),
                "grades": {key: answers[key] for key in form.keys if key in answers},
                "themes": sorted(themes),
            }
        )


def sampled_rows(cycle: Cycle) -> list[dict]:
    """One plain row per sampled case, by stratum and rank."""
    return list(sampled_rows_streamed(cycle))


def sampled_rows_streamed(cycle: Cycle) -> Iterator[dict]:
    """``sampled_rows``, one row at a time."""
    sampled = (
        SampledCase.objects.filter(cycle=cycle)
        .order_by("stratum", "rank", "case__case_ref")
        .values_list(
            "case__case_ref",
            "stratum",
            "rank",
            "status",
            "is_follow_up",
            "replaced_by__case__case_ref",
            "replacement_reason",
        )
    )
    for case_ref, stratum, rank, status, follow_up, replaced_by, reason in sampled.iterator(CHUNK):
        yield {
            "case_ref": case_ref,
            "stratum": stratum,
            "rank": rank,
            "status": status,
            "follow_up": follow_up,
            "replaced_by": replaced_by,
            "reason": reason,
        }


class AuditRows:
    """A report's audit rows kept in a temporary file (one JSON line each) as they are read,
    to be read back, in the same order, as often as needed: the memory a compile holds is
    one row, whatever the number of audits. Also knows the domains any audit was graded in
    (the CSV's columns). Iterating gives fresh dicts equal to ``audit_rows``."""

    def __init__(self):
        # Named, so that each reading opens its own handle at its own place.
        self._file = tempfile.NamedTemporaryFile(prefix="report-rows-")  # noqa: SIM115
        self.count = 0
        self.domains: set[str] = set()
        # (staff ref, name) of the appendix's auditors, for the PDF's names without a pass.
        self.appendix_auditors: set[tuple[str, str]] = set()

    def kept(self, rows: Iterable[dict], encode: Callable[[dict], str]) -> Iterator[str]:
        """Keep each of ``rows`` as the one line of JSON ``encode`` makes of it (a JSON text
        has no line break of its own), and pass that line on."""
        for row in rows:
            line = encode(row)
            self._file.write(line.encode() + b"\n")
            self.count += 1
            self.domains.update(row.get("domain_grades") or ())
            if row.get("auditor") and AppendixRows.listed(row):
                self.appendix_auditors.add((str(row["auditor"]), row.get("auditor_name") or ""))
            yield line
        self._file.flush()

    def __iter__(self) -> Iterator[dict]:
        with open(self._file.name, "rb") as stream:
            for line in stream:
                yield json.loads(line)

    def __len__(self) -> int:
        return self.count

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    __hash__ = None

    def close(self) -> None:
        self._file.close()
