"""Event and AccessLog rows are written once and never changed."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audits.models import Event
from audits.models.history import AppendOnlyError
from audits.services.history import event_record


def test_the_app_cannot_change_or_delete_an_event(db):
    event = event_record(actor=None, verb="test", object_type="x", object_id=1)
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert Event.objects.get(pk=event.pk).reason == ""


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_history(db):
    event = event_record(actor=None, verb="test", object_type="x", object_id=1)
    for statement in (
        "UPDATE audits_event SET reason = 'forged' WHERE id = %s",
        "DELETE FROM audits_event WHERE id = %s",
        "UPDATE audits_accesslog SET action = 'forged' WHERE id = %s",
    ):
        with (
            # The runtime role (CI) lacks the privilege; a role that has it meets the trigger.
            pytest.raises(DatabaseError, match=r"append-only|permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert Event.objects.filter(pk=event.pk, reason="").exists()
    # Bulk queryset operations go through SQL too and are refused as well.
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(reason="forged")
