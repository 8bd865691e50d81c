"""A person's own notifications: marking them read, and which kinds also come by email.

Marking read is personal screen state, like the cursor in a form: it changes nothing anyone
else sees and is not recorded as an Event (the row keeps ``read_at``). Changing one's email
preferences is a choice about what the service sends, so it is recorded."""

from django.db import transaction
from django.utils import timezone

from audits.core import notification_kinds
from audits.core.errors import DomainError
from audits.models import Notification, NotificationPreference
from audits.services.history import event_record


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def email_kinds_of(user) -> list[str]:
    preference = NotificationPreference.objects.filter(user=user).first()
    return list(preference.email_kinds) if preference else list(notification_kinds.KINDS)


def notification_preferences_set(*, user, email_kinds) -> NotificationPreference:
    """Keep ``email_kinds`` by email (every other kind in the service only)."""
    if not isinstance(email_kinds, list | tuple) or not all(
        isinstance(kind, str) for kind in email_kinds
    ):
        raise DomainError("Choose kinds from the list.", fields={"email_kinds": ["a list"]})
    unknown = sorted(set(email_kinds) - set(notification_kinds.KINDS))
    if unknown:
        raise DomainError(
            "Choose kinds from the list.",
            fields={"email_kinds": [f"unknown kind: {kind}" for kind in unknown]},
        )
    chosen = [kind for kind in notification_kinds.KINDS if kind in email_kinds]
    with transaction.atomic():
        before = email_kinds_of(user)
        preference, created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user
        )
        preference.email_kinds = chosen
        preference.save()
        if created or before != chosen:
            event_record(
                actor=user,
                verb="notification.preferences_changed",
                obj=preference,
                before={"email_kinds": before},
                after={"email_kinds": chosen},
            )
    return preference
