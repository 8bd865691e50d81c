"""Reads of one moment on two connections (PostgreSQL): what the report's inputs use."""

import pytest
from django.db import connection, transaction

from audits.models import Team
from audits.selectors import snapshot
from audits.selectors.report_build import report_build
from audits.selectors.report_inputs import report_inputs
from tests.builders import finished_cycle

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def rename_elsewhere(team: Team, name: str) -> None:
    """Commit a change from a connection of its own, as another user's request would."""
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("UPDATE audits_team SET name = %s WHERE id = %s", [name, team.pk])
        other.commit()
    finally:
        other.close()


def test_both_connections_read_the_moment_the_block_began(teams):
    team = teams["Child Protection One"]
    with snapshot.one_snapshot():
        assert Team.objects.get(pk=team.pk).name == "Child Protection One"  # the moment
        rename_elsewhere(team, "Renamed meanwhile")
        here, there = snapshot.in_parallel(
            lambda: Team.objects.get(pk=team.pk).name,
            lambda: (Team.objects.get(pk=team.pk).name, connection.in_atomic_block),
        )
    assert here == "Child Protection One"
    assert there == ("Child Protection One", True)  # read on the second connection
    assert Team.objects.get(pk=team.pk).name == "Renamed meanwhile"


def test_inside_a_larger_transaction_the_reads_stay_on_one_connection(teams):
    with transaction.atomic(), snapshot.one_snapshot():
        assert not snapshot.shareable()
        assert snapshot.in_parallel(lambda: 1, lambda: 2) == (1, 2)


def test_an_error_on_the_second_connection_reaches_the_caller(teams):
    def fails():
        raise LookupError("from the second connection")

    with pytest.raises(LookupError, match="second connection"), snapshot.one_snapshot():
        snapshot.in_parallel(lambda: Team.objects.count(), fails)


def test_report_inputs_are_the_same_on_two_connections_as_on_one(monkeypatch):
    cycle = finished_cycle(complete=0.9)
    exported = []
    monkeypatch.setattr(
        snapshot, "export", lambda real=snapshot.export: exported.append(1) or real()
    )
    as_of = cycle.frame.drawn_at
    on_two = report_inputs(cycle, as_of)
    assert exported == [1]  # the groupings ran on a second connection
    with transaction.atomic():
        on_one = report_inputs(cycle, as_of)
    assert exported == [1]
    assert on_two == on_one
    assert on_two["double_audits"]["cases"] > 0
    assert on_two["domain_grades"]


def test_a_report_build_reads_its_inputs_on_two_connections_inside_its_snapshot(monkeypatch):
    cycle = finished_cycle(complete=0.9)
    exported = []
    real_export = snapshot.export
    monkeypatch.setattr(snapshot, "export", lambda: exported.append(1) or real_export())
    figures, report_hash, rows, _ = report_build(
        cycle, cycle.frame.drawn_at
    )  # nested blocks inside
    assert exported == [1]
    assert rows
    assert figures["opinion"]["level"]
    assert report_build(cycle, cycle.frame.drawn_at)[1] == report_hash


def test_no_snapshot_is_shared_from_inside_a_savepoint(teams):
    with snapshot.one_snapshot():
        assert snapshot.shareable()
        with transaction.atomic():  # a savepoint
            assert not snapshot.shareable()
            assert snapshot.in_parallel(lambda: 1, lambda: 2) == (1, 2)
