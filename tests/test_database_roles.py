"""History the application cannot rewrite: on PostgreSQL the suite runs as the runtime role
(DATABASE_URL) that the web and worker processes use, and the tables belong to the owner role
(DATABASE_OWNER_URL) that ran the migrations. Everything an attacker holding the runtime
role's connection tried is refused; the retention purge still works through its one narrow
path, and keeps what is held."""

from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.utils import DatabaseError
from django.utils import timezone

from audits.models import AccessLog, Case, Event, RetentionPolicy, Team
from audits.services.history import access_record, event_record
from audits.services.retention import retention_purge
from tests.conftest import service_missing

pytestmark = pytest.mark.postgres

REFUSED = r"permission denied|must be owner|must be member|append-only"


@pytest.fixture
def runtime_role(db):
    if not settings.DATABASE_OWNER:
        service_missing("DATABASE_OWNER_URL is not set: the suite runs as one role")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


@pytest.fixture
def history(runtime_role, people):
    event = event_record(
        actor=None,
        verb="sample.drawn",
        object_type="cycle",
        object_id=1,
        after={"seed": "the seed that was drawn"},
    )
    read = access_record(user=people["manager_bob"], obj=people["manager_bob"])
    return event, read


def counts():
    return Event.objects.count(), AccessLog.objects.count()


def test_the_suite_runs_as_a_runtime_role_that_owns_nothing(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, pg_has_role(current_user, %s, 'MEMBER') "
            "FROM pg_roles WHERE rolname = current_user",
            [settings.DATABASE_OWNER["USER"]],
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()"
        )
        assert [row[0] for row in cursor.fetchall()] == [settings.DATABASE_OWNER["USER"]]
    assert runtime_role == settings.DATABASE_RUNTIME_ROLE


ATTACKS = {
    "update-event": ['UPDATE audits_event SET after = \'{"seed": "forged"}\''],
    "delete-event": ["DELETE FROM audits_event"],
    "truncate-event": ["TRUNCATE audits_event"],
    "update-accesslog": ["UPDATE audits_accesslog SET action = 'forged'"],
    "delete-accesslog": ["DELETE FROM audits_accesslog"],
    "truncate-accesslog": ["TRUNCATE audits_accesslog"],
    "truncate-both-cascade": ["TRUNCATE audits_accesslog, audits_event CASCADE"],
    "disable-trigger": ["ALTER TABLE audits_event DISABLE TRIGGER audits_event_append_only"],
    "disable-all-triggers": ["ALTER TABLE audits_accesslog DISABLE TRIGGER ALL"],
    "drop-trigger": ["DROP TRIGGER audits_event_append_only ON audits_event"],
    "take-ownership": ["ALTER TABLE audits_event OWNER TO CURRENT_USER"],
    "drop-table": ["DROP TABLE audits_accesslog"],
    "replace-trigger-function": [
        "CREATE OR REPLACE FUNCTION caseassure_refuse_change() RETURNS trigger "
        "AS $$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql"
    ],
    "replica-mode-then-delete": [
        "SET LOCAL session_replication_role = replica",
        "DELETE FROM audits_event",
    ],
    "purge-switch-then-delete": ["SET LOCAL caseassure.purge = 'on'", "DELETE FROM audits_event"],
    "purge-switch-by-function-then-delete": [
        "SELECT set_config('caseassure.purge', 'on', true)",
        "DELETE FROM audits_accesslog",
    ],
    "grant-itself-then-delete": [
        "GRANT UPDATE, DELETE ON audits_event TO CURRENT_USER",
        "DELETE FROM audits_event",
    ],
    "become-owner-then-delete": ["SET ROLE @owner@", "DELETE FROM audits_event"],
    "create-table": ["CREATE TABLE audits_event_copy (id bigint)"],
}


