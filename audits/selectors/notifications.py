"""A person's notifications: only their own, ever (there is no wider scope to widen)."""

from audits.models import Notification


def notifications_for(user):
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
