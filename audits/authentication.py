"""API token authentication against hashed, expiring, revocable tokens."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from audits.models import ApiToken
from audits.models.accounts import hash_token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        token = (
            ApiToken.objects.usable()
            .select_related("user")
            .filter(key_hash=hash_token(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        # Recorded at most once a minute: a write on every autosave would double its cost.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
