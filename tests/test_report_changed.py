""" "Has the data changed since this report?" is answered from the fingerprint stored with
the report (a few aggregate queries), never by compiling the report again inside a GET; and
it says what compiling again would say: the report hash recomputed in full, as at the
report's moment with the thresholds it used, differs exactly when the check says changed."""

import pytest
from django.contrib.auth.models import User

from audits.core import grading
from audits.core.opinion import OpinionThresholds
from audits.models import Audit, OpinionSettings, Report, ReportJob, SampledCase
from audits.selectors.report_build import report_build
from audits.services import audits, moderation, sample
from tests.builders import finished_cycle
from worker.compile import report_compile


def _answers(template, level: int) -> dict:
    answers = {}
    for question in grading.questions(template.definition):
        if question["kind"] == "grade":
            answers[question["key"]] = level
        elif question["kind"] == "yes_no_na":
            answers[question["key"]] = "yes"
        elif question["kind"] == "choice":
            answers[question["key"]] = question["choices"][0]
    return answers


def _not_started(cycle):
    return Audit.objects.filter(assignment__sampled_case__cycle=cycle, status="assigned").order_by(
        "pk"
    )


@pytest.fixture
def reported(db):
    """A cycle with most audits done, one Inadequate audit waiting for its moderator, and a
    report compiled on it."""
    cycle = finished_cycle(complete=0.6)
    waiting = _not_started(cycle).last()
    auditor = waiting.assignment.auditor.user
    saved = audits.audit_save(
        audit=waiting,
        actor=auditor,
        version=waiting.version,
        changes={
            "answers": _answers(cycle.template, 1),
            "overall_grade": 1,
            "themes": [],
            "rationale": "All Inadequate",
        },
    )
    submitted = audits.audit_submit(audit=saved, actor=auditor, version=saved.version)
    assert submitted.status == Audit.Status.SUBMITTED  # an Inadequate grade is moderated
    lead = User.objects.get(username="qa.lead")
    job = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=cycle.frame.drawn_at)
    report = report_compile(job.pk, "task-changed")
    assert report is not None
    assert report.inputs_fingerprint
    return cycle, report, submitted


def _recomputed_in_full_differs(report: Report) -> bool:
    used = OpinionThresholds.from_dict(report.figures["opinion"]["thresholds"])
    _, report_hash, _, _ = report_build(report.cycle, report.as_of, used)
    return report_hash != report.report_hash


def _checked(client, report: Report) -> bool:
    response = client.get(f"/api/v1/reports/{report.job_id}/changed/")
    assert response.status_code == 200
    return response.json()["changed"]


def nothing(cycle, submitted):
    pass


def thresholds_change(cycle, submitted):
    OpinionSettings.objects.create(limited_lower=0.1)


def an_auditor_saves_a_grade(cycle, submitted):
    audit = _not_started(cycle).first()
    audits.audit_save(
        audit=audit,
        actor=audit.assignment.auditor.user,
        version=audit.version,
        changes={"overall_grade": 3},
    )


def a_moderator_changes_a_grade(cycle, submitted):
    moderation.moderation_record(
        audit=Audit.objects.get(pk=submitted.pk),
        actor=User.objects.get(username="qa.lead"),
        decision="change",
        reason="The evidence is stronger",
        overall_grade=2,
    )


def a_case_is_replaced_in_the_sample(cycle, submitted):
    started = Audit.objects.exclude(status=Audit.Status.ASSIGNED).values("assignment__sampled_case")
    unstarted = (
        SampledCase.objects.filter(cycle=cycle, status=SampledCase.Status.SELECTED)
        .exclude(pk__in=started)
        .first()
    )
    sample.sample_replace(
        sampled_case=unstarted,
        actor=User.objects.get(username="qa.lead"),
        reason="The case was transferred to another council",
    )


@pytest.mark.parametrize(
    ("change", "changed"),
    [
        (nothing, False),
        (thresholds_change, False),
        (an_auditor_saves_a_grade, True),
        (a_moderator_changes_a_grade, True),
        (a_case_is_replaced_in_the_sample, True),
    ],
)
def test_the_check_says_what_compiling_again_would_say(reported, client_for, change, changed):
    cycle, report, submitted = reported
    change(cycle, submitted)
    client = client_for(User.objects.get(username="internal.audit"))
    assert _checked(client, report) is changed
    assert _recomputed_in_full_differs(report) is changed


def test_the_check_reads_no_audit_row_by_row(reported, client_for, django_assert_max_num_queries):
    _, report, _ = reported
    client = client_for(User.objects.get(username="internal.audit"))
    # Authentication, scoping and a fixed number of aggregates, whatever the cycle's size.
    with django_assert_max_num_queries(30):
        assert _checked(client, report) is False
