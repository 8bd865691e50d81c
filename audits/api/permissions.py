from django.conf import settings
from rest_framework import exceptions, permissions

from audits.core import roles


class RolePermission(permissions.BasePermission):
    """Reads for the roles in ``read_roles``; writes only for ``write_roles``.

    A read by anyone else is answered 404 (the thing is outside their scope, and we do not
    confirm that it exists); a write is refused with 403. Scoping still decides which
    objects exist for the caller.
    """

    def has_permission(self, request, view):
        held = roles.roles_of(request.user)
        if request.method in permissions.SAFE_METHODS:
            if not held & set(getattr(view, "read_roles", roles.ALL_ROLES)):
                raise exceptions.NotFound()
            return True
        return bool(held & set(getattr(view, "write_roles", (roles.ADMIN,))))


class SchemaReaders(permissions.BasePermission):
    """The OpenAPI schema and its docs: anyone while ``API_SCHEMA_PUBLIC`` (development),
    otherwise signed-in users only (production)."""

    def has_permission(self, request, view):
        return settings.API_SCHEMA_PUBLIC or bool(request.user and request.user.is_authenticated)
