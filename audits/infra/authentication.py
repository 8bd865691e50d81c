"""API token authentication against hashed, expiring, revocable tokens."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from audits.core import roles
from audits.models import ApiToken
from audits.models.accounts import hash_token
from audits.selectors import hot_reads

# A token's last use is recorded at most once a minute: a write on every autosave would
# double its cost.
USE_RECORDED_EVERY = timedelta(minutes=1)


def token_lookup(raw: str) -> tuple[User, ApiToken] | None:
    """The user and token of a raw key that is neither revoked nor expired, or None. The
    user's roles are cached on the user (``roles.roles_of`` asks nothing more); the token
    comes with only its id and user loaded."""
    now = timezone.now()
    found = hot_reads.token_rows(hash_token(raw), now, now - USE_RECORDED_EVERY)
    if not found:
        return None
    user = found[0]
    roles.remember(user, {row.role_name for row in found if row.role_name})
    token = ApiToken.from_db(connection.alias, ["id", "user_id"], [user.token_id, user.pk])
    token.user = user
    if user.use_not_recorded:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user, token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        found = token_lookup(key)
        if found is None or not found[0].is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return found
