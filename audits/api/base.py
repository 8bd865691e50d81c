"""Base viewsets every API resource builds on: the queryset comes from one scoping
function (objects outside scope are absent, so 404), roles gate writes, every query
parameter is one the operation reads, and every write through the generic mixins records
its Event in the same transaction."""

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings

from audits.api.deprecations import announce
from audits.api.permissions import RolePermission
from audits.core import roles
from audits.infra.access_log import note_ids
from audits.services.history import event_record


class StrictQuery:
    """Every API view: a query parameter the operation does not read, or a value it cannot
    take, is a 400 naming it, never a silently different (or unfiltered) list.

    An operation reads ``format``; a list also its pagination (``limit``, ``offset``) and
    its filter backends' parameters (the FilterSet's filters, ``ordering`` among them where
    it has one), exactly what the schema documents for it; any operation also the fields of
    its ``query_serializer`` (validated, in ``self.query``). A detail action that pages its
    rows says ``paginated=True`` (``@action(..., paginated=True)``). Checked after sign-in
    and roles (401/403/404 first) and before the object is looked up, so the answer says
    nothing about what exists."""

    query_serializer = None
    paginated = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.query = query_check(request, self.query_parameters(), self.query_serializer)

    def is_list(self) -> bool:
        if hasattr(self, "action"):  # a viewset
            return self.action == "list"
        return isinstance(self, mixins.ListModelMixin) and self.request.method in ("GET", "HEAD")

    def query_parameters(self) -> set[str]:
        names = {api_settings.URL_FORMAT_OVERRIDE}
        paginator = getattr(self, "paginator", None)
        if paginator is not None and (self.paginated or self.is_list()):
            names |= {p["name"] for p in paginator.get_schema_operation_parameters(self)}
        if self.is_list():
            queryset = self.get_queryset()
            for backend in getattr(self, "filter_backends", ()):
                names |= backend_parameters(backend(), self, queryset)
        if self.query_serializer is not None:
            names |= set(self.query_serializer().fields)
        return names

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to ?format=<one it has no renderer for>
            wanted = request.query_params.get(api_settings.URL_FORMAT_OVERRIDE)
            if wanted is None:
                raise
            allowed = ", ".join(sorted({r.format for r in self.get_renderers()}))
            raise ValidationError(
                {"format": [f"Unknown format '{wanted}'. Allowed: {allowed}."]}
            ) from None


def backend_parameters(backend, view, queryset) -> set[str]:
    if hasattr(backend, "query_parameters"):  # strict.StrictFilterBackend
        return backend.query_parameters(view, queryset)
    return {p["name"] for p in backend.get_schema_operation_parameters(view)}


def query_check(request, allowed: set[str], serializer_class=None) -> dict:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        listed = ", ".join(sorted(allowed))
        raise ValidationError(
            {name: [f"Unknown query parameter. Allowed: {listed}."] for name in unknown}
        )
    if serializer_class is None:
        return {}
    names = set(serializer_class().fields)
    body = serializer_class(data={k: v for k, v in request.query_params.items() if k in names})
    body.is_valid(raise_exception=True)
    return body.validated_data


class ScopedViewSet(StrictQuery, viewsets.GenericViewSet):
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

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        announce(request, response)  # Deprecation / Sunset for a deprecated field used
        return response

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
