"""Writing the append-only history. Callers run these inside their own transaction."""

from typing import Any

from audits.models import AccessLog, Event


def event_record(
    *,
    actor,
    verb: str,
    obj=None,
    object_type: str = "",
    object_id: Any = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> Event:
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        reason=reason,
    )


def access_record(*, user, obj, action: str = "read") -> AccessLog:
    return AccessLog.objects.create(
        user=user, object_type=obj._meta.model_name, object_id=str(obj.pk), action=action
    )
