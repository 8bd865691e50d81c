"""API for the case register: teams, staff, cases, conflicts and the CSV import."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from audits.api.permissions import RolePermission
from audits.core import roles
from audits.core.errors import DomainError
from audits.infra.access_log import note_ids
from audits.models import Allocation, Case, Staff, Team
from audits.selectors import scoping
from audits.services import conflicts
from audits.services.conflicts import conflict_snapshot
from audits.services.history import event_record
from audits.services.register_import import register_import
from audits.services.staff import access_change_record, staff_access


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


class ConflictSerializer(serializers.Serializer):
    """A conflict by references. ``auditor`` defaults to the caller; changing or withdrawing
    one needs ``change_reason`` (DELETE takes it in the body)."""

    id = serializers.IntegerField(read_only=True)
    auditor = serializers.CharField(
        max_length=64, required=False, help_text="staff_ref; yours if left out"
    )
    case = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    worker = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    reason = serializers.CharField(max_length=500)
    declared_on = serializers.DateField(read_only=True)
    change_reason = serializers.CharField(
        max_length=500, required=False, write_only=True, help_text="why it is changed"
    )

    def to_representation(self, conflict):
        return {
            "id": conflict.pk,
            **conflict_snapshot(conflict),
            "declared_on": serializers.DateField().to_representation(conflict.declared_on),
        }


class ConflictWithdrawalSerializer(serializers.Serializer):
    change_reason = serializers.CharField(max_length=500)


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

    # A change of someone's team or managed teams changes what they may reach: each is an
    # Event with before and after, whatever else records the write.
    def perform_create(self, serializer):
        with transaction.atomic():
            super().perform_create(serializer)
            access_change_record(
                actor=self.request.user,
                subject=serializer.instance,
                before=None,
                after=staff_access(serializer.instance),
                via="the API",
            )

    def perform_update(self, serializer):
        with transaction.atomic():
            before = staff_access(serializer.instance)
            super().perform_update(serializer)
            access_change_record(
                actor=self.request.user,
                subject=serializer.instance,
                before=before,
                after=staff_access(serializer.instance),
                via="the API",
            )

    def perform_destroy(self, instance):
        # Staff appear in allocation history and audits: deactivate rather than delete.
        raise DomainError("Staff cannot be deleted; set is_active to false instead.")


class ConflictViewSet(ModelViewSet):
    serializer_class = ConflictSerializer
    scope = staticmethod(scoping.conflicts_for)
    # Auditors declare their own; managers record, change and withdraw for their teams.
    write_roles = (roles.MANAGER, roles.AUDITOR)

    def get_queryset(self):
        return super().get_queryset().select_related("auditor", "case", "worker")

    def get_object(self):
        conflict = super().get_object()
        if self.request.method not in SAFE_METHODS:
            # Seen (one's own) is not changeable: 403 before the body is even looked at.
            conflicts.conflict_check_may_change(actor=self.request.user, conflict=conflict)
        return conflict

    # The services write the conflict and its Event; nothing here saves by itself.
    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = conflicts.conflict_declare(
            actor=self.request.user,
            auditor_ref=data.get("auditor"),
            case_ref=data.get("case"),
            worker_ref=data.get("worker"),
            reason=data["reason"],
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        change_reason = data.pop("change_reason", None)
        serializer.instance = conflicts.conflict_change(
            actor=self.request.user,
            conflict=serializer.instance,
            changes=data,
            change_reason=change_reason,
        )

    @extend_schema(
        summary="Withdraw a declared conflict (a manager of its team, with a reason)",
        description=(
            "Send the reason in the body, as JSON or form data: "
            '`{"change_reason": "why it is withdrawn"}` (required, at most 500 characters). '
            "The withdrawal is recorded as an Event with what the conflict said."
        ),
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        body = ConflictWithdrawalSerializer(
            data=self.request.data if hasattr(self.request.data, "get") else {}
        )
        body.is_valid(raise_exception=True)
        conflicts.conflict_withdraw(
            actor=self.request.user,
            conflict=instance,
            change_reason=body.validated_data["change_reason"],
        )


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
        case = self.get_object()  # its AccessLog row: audits.infra.access_log
        return Response(self.get_serializer(case).data)

    @extend_schema(
        summary="Import the register from CSV (all-or-nothing)",
        description=(
            "Staff (roles, teams managed): administrators only (403 otherwise). Cases and "
            "allocation history: a manager for the teams they manage; a row naming another "
            "team or a case of another team is a row error and rejects the file."
        ),
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
        responses={200: ImportResultSerializer, 400: None, 403: None},
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
