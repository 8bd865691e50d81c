"""API token authentication against hashed, expiring, revocable tokens."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework import authentication, exceptions

from audits.core import roles
from audits.models import ApiToken
from audits.models.accounts import hash_token

# A token's last use is recorded at most once a minute: a write on every autosave would
# double its cost.
USE_RECORDED_EVERY = timedelta(minutes=1)


def token_lookup(raw: str) -> tuple[User, ApiToken] | None:
    """The user and token of a raw key that is neither revoked nor expired, or None: one
    query for the token, its user and the user's roles (cached on the user, so
    ``roles.roles_of`` asks nothing more). Every API request runs it."""
    now = timezone.now()
    holds = {
        f"holds_{role}": Exists(Group.objects.filter(name=role, user=OuterRef("user_id")))
        for role in roles.ALL_ROLES
    }
    found = (
        ApiToken.objects.usable()
        .filter(key_hash=hash_token(raw))
        .select_related("user")
        .only("id", "user", "last_used_at")
        .annotate(**holds)
        .order_by()[:1]
    )
    token = next(iter(found), None)
    if token is None:
        return None
    roles.remember(
        token.user, {role for role in roles.ALL_ROLES if getattr(token, f"holds_{role}")}
    )
    if token.last_used_at is None or token.last_used_at < now - USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        found = token_lookup(key)
        if found is None or not found[0].is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return found
