"""API token authentication against hashed, expiring, revocable tokens."""

from datetime import timedelta
from functools import cache

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from audits.core import roles
from audits.models import ApiToken
from audits.models.accounts import hash_token
from audits.selectors import raw_rows

# The token, its user and the user's roles in one query, one row per group the user is in
# (role_name is NULL for a group that is not a role). Every API request runs it, and the
# ORM took longer to compose the two queries it replaces than the database took to answer.
LOOKUP_EXTRAS = ("token_id", "role_name", "use_not_recorded")
# One bound parameter per role, however many roles there are.
ROLE_PLACEHOLDERS = ", ".join(["%s"] * len(roles.ALL_ROLES))


@cache
def _lookup_sql(vendor: str) -> str:
    # The user's columns come from the model; every value is a bound parameter.
    return f"""
SELECT {raw_rows.select_list(User, "u")}, t.id, g.name,
       (t.last_used_at IS NULL OR t.last_used_at < %s)
  FROM audits_apitoken t
  JOIN auth_user u ON u.id = t.user_id
  LEFT JOIN auth_user_groups m ON m.user_id = u.id
  LEFT JOIN auth_group g ON g.id = m.group_id AND g.name IN ({ROLE_PLACEHOLDERS})
 WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s
"""  # noqa: S608


# A token's last use is recorded at most once a minute: a write on every autosave would
# double its cost.
USE_RECORDED_EVERY = timedelta(minutes=1)


def token_lookup(raw: str) -> tuple[User, ApiToken] | None:
    """The user and token of a raw key that is neither revoked nor expired, or None. The
    user's roles are cached on the user (``roles.roles_of`` asks nothing more); the token
    comes with only its id and user loaded."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(now - USE_RECORDED_EVERY), *roles.ALL_ROLES, hash_token(raw), adapt(now)]
    found = raw_rows.load(User, _lookup_sql(connection.vendor), params, LOOKUP_EXTRAS)
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
