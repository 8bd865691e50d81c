"""API for the case register: teams, staff, cases, conflicts and the CSV import."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from audits import roles, scoping
from audits.access_log import note_ids
from audits.api.permissions import RolePermission
from audits.errors import DomainError
from audits.models import Allocation, Case, Conflict, Staff, Team
from audits.services.history import event_record
from audits.services.register_import import register_import


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "service_area"]


class StaffSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), allow_null=True, required=False
    )
    managed_teams = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), many=True, required=False
    )
    username = serializers.CharField(source="user.username", read_only=True, default=None)

    class Meta:
        model = Staff
        fields = [
            "id",
            "staff_ref",
            "name",
            "email",
            "team",
            "managed_teams",
            "capacity",
            "is_active",
            "username",
        ]


class AllocationSerializer(serializers.ModelSerializer):
    staff_ref = serializers.CharField(source="staff.staff_ref")

    class Meta:
        model = Allocation
        fields = ["staff_ref", "role", "from_date", "to_date"]


class CaseSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.name")
    worker_ref = serializers.CharField(source="worker.staff_ref", default=None)
    manager_ref = serializers.CharField(source="manager.staff_ref", default=None)

    class Meta:
        model = Case
        fields = [
            "id",
            "case_ref",
            "team",
            "case_type",
            "opened_on",
            "closed_on",
            "worker_ref",
            "manager_ref",
            "birth_year",
        ]


class CaseDetailSerializer(CaseSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "allocations"]


class ConflictSerializer(serializers.ModelSerializer):
    auditor = serializers.SlugRelatedField(slug_field="staff_ref", queryset=Staff.objects.all())
    case = serializers.SlugRelatedField(
        slug_field="case_ref", queryset=Case.objects.all(), required=False, allow_null=True
    )
    worker = serializers.SlugRelatedField(
        slug_field="staff_ref", queryset=Staff.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Conflict
        fields = ["id", "auditor", "case", "worker", "reason", "declared_on"]
        read_only_fields = ["declared_on"]

    def validate(self, attrs):
        case = attrs.get("case", getattr(self.instance, "case", None))
        worker = attrs.get("worker", getattr(self.instance, "worker", None))
        if (case is None) == (worker is None):
            raise serializers.ValidationError({"case": ["Name either a case or a worker."]})
        return attrs


class ImportResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


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


class TeamViewSet(ModelViewSet):
    serializer_class = TeamSerializer
    scope = staticmethod(scoping.teams_for)
    filterset_fields = ["service_area"]

    def perform_destroy(self, instance):
        if instance.cases.exists() or instance.staff_set.exists():
            raise DomainError("A team with cases or staff cannot be deleted.")
        super().perform_destroy(instance)


class StaffViewSet(ModelViewSet):
    serializer_class = StaffSerializer
    scope = staticmethod(scoping.staff_for)
    filterset_fields = ["team__name", "is_active"]

    def get_queryset(self):
        return (
            super().get_queryset().select_related("team", "user").prefetch_related("managed_teams")
        )

    def perform_destroy(self, instance):
        # Staff appear in allocation history and audits: deactivate rather than delete.
        raise DomainError("Staff cannot be deleted; set is_active to false instead.")


class ConflictViewSet(ModelViewSet):
    serializer_class = ConflictSerializer
    scope = staticmethod(scoping.conflicts_for)
    write_roles = (roles.ADMIN, roles.MANAGER, roles.AUDITOR)

    def get_queryset(self):
        return super().get_queryset().select_related("auditor", "case", "worker")

    def perform_create(self, serializer):
        held = roles.roles_of(self.request.user)
        if not held & {roles.ADMIN, roles.MANAGER}:
            # An auditor declares their own conflicts only.
            own = Staff.objects.filter(user=self.request.user).first()
            if own is None or serializer.validated_data["auditor"] != own:
                raise DomainError(
                    "You can only declare your own conflicts.", fields={"auditor": ["must be you"]}
                )
        super().perform_create(serializer)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    scope = staticmethod(scoping.cases_for)
    write_roles = (roles.ADMIN, roles.MANAGER)
    filterset_fields = ["case_type", "team__name"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "import_register":
            return ImportResultSerializer
        return CaseSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("team", "worker", "manager")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("allocations__staff")
        return queryset

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()  # its AccessLog row: audits.access_log
        return Response(self.get_serializer(case).data)

    @extend_schema(
        summary="Import the register from CSV (all-or-nothing)",
        parameters=[
            OpenApiParameter("kind", enum=["cases", "allocations", "staff"], default="cases"),
            OpenApiParameter("dry_run", bool, default=False),
        ],
        request={
            "multipart/form-data": inline_serializer(
                "RegisterUpload", {"file": serializers.FileField()}
            ),
            "text/csv": bytes,
        },
        responses={200: ImportResultSerializer, 400: None},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[parsers.MultiPartParser, parsers.FileUploadParser],
    )
    def import_register(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(
                "Upload a CSV file in the 'file' field.", fields={"file": ["required"]}
            )
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise DomainError(
                "The file is too large.",
                fields={"file": [f"at most {settings.IMPORT_MAX_BYTES} bytes"]},
            )
        kind = request.query_params.get("kind", "cases")
        dry_run = request.query_params.get("dry_run", "0").lower() in ("1", "true", "yes")
        outcome = register_import(kind=kind, fileobj=upload, actor=request.user, dry_run=dry_run)
        return Response(outcome.as_dict(), status=status.HTTP_200_OK)
