"""Disabling a user ends their sessions and revokes their API tokens at once."""

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from audits.models import ApiToken


@receiver(pre_save, sender=User)
def end_access_of_disabled_users(sender, instance: User, **kwargs) -> None:
    if instance.pk is None or instance.is_active:
        return
    was_active = User.objects.filter(pk=instance.pk, is_active=True).exists()
    if not was_active:
        return
    ApiToken.objects.usable().filter(user=instance).update(revoked_at=timezone.now())
    user_id = str(instance.pk)
    # Sessions are signed blobs keyed by session key, so finding a user's sessions means
    # reading the live ones; there are few (idle sessions expire after 30 minutes).
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()
