"""API for cases: the register's cases with their allocation history, the CSV import, and
follow-up audits a manager requests for a case."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.api.import_jobs import ImportJobSerializer
from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Allocation, Case, FollowUp
from audits.selectors import scoping
from audits.services import actions as action_service
from audits.services.import_jobs import import_job_start


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


class FollowUpSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="case.case_ref", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "case_ref", "reason", "requested_at", "included_in"]
        read_only_fields = ["requested_at", "included_in"]


class ImportQuery(serializers.Serializer):
    """The import's query: ``?kind=`` and ``?dry_run=`` (anything else is a 400)."""

    kind = serializers.ChoiceField(choices=["cases", "allocations", "staff"], default="cases")
    dry_run = serializers.BooleanField(default=False)


class FollowUpRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    scope = staticmethod(scoping.cases_for)
    write_roles = (roles.ADMIN, roles.MANAGER)
    filterset_fields = ["case_type", "team__name"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "import_register":
            return ImportJobSerializer
        return CaseSerializer

    def get_queryset(self):
        if self.action == "follow_up":  # permissions.can_request_follow_up
            return scoping.cases_managed_by(self.request.user)
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
            "team or a case of another team is a row error and rejects the file. The file is "
            "stored and imported by the worker: the answer is 202 with the import job (its "
            "`url`, also in Location: GET /api/v1/import-jobs/{id}/ for progress). The job "
            "ends `finished` with the counts, or `failed` with the row errors and nothing "
            "written."
        ),
        parameters=[ImportQuery],
        request={
            "multipart/form-data": inline_serializer(
                "RegisterUpload", {"file": serializers.FileField()}
            ),
        },
        responses={202: ImportJobSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[parsers.MultiPartParser],
        query_serializer=ImportQuery,
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
        job = import_job_start(actor=request.user, upload=upload, **self.query)
        body = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(request=FollowUpRequestSerializer, responses={201: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up", write_roles=(roles.MANAGER,))
    def follow_up(self, request, pk=None):
        """Add the case to the cycle as a follow-up audit."""
        case = self.get_object()  # not a case of a team one manages: 404 before the body
        body = FollowUpRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up = action_service.follow_up_request(
            case=case, actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)
