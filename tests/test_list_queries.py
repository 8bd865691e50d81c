"""Every list page reads a fixed number of queries however many rows it lists: the same
count with 5 rows as with 50 (12 and 50 for a sample, which has a case per stratum at
least), and one page of rows at a time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audits.infra import data_mark
from audits.models import (
    Action,
    Assignment,
    Audit,
    Case,
    Cycle,
    Escalation,
    PractitionerResponse,
    ReportJob,
    SampledCase,
    Staff,
)
from tests.browser import scenarios

LEAD = "qa.lead"


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def queries(client: Client, url: str) -> int:
    """SQL statements of one GET of ``url`` (after a first one that warms the caches)."""
    assert client.get(url).status_code == 200
    counter = Counter()
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(scenarios.person(username))
    return client


@pytest.fixture
def cycle(db):
    scenarios.demo_council()
    return scenarios.assigned_cycle(n=60)


def _audits(cycle: Cycle):
    return Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, assignment__role="primary"
    ).order_by("pk")


def _grow(cycle: Cycle, make, url: str, username: str = LEAD) -> tuple[int, int]:
    """Queries of ``url`` with 5 rows made by ``make(audits)``, then with 50."""
    client = signed_in(username)
    audits = list(_audits(cycle).select_related("assignment__sampled_case__case"))
    assert len(audits) >= 50
    make(audits[:5])
    few = queries(client, url)
    make(audits[5:50])
    many = queries(client, url)
    return few, many


def _actions(lead_user, owner: Staff | None = None):
    def make(audits):
        Action.objects.bulk_create(
            Action(
                audit=audit,
                case=audit.assignment.sampled_case.case,
                team_id=audit.assignment.sampled_case.case.team_id,
                owner=owner or audit.assignment.sampled_case.case.worker,
                description="Update the plan",
                due_date=timezone.localdate() + timedelta(days=n - 3),
                created_by=lead_user,
            )
            for n, audit in enumerate(audits)
        )

    return make


def test_the_cycle_page_reads_the_same_queries_for_12_and_50_cases(db):
    scenarios.demo_council()
    small, large = scenarios.assigned_cycle("Small", n=12), scenarios.assigned_cycle("Large", n=50)
    for made in (small, large):
        assert not made.assignment_summary["unassignable"]
    lead = signed_in(LEAD)
    # The hub, and its two sub-pages: the sample (searched, filtered, a later page) and the
    # assignment (loads, unassignable cases, overrides, both pickers).
    for path in (
        "",
        "sample/",
        "sample/?sample_q=C&sample_status=selected&sample_sort=case",
        "sample/?sample_page=2",
        "assignment/",
    ):
        few = queries(lead, f"/cycles/{small.pk}/{path}")
        many = queries(lead, f"/cycles/{large.pk}/{path}")
        assert few == many, path
    page = lead.get(f"/cycles/{large.pk}/sample/?sample_q=C").content.decode()
    assert "of 50 cases" in page


def test_the_sample_search_finds_a_case_by_part_of_its_reference(db):
    scenarios.demo_council()
    cycle = scenarios.assigned_cycle("Searched", n=20)
    lead = signed_in(LEAD)
    sampled = SampledCase.objects.filter(cycle=cycle).select_related("case")
    wanted = sampled.order_by("pk").first().case.case_ref
    part = wanted[-4:].lower()  # any part, in any case
    page = lead.get(f"/cycles/{cycle.pk}/sample/?sample_q={part}").content.decode()
    shown = [row.case.case_ref for row in sampled if part.upper() in row.case.case_ref.upper()]
    assert wanted in shown
    for ref in shown:
        assert f'<th scope="row">{ref}' in page
    for row in sampled:
        if row.case.case_ref not in shown:
            assert f'<th scope="row">{row.case.case_ref}<' not in page
    # A case of the register outside the sample is never found through the sample.
    outside = Case.objects.exclude(pk__in=sampled.values("case_id")).first()
    page = lead.get(f"/cycles/{cycle.pk}/sample/?sample_q={outside.case_ref}").content.decode()
    assert "No cases match" in page


def test_the_cycle_list_reads_the_same_queries_for_5_and_50_cycles(db):
    scenarios.demo_council()
    lead = signed_in(LEAD)
    for n in range(5):
        scenarios.planned_cycle(f"Cycle {n}")
    few = queries(lead, "/cycles/")
    for n in range(5, 50):
        scenarios.planned_cycle(f"Cycle {n}")
    assert queries(lead, "/cycles/") == few


def test_the_moderation_queue_reads_the_same_queries_for_5_and_50_audits(cycle):
    def make(audits):
        Audit.objects.filter(pk__in=[a.pk for a in audits]).update(
            status="submitted", submitted_at=timezone.now(), overall_grade=2
        )

    few, many = _grow(cycle, make, "/moderation/")
    assert few == many


def test_the_actions_board_reads_the_same_queries_for_5_and_50_actions(cycle):
    few, many = _grow(cycle, _actions(scenarios.person(LEAD)), "/actions/")
    assert few == many


def test_my_actions_reads_the_same_queries_for_5_and_50_actions(cycle):
    owner = Staff.objects.get(user__username="sw0101")
    few, many = _grow(
        cycle, _actions(scenarios.person(LEAD), owner), "/actions/mine/", username="sw0101"
    )
    assert few == many


def test_escalations_read_the_same_queries_for_5_and_50(cycle):
    lead = scenarios.person(LEAD)

    def make(audits):
        Escalation.objects.bulk_create(
            Escalation(
                audit=audit,
                raised_by=lead,
                concern="A concern",
                due_at=timezone.now() + timedelta(days=1),
                status="open" if n % 2 else "acknowledged",
                acknowledged_by=None if n % 2 else lead,
                acknowledged_at=None if n % 2 else timezone.now(),
            )
            for n, audit in enumerate(audits)
        )

    few, many = _grow(cycle, make, "/escalations/")
    assert few == many


def test_responses_read_the_same_queries_for_5_and_50(cycle):
    def make(audits):
        PractitionerResponse.objects.bulk_create(
            PractitionerResponse(
                audit=audit,
                staff=audit.assignment.sampled_case.case.worker,
                held_as="worker",
                verdict="agree",
            )
            for audit in audits
        )

    few, many = _grow(cycle, make, "/responses/")
    assert few == many


def test_my_audits_reads_the_same_queries_for_5_and_50_audits(cycle):
    auditor = Staff.objects.get(user__username="auditor.1")

    def make(audits):
        ids = [a.assignment_id for a in audits]
        Assignment.objects.filter(pk__in=ids).update(auditor=auditor)
        # some submitted, some returned: every section of the page has rows
        Audit.objects.filter(assignment_id__in=ids[::3]).update(
            status="submitted", submitted_at=timezone.now()
        )
        Audit.objects.filter(assignment_id__in=ids[1::3]).update(status="returned")

    Assignment.objects.filter(auditor=auditor).exclude(
        sampled_case__cycle=cycle
    ).delete()  # none elsewhere
    few, many = _grow(cycle, make, "/audits/", username="auditor.1")
    assert few == many


def test_the_sampling_record_reads_the_same_queries_for_12_and_50_cases(db):
    scenarios.demo_council()
    small, large = scenarios.assigned_cycle("Small", n=12), scenarios.assigned_cycle("Large", n=50)
    reader = signed_in("internal.audit")
    few = queries(reader, f"/assurance/cycles/{small.pk}/sampling/")
    assert queries(reader, f"/assurance/cycles/{large.pk}/sampling/") == few


def test_cycle_reports_read_the_same_queries_for_5_and_50_requests(cycle):
    lead = scenarios.person(LEAD)

    def make(audits):
        ReportJob.objects.bulk_create(
            ReportJob(cycle=cycle, as_of=timezone.now(), requested_by=lead, status="failed")
            for _ in audits
        )

    few, many = _grow(cycle, make, f"/cycles/{cycle.pk}/reports/")
    assert few == many


def test_a_list_longer_than_a_page_is_paged_with_its_filters_kept(cycle):
    _actions(scenarios.person(LEAD))(
        list(_audits(cycle).select_related("assignment__sampled_case__case"))
    )
    lead = signed_in(LEAD)
    total = Action.objects.count()
    assert total > 50
    first = lead.get("/actions/?status=open").content.decode()
    assert f"Showing 1 to 50 of {total} actions" in first
    assert 'href="?status=open&amp;page=2"' in first
    second = lead.get("/actions/?status=open&page=2").content.decode()
    assert f"Showing 51 to {total} of {total} actions" in second
    assert 'rel="prev"' in second
    # a page past the end shows the last page; nonsense shows the first
    assert f"Showing 51 to {total}" in lead.get("/actions/?page=999").content.decode()
    assert "Showing 1 to 50" in lead.get("/actions/?page=x'--").content.decode()


def test_unassignable_cases_are_summarised_by_the_reason_that_decided_it():
    from audits.web.cycle_lists import NO_CAPACITY, NOT_INDEPENDENT, unassignable_summary

    full = {"reasons": ["R1", "capacity"], "role": "primary", "blocked": {"A": ["capacity"]}}
    ruled_out = {"reasons": ["R1"], "role": "second", "blocked": {"A": ["R1"], "B": ["R1"]}}
    summary = unassignable_summary([full] * 120 + [ruled_out] * 14)
    assert summary["total"] == 134
    assert summary["by_reason"] == [
        {"count": 120, "why": NO_CAPACITY},
        {"count": 14, "why": NOT_INDEPENDENT},
    ]
    assert summary["by_role"] == ["120 first audits", "14 second audits"]


def test_the_cycle_page_gives_the_unassignable_total_before_the_detail(db):
    scenarios.demo_council()
    Staff.objects.filter(user__groups__name="auditor").update(capacity=1)
    cycle = scenarios.assigned_cycle("Tight", n=40)
    rows = cycle.assignment_summary["unassignable"]
    assert rows
    page = signed_in(LEAD).get(f"/cycles/{cycle.pk}/assignment/").content.decode()
    total = page.index(f"{len(rows)} case{'s' if len(rows) != 1 else ''} could not be assigned")
    assert total < page.index('id="unassignable-table"')


def test_the_new_action_form_reads_the_same_queries_for_5_and_50_audits(cycle):
    def make(audits):
        Audit.objects.filter(pk__in=[a.pk for a in audits]).update(
            status="submitted", submitted_at=timezone.now(), overall_grade=2
        )

    few, many = _grow(cycle, make, "/actions/new/")
    assert few == many
    form = signed_in(LEAD).get("/actions/new/").content.decode()
    audit = _audits(cycle).select_related("assignment__sampled_case__case").first()
    # suggested as a case reference (the form no longer lists every audit)
    assert f'<option value="{audit.assignment.sampled_case.case.case_ref}"></option>' in form


def test_the_suggested_cases_are_those_of_the_latest_audits_in_order(cycle, monkeypatch):
    """Read in two steps (the audits' cases, then their references), the suggestions are
    the references of the latest audits an action can follow, latest first, each once, as
    one joined query would list them, and never more than the form suggests."""
    from audits.selectors import scoping
    from audits.web import action_new

    audits = list(_audits(cycle).select_related("assignment__sampled_case__case"))
    now = timezone.now()
    for n, audit in enumerate(audits[:30]):
        Audit.objects.filter(pk=audit.pk).update(
            status="submitted" if n % 3 else "final",
            submitted_at=now - timedelta(hours=n % 7, minutes=n),
            overall_grade=2,
        )
    lead = scenarios.person(LEAD)
    joined = action_new._audits(lead).values_list(
        "assignment__sampled_case__case__case_ref", flat=True
    )
    for limit in (500, 10):
        monkeypatch.setattr(action_new, "SUGGESTED_CASES", limit)
        with scoping.read_once_per_page():
            found = action_new.case_suggestions(lead)
        assert found == list(dict.fromkeys(joined[:limit]))
        assert len(found) == min(limit, 30)  # the audits not yet started are not listed


def test_a_later_page_of_a_list_shows_its_rows_in_the_list_order(db):
    """A page is read as its keys in order, then its rows: the rows come back in the order
    of the list, for every sort."""
    scenarios.demo_council()
    large = scenarios.assigned_cycle("Large", n=60)
    lead = signed_in(LEAD)
    rows = SampledCase.objects.filter(cycle=large).select_related("case")
    sorts = (("rank", ("stratum", "rank", "pk")), ("case", ("case__case_ref", "pk")))
    # Each order, and each again through a search every case matches (a search pages the
    # keys it found, in the same order).
    for (sort, order), search in [(each, q) for each in sorts for q in ("", "&sample_q=c")]:
        url = f"/cycles/{large.pk}/sample/?sample_sort={sort}&sample_page=2{search}"
        page = lead.get(url).content.decode()
        assert "Showing 51 to 60 of 60 cases" in page, url
        expected = [row.case.case_ref for row in rows.order_by(*order)[50:]]
        assert len(expected) >= 10
        where = [page.index(f'<th scope="row">{ref}') for ref in expected]
        assert where == sorted(where), sort
        before = rows.order_by(*order)[49].case.case_ref
        assert f'<th scope="row">{before}<' not in page


def test_the_cycle_keeps_one_reason_per_unassignable_case_and_the_event_the_detail(db):
    """The cycle row (read by every view of its page) keeps, per case no one could take,
    the reason that decided it; what stopped each auditor is in the assignment's Event."""
    from audits.models import Event
    from audits.web.cycle_lists import NO_CAPACITY, unassignable_summary

    scenarios.demo_council()
    Staff.objects.filter(user__groups__name="auditor").update(capacity=1)
    cycle = scenarios.assigned_cycle("Tight", n=40)
    rows = cycle.assignment_summary["unassignable"]
    assert rows
    assert all("blocked" not in row and row["why"] for row in rows)
    event = Event.objects.get(verb="cycle.assigned", object_id=str(cycle.pk))
    detail = {(row["sampled_case"], row["role"]): row for row in event.after["unassignable"]}
    for row in rows:
        kept = detail[row["sampled_case"], row["role"]]
        assert kept["blocked"]  # every auditor of the pool, with what stopped them
        assert {k: v for k, v in kept.items() if k != "blocked"} == row
    # Capacity decided here: the auditors were independent of the case, but full.
    summary = unassignable_summary(rows)
    assert summary["total"] == len(rows)
    assert NO_CAPACITY in [group["why"] for group in summary["by_reason"]]


def test_the_dashboard_reads_the_same_queries_for_5_and_50_audits(cycle, committed):
    """Computed (the cache emptied before each count) and kept: the same queries either way
    however many audits are in."""
    from django.core.cache import cache

    client = signed_in(LEAD)
    url = f"/dashboard/?cycle={cycle.pk}"
    counts = []
    for audits in (_audits(cycle)[:5], _audits(cycle)[5:50]):
        with committed():
            Audit.objects.filter(pk__in=[a.pk for a in audits]).update(
                status="submitted", submitted_at=timezone.now(), overall_grade=2
            )
            data_mark.moved()  # as the services do with each change
        kept = queries(client, url)  # the first GET computes, the one counted reads the cache
        cache.clear()
        counter = Counter()
        with connection.execute_wrapper(counter):
            assert client.get(url).status_code == 200
        counts.append((counter.count, kept))
    assert counts[0] == counts[1]
    assert counts[0][1] < counts[0][0]  # kept figures skip the inputs


def test_a_page_read_asks_which_cycles_one_runs_once(cycle):
    """The moderation queue asks twice (its audits, its double audits); a page read (GET)
    reads it once, anything else every time."""
    from audits.core import roles
    from audits.selectors import scoping

    lead = scenarios.person(LEAD)
    roles.roles_of(lead)  # read once, kept on the user

    def asked_twice() -> tuple[int, int]:
        """The queries of the first question, and of the second."""
        counts = []
        for _ in range(2):
            counter = Counter()
            with connection.execute_wrapper(counter):
                assert cycle.pk in scoping._managed_cycle_ids(lead)
            counts.append(counter.count)
        return tuple(counts)

    assert asked_twice() == (1, 1)  # one query, the rule a subquery
    with scoping.read_once_per_page():
        first, second = asked_twice()  # its inputs read (cycle_rule.cycles_run_by)...
        assert first > 0
        assert second == 0  # ...once
    assert asked_twice() == (1, 1)  # forgotten once the page is read
