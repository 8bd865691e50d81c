"""API for a person's own notifications: the list (newest first) and marking one read.
Nobody sees anyone else's: the scope is the caller's own rows, so another's id is a 404.
Marking read is personal screen state and records no Event (see services/notifications)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.core import roles
from audits.models import Notification
from audits.selectors.notifications import notifications_for
from audits.services import notifications as notification_service


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "link", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = NotificationSerializer
    scope = staticmethod(notifications_for)
    write_roles = roles.ALL_ROLES
    filterset_fields = ["kind"]

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notification read."""
        notification = notification_service.notification_mark_read(notification=self.get_object())
        return Response(NotificationSerializer(notification).data)
