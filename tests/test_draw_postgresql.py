"""The draw on PostgreSQL as its own transaction: the frame file streamed from the database
in the draw's snapshot, the bounded selection, and concurrent draws."""

import gzip
import threading
import time
from datetime import date

import pytest
from django.db import connection, connections

from audits.core import sampling
from audits.core.errors import DomainError, StateConflict
from audits.models import Case, Cycle, Frame, SampledCase
from audits.selectors import frames, sample_record
from audits.services import sample
from tests.conftest import stored_path, use_local_files

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _files_of_this_test_only(settings, tmp_path):
    use_local_files(settings, tmp_path)


@pytest.fixture
def register(teams):
    cp, cla = teams["Child Protection One"], teams["Children Looked After"]
    Case.objects.bulk_create(
        Case(
            case_ref=f"R{(index * 7919) % 4000:05d}",  # stored out of order
            team=cp if index % 3 else cla,
            case_type=["cp", "cin", "cla"][index % 3],
            opened_on=date(2025, 1, 1),
            closed_on=date(2025, 2, 1) if index % 40 == 0 else None,
        )
        for index in range(4000)
    )


def new_cycle(n=60, name="Q3"):
    return Cycle.objects.create(
        name=name,
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        stratify_by="team_case_type",
        plan={"method": "fixed", "n": n},
    )


def test_a_draw_of_its_own_writes_the_same_frame_and_sample_as_python(people, register):
    cycle = new_cycle()
    assert not connection.in_atomic_block  # the draw is a transaction of its own
    frame = sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"], witness_input="s-1")

    rows = sorted(frames.frame_rows(cycle))
    assert len(rows) == 3900  # 100 closed before the period are left out
    assert frame.selection_path == "postgresql"
    assert frame.frame_hash == sampling.frame_hash(rows)
    stored = stored_path("frames", frame.frame_file).read_bytes()
    assert gzip.decompress(stored).decode().splitlines()[1:] == [f"{r},{s}" for r, s in rows]
    assert frame.seed == sampling.seed_from_parts(
        frame_hash=frame.frame_hash, server_random=frame.server_random, witness_input="s-1"
    )
    expected = sampling.draw(rows, allocation=frame.allocation, seed=frame.seed)
    drawn = {
        (s.stratum, s.rank, s.case.case_ref, s.selection_key)
        for s in SampledCase.objects.filter(cycle=cycle).select_related("case")
    }
    assert drawn == {
        (s.stratum, s.rank, s.case_ref, s.selection_key)
        for selected in expected.values()
        for s in selected
    }
    assert frame.exclusion_counts == {frames.EXCLUDED_CLOSED: 100}
    assert sample_record.sample_verify(cycle=cycle)["match"] is True
    # Nothing but the two files: no temporary file left behind.
    assert sorted(p.name for p in stored_path("frames", "").glob(f"*cycle-{cycle.pk}-*")) == [
        f"cycle-{cycle.pk}-exclusions.csv.gz",
        f"cycle-{cycle.pk}-frame.csv.gz",
    ]


def test_a_failed_draw_leaves_no_frame_file(people, teams):
    cycle = new_cycle()  # no cases: the frame is empty, found after the writer started
    with pytest.raises(DomainError, match="empty"):
        sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"])
    assert not list(stored_path("frames", "").glob(f"*cycle-{cycle.pk}-*"))
    assert not Frame.objects.filter(cycle=cycle).exists()


def test_the_bounded_selection_ranks_a_short_stratum_again_in_full(register):
    cycle = new_cycle()
    rows = list(frames.frame_rows(cycle))
    allocation = dict.fromkeys(frames.strata_sizes(cycle), 9)
    expected = sampling.draw(rows, allocation=allocation, seed="s-3")
    sizes = frames.strata_sizes(cycle)
    assert frames.select_in_database(cycle, allocation, "s-3", sizes=sizes) == expected
    # Sizes far too large make every bound too low: each stratum is ranked again in full.
    inflated = {stratum: size * 10_000 for stratum, size in sizes.items()}
    assert frames._selection_bound(9, inflated[next(iter(inflated))]) != frames.NO_BOUND
    assert frames.select_in_database(cycle, allocation, "s-3", sizes=inflated) == expected


def _wait_for_lock_wait(timeout=10.0):
    with connections["default"].cursor() as cursor:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the draw never waited for the cycle's lock")


def test_a_draw_that_waited_for_a_changed_cycle_gets_a_conflict(people, register):
    cycle = new_cycle()
    holder = connection.get_new_connection(connection.get_connection_params())
    outcome = {}

    def draw():
        try:
            sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"])
            outcome["result"] = "drawn"
        except StateConflict as conflict:
            outcome["result"] = str(conflict)
        finally:
            connections.close_all()

    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM audits_cycle WHERE id = %s FOR UPDATE", [cycle.pk])
            cursor.execute("UPDATE audits_cycle SET name = 'Q3 renamed' WHERE id = %s", [cycle.pk])
        drawer = threading.Thread(target=draw)
        drawer.start()
        _wait_for_lock_wait()
        holder.commit()
        drawer.join(timeout=30)
    finally:
        holder.close()
    assert outcome["result"] == "The cycle changed while its sample was being drawn; reload it."
    assert not Frame.objects.filter(cycle=cycle).exists()
    assert not list(stored_path("frames", "").glob(f"*cycle-{cycle.pk}-*"))
    # Drawn again, it goes through.
    sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"])
    assert Frame.objects.filter(cycle=cycle).count() == 1
