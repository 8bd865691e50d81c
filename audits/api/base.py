"""Base viewsets every API resource builds on: the queryset comes from one scoping
function (objects outside scope are absent, so 404), roles gate writes, and every write
through the generic mixins records its Event in the same transaction."""

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from audits.api.permissions import RolePermission
from audits.core import roles
from audits.infra.access_log import note_ids
from audits.services.history import event_record


class ScopedViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, RolePermission]
    scope = None  # a function of scoping: user -> queryset
    read_roles = roles.ALL_ROLES
    write_roles = (roles.ADMIN,)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # DRF's mixins save without an Event. A viewset that lists one of them before
        # RecordedWrites (or leaves RecordedWrites out) would write past the history, so
        # it is refused when the class is made, not found later in production.
        for hook, mixin in WRITE_MIXINS:
            if issubclass(cls, mixin) and getattr(cls, hook) is getattr(mixin, hook):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{hook} is DRF's own, which records no Event: "
                    "put RecordedWrites first among its bases."
                )

    def get_queryset(self):
        return type(self).scope(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:  # the ids this list shows go into its AccessLog row
            note_ids(self.request, [row.pk for row in page])
        return page


class RecordedWrites:
    """Creates, edits and deletes through the generic mixins, each with its Event in the same
    transaction. It must come before DRF's mixins in the bases (see ModelViewSet): their own
    ``perform_*`` methods save and record nothing."""

    def extra_create_fields(self) -> dict:
        return {}

    def perform_create(self, serializer):
        with transaction.atomic():
            obj = serializer.save(**self.extra_create_fields())
            event_record(actor=self.request.user, verb="created", obj=obj, after=serializer.data)

    def perform_update(self, serializer):
        with transaction.atomic():
            before = type(serializer)(serializer.instance).data
            obj = serializer.save()
            event_record(
                actor=self.request.user,
                verb="updated",
                obj=obj,
                before=before,
                after=serializer.data,
            )

    def perform_destroy(self, instance):
        with transaction.atomic():
            event_record(
                actor=self.request.user,
                verb="deleted",
                obj=instance,
                before=self.get_serializer(instance).data,
            )
            instance.delete()


WRITE_MIXINS = (
    ("perform_create", mixins.CreateModelMixin),
    ("perform_update", mixins.UpdateModelMixin),
    ("perform_destroy", mixins.DestroyModelMixin),
)


class ModelViewSet(
    RecordedWrites,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    pass
