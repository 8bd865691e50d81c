"""The draw's exclusions file, read in one pass over the candidates whatever the number of
rules: each left-out case once, under its first reason, reason by reason in the rules'
order, each reason's cases by case reference (the order the file has always had)."""

import gzip
from datetime import date

import pytest
from django.core.files.storage import storages

from audits.core import sampling
from audits.models import Case, Cycle, SampledCase
from audits.selectors import frames
from audits.services import sample

CLOSED, RECENT = "closed before the period", "audited in the last 12 months"


@pytest.fixture
def left_out(teams):
    """Cases 2001-2030; 2003, 2011, 2027 closed before the period; 2002, 2011, 2019 and
    2025 sampled in an earlier cycle (2011 under both rules)."""
    team = teams["Child Protection One"]
    Case.objects.bulk_create(
        Case(case_ref=str(ref), team=team, case_type="cp", opened_on=date(2025, 1, 1))
        for ref in range(2030, 2000, -1)  # stored out of order
    )
    Case.objects.filter(case_ref__in=["2027", "2003", "2011"]).update(closed_on=date(2025, 3, 1))
    earlier = Cycle.objects.create(
        name="Q2", period_start=date(2025, 4, 1), period_end=date(2025, 6, 30), status="sampled"
    )
    for rank, ref in enumerate(["2025", "2011", "2002", "2019"], start=1):
        SampledCase.objects.create(
            cycle=earlier,
            case=Case.objects.get(case_ref=ref),
            stratum="all",
            rank=rank,
            selection_key=f"{rank:064d}",
        )
    return Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        plan={"method": "fixed", "n": 3},
    )


EXPECTED = [
    ("2003", CLOSED),
    ("2011", CLOSED),  # under its first reason only
    ("2027", CLOSED),
    ("2002", RECENT),
    ("2019", RECENT),
    ("2025", RECENT),
]


def test_each_case_is_left_out_once_under_its_first_reason_in_the_files_order(left_out):
    assert list(frames.exclusions(left_out)) == EXPECTED
    frame_refs = set(frames.frame_cases(left_out).values_list("case_ref", flat=True))
    assert frame_refs.isdisjoint(ref for ref, _ in EXPECTED)
    assert len(frame_refs) + len(EXPECTED) == 30


def test_a_rule_turned_off_leaves_its_cases_in_the_frame(left_out):
    left_out.exclude_audited_months = 0
    assert list(frames.exclusions(left_out)) == EXPECTED[:3]
    left_out.exclude_closed_before_period = False
    assert list(frames.exclusions(left_out)) == []


def test_the_drawn_frames_exclusions_file_lists_them_so(left_out, people):
    frame = sample.sample_draw(cycle=left_out, actor=people["qa_lead_quinn"])
    with storages["frames"].open(frame.exclusions_file, "rb") as stored:
        lines = gzip.decompress(stored.read()).decode().splitlines()
    assert lines == ["case_ref,reason", *(f"{ref},{reason}" for ref, reason in EXPECTED)]
    assert frame.exclusion_counts == {CLOSED: 3, RECENT: 3}
    assert frame.size == 24


@pytest.mark.postgres
def test_an_exclusions_file_of_many_blocks_in_postgresql_lists_and_counts_every_case(
    left_out, people
):
    """In PostgreSQL the lines are built in the database and written 10,000 at a time:
    more than a block of left-out cases, under both rules and in mixed case, still gives
    every case once, reason by reason, each reason's cases in code point order (as in the
    frame, whatever the database's collation), and the counts by reason."""
    team = left_out.teams.model.objects.get(name="Child Protection One")
    Case.objects.bulk_create(
        Case(
            case_ref=f"{'ab'[ref % 2]}{'Xy'[ref % 3 % 2]}-{ref}",
            team=team,
            case_type="cp",
            opened_on=date(2024, 1, 1),
            closed_on=date(2024, 6, 1),
        )
        for ref in range(frames.FRAME_BLOCK + 500)
    )
    order = [CLOSED, RECENT]
    expected = sorted(frames.exclusions(left_out), key=lambda row: (order.index(row[1]), row[0]))
    assert len(expected) == frames.FRAME_BLOCK + 500 + len(EXPECTED)
    assert expected[:2] == [("2003", CLOSED), ("2011", CLOSED)]  # "2..." < "a..." < "b..."
    frame = sample.sample_draw(cycle=left_out, actor=people["qa_lead_quinn"])
    with storages["frames"].open(frame.exclusions_file, "rb") as stored:
        lines = gzip.decompress(stored.read()).decode().splitlines()
    assert lines == ["case_ref,reason", *(f"{ref},{reason}" for ref, reason in expected)]
    assert frame.exclusion_counts == {CLOSED: frames.FRAME_BLOCK + 503, RECENT: 3}
    assert list(frame.exclusion_counts) == [CLOSED, RECENT]  # in the rules' order


def test_a_left_out_case_ref_with_a_line_break_stops_the_draw_and_leaves_no_file(left_out, people):
    """A line break in a case_ref would split its line in two (and, in PostgreSQL, the
    counts read from the lines' endings): the draw refuses it, on either database."""
    Case.objects.filter(case_ref="2003").update(case_ref="2003\nclosed")
    with pytest.raises(sampling.SamplingError, match="line break"):
        sample.sample_draw(cycle=left_out, actor=people["qa_lead_quinn"])
    assert not storages["frames"].exists(f"cycle-{left_out.pk}-exclusions.csv.gz")
