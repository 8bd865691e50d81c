"""Replacements and extensions take the next ranks from the reserve kept at the draw, not by
re-hashing the stored frame under the cycle lock, and give the very cases the verifiable
order (the stored frame under the seed) gives. Runs on SQLite and on PostgreSQL."""

from datetime import date

import pytest

from audits.core import reserve, sampling
from audits.models import Case, Cycle, Frame, SampledCase
from audits.selectors import sample_record
from audits.services import sample
from tests.conftest import use_local_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_of_this_test_only(settings, tmp_path):
    use_local_files(settings, tmp_path)


@pytest.fixture
def drawn(people, teams):
    cp, cla = teams["Child Protection One"], teams["Children Looked After"]
    Case.objects.bulk_create(
        Case(
            case_ref=f"R{(index * 7919) % 3000:05d}",
            team=cp if index % 3 else cla,
            case_type=["cp", "cin"][index % 2],
            opened_on=date(2025, 1, 1),
        )
        for index in range(3000)
    )
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        stratify_by="team_case_type",
        plan={"method": "fixed", "n": 40},
    )
    sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"], witness_input="reserve-1")
    cycle.refresh_from_db()
    return cycle


def verifiable_order(cycle: Cycle, stratum: str, ranks: int) -> list[str]:
    """The stratum's first `ranks` cases under the seed, from the stored frame file."""
    frame = cycle.frame
    rows = sample_record.stored_frame_rows(frame)
    selection = sampling.draw(rows, allocation={stratum: ranks}, seed=frame.seed)
    return [s.case_ref for s in selection[stratum]]


def frame_read_fails(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the stored frame was read")

    monkeypatch.setattr(sample_record, "stored_frame_rows", refuse)
    monkeypatch.setattr(sampling, "draw", refuse)


def active_in(cycle: Cycle, stratum: str) -> SampledCase:
    return SampledCase.objects.filter(
        cycle=cycle, stratum=stratum, status=SampledCase.Status.SELECTED
    ).first()


def test_the_draw_keeps_the_next_ranks_of_every_stratum_in_reserve(drawn):
    frame = drawn.frame
    assert set(frame.reserve) == set(frame.allocation)
    for stratum, n in frame.allocation.items():
        kept = frame.reserve[stratum]
        size = reserve.reserve_size(n, frame.strata_sizes[stratum])
        assert size >= reserve.RESERVE_MIN
        assert [rank for rank, _, _ in kept] == list(range(n + 1, n + size + 1))
        assert [ref for _, ref, _ in kept] == verifiable_order(drawn, stratum, n + size)[n:]
        # Ranks 1..n_h are the sample, unchanged by the reserve drawn with them.
        sampled = SampledCase.objects.filter(cycle=drawn, stratum=stratum).order_by("rank")
        assert [s.case.case_ref for s in sampled] == verifiable_order(drawn, stratum, n)


def test_a_replacement_gives_the_next_rank_without_reading_the_frame(drawn, people, monkeypatch):
    stratum = next(iter(drawn.frame.allocation))
    n = drawn.frame.allocation[stratum]
    expected = verifiable_order(drawn, stratum, n + 3)[n:]
    frame_read_fails(monkeypatch)
    replacements = [
        sample.sample_replace(
            sampled_case=active_in(drawn, stratum), actor=people["qa_lead_quinn"], reason="Moved"
        )
        for _ in range(3)
    ]
    assert [r.case.case_ref for r in replacements] == expected
    assert [r.rank for r in replacements] == [n + 1, n + 2, n + 3]
    monkeypatch.undo()
    assert sample_record.sample_verify(cycle=drawn)["match"] is True


def test_past_the_reserve_the_stored_frame_gives_the_same_order(drawn, people):
    stratum = next(iter(drawn.frame.allocation))
    n = drawn.frame.allocation[stratum]
    beyond = n + len(drawn.frame.reserve[stratum]) + 5
    added = sample.sample_extend(
        cycle=drawn,
        actor=people["qa_lead_quinn"],
        sizes={stratum: beyond},
        reason="Too few to say anything",
    )
    assert [a.case.case_ref for a in added] == verifiable_order(drawn, stratum, beyond)[n:]
    assert sample_record.sample_verify(cycle=drawn)["match"] is True


def test_a_draw_without_a_reserve_still_replaces_from_the_stored_frame(drawn, people):
    Frame.objects.filter(cycle=drawn).update(reserve={})
    drawn.refresh_from_db()
    stratum = next(iter(drawn.frame.allocation))
    n = drawn.frame.allocation[stratum]
    replacement = sample.sample_replace(
        sampled_case=active_in(drawn, stratum), actor=people["qa_lead_quinn"], reason="Moved"
    )
    assert replacement.case.case_ref == verifiable_order(drawn, stratum, n + 1)[n]


def test_a_stratum_used_up_says_so_without_reading_the_frame(people, teams, monkeypatch):
    Case.objects.bulk_create(
        Case(
            case_ref=f"S{index:03d}",
            team=teams["Child Protection One"],
            case_type="cp",
            opened_on=date(2025, 1, 1),
        )
        for index in range(3)
    )
    cycle = Cycle.objects.create(
        name="Small",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        plan={"method": "fixed", "n": 2},
    )
    sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"], witness_input="small")
    cycle.refresh_from_db()
    assert cycle.frame.reserve == {"all": [[3, *cycle.frame.reserve["all"][0][1:]]]}
    frame_read_fails(monkeypatch)
    lead = people["qa_lead_quinn"]
    sample.sample_replace(sampled_case=active_in(cycle, "all"), actor=lead, reason="Moved")
    with pytest.raises(sample.StateConflict):
        sample.sample_replace(sampled_case=active_in(cycle, "all"), actor=lead, reason="Moved")
