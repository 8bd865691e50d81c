"""Retention: a dry run reports and deletes nothing; the purge deletes what is past its
period; a legal hold (on a case or on a whole record type) stops it."""

import io
import json
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audits.models import AccessLog, Case, Event, RetentionPolicy
from audits.services.history import access_record, event_record
from audits.services.retention import retention_purge


@pytest.fixture
def old_records(people, teams):
    cp = teams["Child Protection One"]
    long_ago = date.today() - timedelta(days=365 * 8)
    facts = {
        "team": cp,
        "case_type": "cp",
        "opened_on": long_ago,
        "closed_on": long_ago + timedelta(days=30),
    }
    closed = Case.objects.create(case_ref="C1", **facts)
    held = Case.objects.create(case_ref="C2", legal_hold=True, **facts)
    with time_machine.travel(timezone.now() - timedelta(days=365 * 3)):
        access_record(user=people["manager_bob"], obj=closed)
        access_record(user=people["manager_bob"], obj=held)
    access_record(user=people["manager_bob"], obj=closed)  # recent: kept
    return closed, held


def test_a_dry_run_reports_counts_and_deletes_nothing(old_records):
    out = io.StringIO()
    call_command("purge_retention", "--dry-run", stdout=out)
    report = json.loads(out.getvalue())["purge"]
    assert report["access_log"]["deleted"] == 1
    assert report["closed_case"]["deleted"] == 1
    assert AccessLog.objects.count() == 3
    assert Case.objects.count() == 2


def test_the_purge_deletes_expired_records_but_not_held_ones(old_records):
    closed, held = old_records
    report = retention_purge(dry_run=False)
    assert report["closed_case"]["deleted"] == 1
    assert list(Case.objects.values_list("case_ref", flat=True)) == ["C2"]
    remaining = set(AccessLog.objects.values_list("object_id", flat=True))
    assert remaining == {str(held.pk), str(closed.pk)}  # the held case's old row and a recent one
    assert Event.objects.filter(verb="retention.purged").exists()


def test_a_legal_hold_on_a_record_type_stops_its_purge(old_records):
    RetentionPolicy.objects.create(record_type="closed_case", months=12, legal_hold=True)
    report = retention_purge(dry_run=False)
    assert report["closed_case"] == {"months": 12, "legal_hold": True, "deleted": 0}
    assert Case.objects.count() == 2


def test_a_short_policy_never_purges_history_younger_than_a_year(people, teams):
    """An admin (or anyone holding the application's connection) cannot turn the purge into
    a way to wipe recent history: a year of it is kept whatever the policy says."""
    with time_machine.travel(timezone.now() - timedelta(days=200)):
        event_record(actor=None, verb="sample.drawn", object_type="cycle", object_id=1)
        access_record(user=people["manager_bob"], obj=people["manager_bob"])
    RetentionPolicy.objects.create(record_type="event", months=0)
    RetentionPolicy.objects.create(record_type="access_log", months=1)
    report = retention_purge(dry_run=False)
    assert report["event"]["deleted"] == report["access_log"]["deleted"] == 0
    assert report["event"]["months"] == report["access_log"]["months"] == 12
    assert Event.objects.filter(verb="sample.drawn").exists()
    assert AccessLog.objects.count() == 1