@pytest.mark.parametrize("statements", list(ATTACKS.values()), ids=list(ATTACKS))
def test_the_runtime_role_cannot_rewrite_history(history, statements):
    before = counts()
    owner = connection.ops.quote_name(settings.DATABASE_OWNER["USER"])
    with (  # noqa: PT012 (an attack of several steps; any may be refused)
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for statement in statements:
            cursor.execute(statement.replace("@owner@", owner))
    assert counts() == before
    assert Event.objects.get(pk=history[0].pk).after == {"seed": "the seed that was drawn"}


def test_the_runtime_role_keeps_its_ordinary_work(history):
    """The refusals above come from the role, not from a broken connection: the runtime
    role changes and deletes ordinary rows and adds history."""
    team = Team.objects.create(name="Short Breaks", service_area="disability")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audits_team SET name = 'Renamed' WHERE id = %s", [team.pk])
        cursor.execute("DELETE FROM audits_team WHERE id = %s", [team.pk])
    event_record(actor=None, verb="test.added", object_type="x", object_id=2)
    assert counts() == (2, 1)


def _purge_as_of(day, *, time_zone: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [time_zone])
        cursor.execute("SELECT caseassure_retention_purge(false, %s)", [day])


def test_the_purge_function_cannot_look_ahead(history):
    tomorrow = timezone.localdate() + timedelta(days=1)
    # Etc/GMT-14 is where today ends last: the function's "today" does not follow it.
    with pytest.raises(DatabaseError, match="as of today only"):
        _purge_as_of(tomorrow, time_zone="Etc/GMT-14")
    assert counts() == (1, 1)


@pytest.fixture
def old_history(runtime_role, people, teams):
    long_ago = date.today() - timedelta(days=365 * 8)
    facts = {"team": teams["Child Protection One"], "case_type": "cp", "opened_on": long_ago}
    free = Case.objects.create(case_ref="C1", **facts)
    held = Case.objects.create(case_ref="C2", legal_hold=True, **facts)
    bob = people["manager_bob"]
    with time_machine.travel(timezone.now() - timedelta(days=365 * 9)):
        for case in (free, held):
            access_record(user=bob, obj=case)
            event_record(actor=bob, verb="case.updated", obj=case)
    with time_machine.travel(timezone.now() - timedelta(days=200)):
        # Past a one-month policy, but younger than the year kept whatever the policy says.
        access_record(user=bob, obj=free)
    return free, held


def _history_of(case):
    return (
        Event.objects.filter(object_type="case", object_id=str(case.pk)).count(),
        AccessLog.objects.filter(object_type="case", object_id=str(case.pk)).count(),
    )


def test_the_purge_works_through_its_narrow_path_and_keeps_held_history(old_history):
    free, held = old_history
    RetentionPolicy.objects.create(record_type="access_log", months=1)
    report = retention_purge(dry_run=False)
    assert report["access_log"] == {"months": 12, "legal_hold": False, "deleted": 1}
    assert report["event"] == {"months": 84, "legal_hold": False, "deleted": 1}
    assert _history_of(free) == (0, 1)  # the old rows went; the 200-day-old read stayed
    assert _history_of(held) == (1, 1)  # a case under legal hold keeps all its history
    ran = Event.objects.get(verb="retention.history_purged")
    assert ran.actor is None
    assert ran.after == {"access_log": report["access_log"], "event": report["event"]}


def test_a_held_record_type_is_not_purged_even_through_the_function(old_history):
    RetentionPolicy.objects.create(record_type="event", months=12, legal_hold=True)
    before = Event.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT caseassure_retention_purge(false, current_date)")
    assert Event.objects.exclude(verb="retention.history_purged").count() == before
    assert AccessLog.objects.count() == 2  # the old read of the free case went


@pytest.fixture
def owner_connection(runtime_role):
    """A second connection, as the owner role, to the same (test) database."""
    owner = DatabaseWrapper({**connection.settings_dict, **settings.DATABASE_OWNER}, "owner")
    yield owner
    owner.close()


@pytest.mark.django_db(transaction=True)
def test_even_the_owner_changes_no_history_outside_the_purge_function(owner_connection):
    event = event_record(actor=None, verb="sample.drawn", object_type="cycle", object_id=1)
    for statement in (
        "UPDATE audits_event SET reason = 'forged'",
        "DELETE FROM audits_event",
        "SET LOCAL caseassure.purge = 'on'; UPDATE audits_event SET reason = 'forged'",
    ):
        with pytest.raises(DatabaseError, match="append-only"), owner_connection.cursor() as cursor:
            cursor.execute(statement)
        owner_connection.rollback()
    assert Event.objects.get(pk=event.pk).reason == ""
