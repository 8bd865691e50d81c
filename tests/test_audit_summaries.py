"""Each completed audit's summary (final grade, domain medians, themes) is what grading
works out from its answers, kept in step by submission and moderation, and written again
by the rebuild for audits stored without them."""

import math
from statistics import median

import pytest
from django.contrib.auth.models import User

from audits.core import grading
from audits.core.figures import compute_figures
from audits.models import Audit, AuditSummary, DomainGrade
from audits.selectors.report_inputs import report_inputs
from audits.services import audits, moderation
from audits.services.summaries import audit_summaries_rebuild
from tests.builders import finished_cycle


@pytest.fixture
def cycle(db):
    return finished_cycle(complete=0.9)


@pytest.fixture
def lead(cycle):
    return User.objects.get(username="qa.lead")


def stored(audit: Audit) -> dict:
    summary = AuditSummary.objects.get(audit=audit)
    grades = DomainGrade.objects.filter(summary=summary).order_by("domain")
    return {
        "overall_grade": summary.overall_grade,
        "moderated_grade": summary.moderated_grade,
        "final_grade": summary.final_grade,
        "domain_grades": {g.domain: g.grade for g in grades},
        "themes": summary.themes,
    }


def domains_by_hand(definition: dict, answers: dict) -> dict[str, int]:
    """Each domain's grade worked out here, not by the code under test: the middle of the
    grades its questions were given, the lower one when the middle falls between two."""
    given: dict[str, list[int]] = {}
    for section in definition["sections"]:
        for question in section["questions"]:
            if (
                question["kind"] == "grade"
                and question.get("domain")
                and question["key"] in answers
            ):
                given.setdefault(question["domain"], []).append(answers[question["key"]])
    return {domain: math.floor(median(grades)) for domain, grades in sorted(given.items())}


def by_hand(audit: Audit) -> dict:
    """The summary an auditor would write down from the audit's own fields: the moderator's
    grades and overall grade when moderated, the auditor's otherwise."""
    audit.refresh_from_db()
    return {
        "overall_grade": audit.overall_grade,
        "moderated_grade": audit.moderated_overall_grade,
        "final_grade": audit.moderated_overall_grade or audit.overall_grade,
        "domain_grades": domains_by_hand(
            audit.template.definition, audit.moderated_answers or audit.answers
        ),
        "themes": sorted(audit.themes),
    }


def every_summary() -> list[tuple]:
    rows = AuditSummary.objects.order_by("audit_id").values_list(
        "audit_id",
        "cycle_id",
        "case_id",
        "team_id",
        "case_type",
        "stratum",
        "role",
        "follow_up",
        "overall_grade",
        "moderated_grade",
        "final_grade",
        "themes",
    )
    grades = DomainGrade.objects.order_by("summary_id", "domain").values_list(
        "summary_id", "cycle_id", "counted", "domain", "grade"
    )
    return [*rows, *grades]


def test_every_completed_audit_has_the_summary_worked_out_by_hand(cycle):
    completed = Audit.objects.filter(status__in=["submitted", "final"])
    assert completed.count() > 0
    assert AuditSummary.objects.count() == completed.count()
    for audit in completed:
        assert stored(audit) == by_hand(audit)
        sampled = audit.assignment.sampled_case
        summary = audit.summary
        assert (summary.cycle_id, summary.case_id, summary.stratum) == (
            sampled.cycle_id,
            sampled.case_id,
            sampled.stratum,
        )
        assert (summary.team_id, summary.case_type) == (
            sampled.case.team_id,
            sampled.case.case_type,
        )
        counted = audit.assignment.role == "primary" and not sampled.is_follow_up
        assert set(
            DomainGrade.objects.filter(summary=summary).values_list("cycle_id", "counted")
        ) == {(sampled.cycle_id, counted)}
        assert (summary.role, summary.follow_up) == (audit.assignment.role, sampled.is_follow_up)
    assert not AuditSummary.objects.exclude(audit__in=completed).exists()


def test_a_domain_median_between_two_grades_is_stored_as_the_lower_grade(cycle):
    assert not DomainGrade.objects.filter(grade__in=[1.5, 2.5, 3.5]).exists()
    ties = 0
    for audit in Audit.objects.filter(summary__isnull=False).select_related("template"):
        answers = audit.moderated_answers or audit.answers
        stored = dict(
            DomainGrade.objects.filter(summary_id=audit.pk).values_list("domain", "grade")
        )
        for domain, grade in stored.items():
            keys = [
                q["key"]
                for q in grading.questions(audit.template.definition)
                if q.get("domain") == domain and q["kind"] == "grade"
            ]
            middle = median(answers[key] for key in keys if key in answers)
            assert grade == math.floor(middle)
            ties += middle != math.floor(middle)
    assert ties > 0


