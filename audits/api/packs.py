"""API for inspection packs: ask for a cycle's pack (``POST /cycles/{id}/pack/``, built in
the background), follow its job, and download the zip (streamed, checked against its
SHA-256 first, logged)."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from audits.api.base import ScopedViewSet, StrictQuery
from audits.api.strict import IdFilter, StrictFilterSet
from audits.models import PackJob
from audits.selectors.packs import PACK_ROLES, pack_cycles_for, pack_jobs_for
from audits.services import packs

NOT_BUILT = OpenApiResponse(
    description="The pack is not ready yet, or its stored file no longer matches its SHA-256."
)


class PackJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    cycle = serializers.IntegerField(source="cycle_id", read_only=True)
    status = serializers.ChoiceField(choices=PackJob.Status.choices, read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="0-100")
    attempts = serializers.IntegerField(read_only=True)
    error = serializers.CharField(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    sha256 = serializers.CharField(read_only=True, help_text="of the whole zip, once built")
    manifest_sha256 = serializers.CharField(read_only=True, help_text="of its manifest.json")
    report_hash = serializers.CharField(read_only=True, help_text="of the report packed")
    size = serializers.IntegerField(read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()

    def get_download(self, job) -> str | None:
        if job.status != PackJob.Status.DONE:
            return None
        return reverse("api:pack-download", args=[job.pk], request=self.context.get("request"))


class PackRequestView(StrictQuery, APIView):
    """POST with no body: build the cycle's inspection pack."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cycles_pack_create",
        tags=["cycles"],
        request=None,
        responses={202: PackJobSerializer},
    )
    def post(self, request, cycle_id: int):
        """Build the cycle's inspection pack in the background (poll the job it returns;
        a build already under way is returned instead of a second one)."""
        cycle = get_object_or_404(
            pack_cycles_for(request.user).select_related("frame"), pk=cycle_id
        )
        job, _created = packs.pack_request(cycle=cycle, actor=request.user)
        body = PackJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PackFilter(StrictFilterSet):
    cycle = IdFilter(field_name="cycle_id")

    class Meta:
        model = PackJob
        fields = ["cycle", "status"]


class PackJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Inspection pack builds of the cycles you may have packs of."""

    serializer_class = PackJobSerializer
    scope = staticmethod(pack_jobs_for)
    read_roles = PACK_ROLES
    write_roles = ()
    filterset_class = PackFilter

    def get_queryset(self):
        return super().get_queryset().order_by("-requested_at", "-pk")

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, 409: NOT_BUILT})
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None):
        """The pack as a zip (an attachment), once its SHA-256 is checked."""
        job = self.get_object()
        stream = packs.pack_open(job=job, actor=request.user)
        response = FileResponse(
            stream,
            as_attachment=True,
            filename=f"inspection-pack-cycle-{job.cycle_id}-{job.pk}.zip",
            content_type="application/zip",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["ETag"] = f'"{job.sha256}"'
        return response
