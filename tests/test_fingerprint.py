"""The report's fingerprint read the fast way (the counts compiled once, sent together; the
cycle with its frame, teams and drawer's name) is the fingerprint read the plain way: the
same parts, the same values, the same hash, for any cycle the compiled queries run for and
after each kind of change. And any change to what a report is computed from moves it."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.core.sampling import verify_script_text
from audits.models import (
    Action,
    Assignment,
    Audit,
    AuditSummary,
    Case,
    Cycle,
    DomainGrade,
    Escalation,
    ExternalAccess,
    PractitionerResponse,
    Reconciliation,
    SampledCase,
    Staff,
    Team,
)
from audits.selectors import compiled
from audits.selectors.report_build import canonical_hash, report_fingerprint
from audits.selectors.report_inputs import report_setting
from tests.browser import scenarios
from tests.builders import finished_cycle


def _totals(queryset, **aggregates) -> dict:
    return queryset.order_by().aggregate(rows=Count("pk"), **aggregates)


def plain_fingerprint(cycle: Cycle) -> str:
    """The fingerprint as it was read before: each part by its own ORM query."""
    cycle = Cycle.objects.select_related("frame", "template").get(pk=cycle.pk)
    audits = Audit.objects.filter(assignment__sampled_case__cycle=cycle)
    earlier = Q(assignment__sampled_case__cycle__period_end__lt=cycle.period_start)
    sampled = SampledCase.objects.filter(cycle=cycle)
    parts = {
        "setting": report_setting(cycle),
        "audits": _totals(audits, versions=Sum("version"), newest=Max("updated_at")),
        "earlier_audits": _totals(Audit.objects.filter(earlier), versions=Sum("version")),
        "earlier_summaries": _totals(
            AuditSummary.objects.filter(cycle__period_end__lt=cycle.period_start), last=Max("pk")
        ),
        "summaries": _totals(AuditSummary.objects.filter(cycle=cycle), last=Max("pk")),
        "domain_grades": _totals(DomainGrade.objects.filter(cycle=cycle), last=Max("pk")),
        "sampled": _totals(
            sampled,
            last=Max("pk"),
            replaced=Count("pk", filter=Q(status=SampledCase.Status.REPLACED)),
            cases_changed=Max("case__updated_at"),
        ),
        "assignments": _totals(
            Assignment.objects.filter(sampled_case__cycle=cycle),
            last=Max("pk"),
            auditors=Sum("auditor_id"),
        ),
        "escalations": _totals(
            Escalation.objects.filter(audit__assignment__sampled_case__cycle=cycle),
            last=Max("pk"),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        ),
        "actions": sorted(
            Action.objects.filter(audit__assignment__sampled_case__cycle=cycle).values_list(
                "pk", "priority", "status", "due_date", "done_at"
            )
        ),
        "reconciliations": _totals(
            Reconciliation.objects.filter(sampled_case__cycle=cycle),
            last=Max("pk"),
            agreed=Max("agreed_at"),
        ),
        "responses": _totals(
            PractitionerResponse.objects.filter(audit__assignment__sampled_case__cycle=cycle),
            last=Max("pk"),
        ),
        "external_access": _totals(
            ExternalAccess.objects.filter(cycle=cycle), last=Max("pk"), changed=Max("updated_at")
        ),
        "teams": sorted(Team.objects.values_list("pk", "name")),
        "auditors": sorted(
            Staff.objects.filter(assignments__sampled_case__cycle=cycle)
            .values_list("pk", "staff_ref")
            .distinct()
        ),
        "verify_script": hashlib.sha256(verify_script_text().encode()).hexdigest(),
    }
    return canonical_hash(parts)


@pytest.fixture
def reported(db):
    cache.clear()
    cycle, _report = scenarios.reported_cycle()
    return cycle


def _first_audit(cycle) -> Audit:
    return (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle, assignment__role="primary")
        .select_related("assignment__sampled_case__case", "assignment__auditor")
        .order_by("pk")
        .first()
    )


def case_updated(cycle):
    case = _first_audit(cycle).assignment.sampled_case.case
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now() + timedelta(seconds=5))


def escalation_raised(cycle):
    Escalation.objects.create(
        audit=_first_audit(cycle),
        raised_by=scenarios.person("qa.lead"),
        concern="A concern",
        due_at=timezone.now() + timedelta(days=1),
    )


def action_done(cycle):
    audit = _first_audit(cycle)
    action = Action.objects.create(
        audit=audit,
        case=audit.assignment.sampled_case.case,
        team_id=audit.assignment.sampled_case.case.team_id,
        owner=audit.assignment.auditor,
        description="Update the plan",
        due_date=timezone.localdate() + timedelta(days=10),
        created_by=scenarios.person("qa.lead"),
    )
    Action.objects.filter(pk=action.pk).update(status="done", done_at=timezone.now())


def team_renamed(cycle):
    team = Team.objects.order_by("pk").first()
    Team.objects.filter(pk=team.pk).update(name=f"{team.name} (renamed)")


def auditor_ref_changed(cycle):
    staff = _first_audit(cycle).assignment.auditor
    Staff.objects.filter(pk=staff.pk).update(staff_ref=f"{staff.staff_ref}-X")


def drawer_renamed(cycle):
    Staff.objects.filter(user=cycle.frame.drawn_by).update(name="Someone Else")


def audit_saved(cycle):
    audit = _first_audit(cycle)
    Audit.objects.filter(pk=audit.pk).update(version=audit.version + 1)


def summary_removed(cycle):
    AuditSummary.objects.filter(cycle=cycle).order_by("-pk").first().delete()


CHANGES = [
    case_updated,
    escalation_raised,
    action_done,
    team_renamed,
    auditor_ref_changed,
    drawer_renamed,
    audit_saved,
    summary_removed,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_each_change_moves_the_fingerprint_as_the_plain_reading_does(reported, change):
    before = report_fingerprint(reported)
    assert before == plain_fingerprint(reported)
    change(reported)
    after = report_fingerprint(reported)
    assert after != before
    assert after == plain_fingerprint(reported)


def test_the_compiled_counts_are_each_cycles_own(reported):
    other = finished_cycle(n=16, ends=date.today() - timedelta(days=120))
    for cycle in (reported, other, reported, other):  # one compiled query, many cycles
        assert report_fingerprint(cycle) == plain_fingerprint(cycle)
    assert report_fingerprint(reported) != report_fingerprint(other)


def test_a_cycle_without_a_sample_has_a_fingerprint(reported):
    undrawn = Cycle.objects.create(
        name="Not drawn",
        period_start=reported.period_start,
        period_end=reported.period_end,
        created_by=scenarios.person("qa.lead"),
    )
    assert report_fingerprint(undrawn) == plain_fingerprint(undrawn)


def test_the_fingerprint_reads_a_few_queries_whatever_the_size(reported):
    with CaptureQueriesContext(connection) as small:
        report_fingerprint(reported)
    big = finished_cycle(n=30, ends=date.today() - timedelta(days=240))
    with CaptureQueriesContext(connection) as large:
        report_fingerprint(big)
    assert len(small) == len(large)
    if connection.vendor == "postgresql":  # the counts go together in one round trip
        assert len(small) <= 6


def test_a_compiled_query_that_ignores_its_key_is_refused(db):
    refused = compiled.Compiled(lambda key: Team.objects.values_list("pk"))
    with pytest.raises(ValueError, match="does not use its key"):
        refused.rows(1)