def test_moderation_changes_the_summary_and_a_return_removes_it_until_resubmitted(cycle, lead):
    waiting = Audit.objects.filter(status__in=["assigned", "in_progress"]).first()
    cycle.moderation_share = 1
    cycle.save()
    author = waiting.assignment.auditor.user
    definition = waiting.template.definition
    fill = {"grade": lambda q: 3, "yes_no_na": lambda q: "yes", "choice": lambda q: q["choices"][0]}
    answers = {
        q["key"]: fill[q["kind"]](q) for q in grading.questions(definition) if q["kind"] in fill
    }
    saved = audits.audit_save(
        audit=waiting,
        actor=author,
        version=waiting.version,
        changes={"answers": answers, "overall_grade": 3, "themes": ["Drift and delay"]},
    )
    assert not AuditSummary.objects.filter(audit=saved).exists()
    submitted = audits.audit_submit(audit=saved, actor=author, version=saved.version)
    assert submitted.status == "submitted"
    assert stored(submitted)["final_grade"] == 3

    moderation.moderation_record(
        audit=submitted, actor=lead, decision="return", reason="Evidence missing"
    )
    assert not AuditSummary.objects.filter(audit=submitted).exists()

    submitted.refresh_from_db()
    again = audits.audit_submit(audit=submitted, actor=author, version=submitted.version)
    risk = [q["key"] for q in grading.questions(definition) if q.get("domain") == "Risk"]
    moderation.moderation_record(
        audit=again,
        actor=lead,
        decision="change",
        reason="Risk was missed",
        overall_grade=2,
        grades=dict.fromkeys(risk, 1),
    )
    # Every grade answer was 3; the moderator gave each Risk question a 1 and the whole a 2.
    domains = {q.get("domain") for q in grading.questions(definition) if q["kind"] == "grade"}
    assert {"Risk", "Planning"} <= domains
    assert stored(again) == {
        "overall_grade": 3,
        "moderated_grade": 2,
        "final_grade": 2,
        "domain_grades": {domain: 1 if domain == "Risk" else 3 for domain in sorted(domains)},
        "themes": ["Drift and delay"],
    }


def test_the_rebuild_writes_what_the_services_wrote(cycle):
    written = every_summary()
    summaries = AuditSummary.objects.count()
    AuditSummary.objects.all().delete()
    assert audit_summaries_rebuild() == summaries
    assert every_summary() == written


def test_the_figures_agree_with_grading_the_answers_again(cycle):
    """Domain figures worked out by hand from the answers, not from the stored summaries."""
    figures = compute_figures(report_inputs(cycle, cycle.frame.drawn_at))
    firsts = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle,
        assignment__role="primary",
        status__in=["submitted", "final"],
    )
    by_domain: dict[str, list[float]] = {}
    for audit in firsts:
        answers = audit.moderated_answers or audit.answers
        for domain, grade in domains_by_hand(audit.template.definition, answers).items():
            by_domain.setdefault(domain, []).append(grade)
    assert [row["domain"] for row in figures["findings"]["by_domain"]] == sorted(by_domain)
    for row in figures["findings"]["by_domain"]:
        grades = by_domain[row["domain"]]
        assert row["rated"] == len(grades)
        assert row["mean"] == round(sum(grades) / len(grades), 2)
        assert row["distribution"] == {
            str(g): sum(round(v) == g for v in grades) for g in (1, 2, 3, 4)
        }
    finals = [a.final_grade for a in firsts]
    assert figures["summary"]["audited"] == len(finals)
    assert figures["findings"]["grade_distribution"] == {
        str(g): finals.count(g) for g in (1, 2, 3, 4)
    }


def test_the_double_audit_pairs_agree_with_grading_both_audits_again(cycle):
    """Pairs of first and second audits worked out by hand from their answers, not from the
    summaries."""
    completed = ["submitted", "final"]
    firsts, seconds = {}, {}
    for audit in Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, status__in=completed
    ).select_related("assignment__sampled_case", "template"):
        kept = firsts if audit.assignment.role == "primary" else seconds
        kept[audit.assignment.sampled_case.case_id] = audit
    overall: dict[tuple, int] = {}
    domains: dict[tuple, int] = {}
    for case_id, second in seconds.items():
        first = firsts.get(case_id)
        if first is None:
            continue
        key = (first.overall_grade, second.overall_grade)
        overall[key] = overall.get(key, 0) + 1
        theirs = domains_by_hand(
            second.template.definition, second.moderated_answers or second.answers
        )
        mine = domains_by_hand(first.template.definition, first.moderated_answers or first.answers)
        for domain, grade in mine.items():
            key = (domain, grade, theirs.get(domain))
            domains[key] = domains.get(key, 0) + 1
    pairs = report_inputs(cycle, cycle.frame.drawn_at)["double_audits"]
    assert sum(overall.values()) > 0
    assert pairs["cases"] == sum(overall.values())
    assert {(r["first"], r["second"]): r["cases"] for r in pairs["overall"]} == overall
    assert {(r["domain"], r["first"], r["second"]): r["cases"] for r in pairs["domains"]} == (
        domains
    )
