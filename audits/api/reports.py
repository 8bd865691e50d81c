"""API for assurance reports and internal audit's assurance summaries."""

from pathlib import Path

from django.http import FileResponse, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.utils import (
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from audits.api import figures_schema as typed
from audits.api.base import ScopedViewSet
from audits.api.schema import NOT_READY
from audits.api.strict import IdFilter, StrictFilterSet
from audits.core import roles
from audits.core.errors import DomainError, StateConflict
from audits.core.opinion import LEVELS
from audits.models import Report, ReportJob
from audits.selectors import scoping
from audits.services import reports

REPORT_READERS = (roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN)
RECOMPUTE_SCRIPT = Path(__file__).resolve().parent.parent / "standalone" / "recompute_report.py"
FILE_TYPES = {"pdf": "application/pdf", "json": "application/json", "csv": "text/csv"}


def file_links(request, job_id: int) -> dict:
    return {
        kind: reverse(f"api:report-{name}", args=[job_id], request=request)
        for kind, name in (("pdf", "pdf"), ("json", "data-json"), ("csv", "audits-csv"))
    }


class ReportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    cycle = serializers.IntegerField(source="cycle_id", min_value=1)
    status = serializers.ChoiceField(choices=ReportJob.Status.choices, read_only=True)
    progress = serializers.IntegerField(read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    error = serializers.CharField(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    as_of = serializers.DateTimeField(read_only=True)
    version = serializers.SerializerMethodField()
    report_hash = serializers.SerializerMethodField()
    opinion = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    def _report(self, job) -> Report | None:
        return getattr(job, "report", None)

    def get_version(self, job) -> int | None:
        return getattr(self._report(job), "version", None)

    def get_report_hash(self, job) -> str | None:
        return getattr(self._report(job), "report_hash", None)

    @extend_schema_field(serializers.ChoiceField(choices=LEVELS, allow_null=True))
    def get_opinion(self, job) -> str | None:
        return getattr(self._report(job), "opinion", None)

    @extend_schema_field(typed.ReportFilesSerializer(allow_null=True))
    def get_files(self, job) -> dict | None:
        if self._report(job) is None:
            return None
        return file_links(self.context.get("request"), job.pk)


class ReportDetailSerializer(ReportJobSerializer):
    figures = serializers.SerializerMethodField()

    @extend_schema_field(typed.FiguresSerializer(allow_null=True))
    def get_figures(self, job) -> dict | None:
        return getattr(self._report(job), "figures", None)


class ReportFilter(StrictFilterSet):
    cycle = IdFilter(field_name="cycle_id")

    class Meta:
        model = ReportJob
        fields = ["cycle", "status"]


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    scope = staticmethod(scoping.report_jobs_for)
    read_roles = REPORT_READERS
    write_roles = (roles.MANAGER,)
    filterset_class = ReportFilter

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportJobSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("report")
        if self.action == "list":
            queryset = queryset.defer("report__figures")
        return queryset

    @extend_schema(request=ReportJobSerializer, responses={202: ReportJobSerializer})
    def create(self, request):
        """Ask for a new report version of a cycle; it is compiled in the background (poll
        the job until ``status`` is done)."""
        body = ReportJobSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = (
            scoping.cycles_managed_by(request.user)
            .filter(pk=body.validated_data["cycle_id"])
            .first()
        )
        if cycle is None:
            raise DomainError("No such cycle.", fields={"cycle": ["not found"]})
        job = reports.report_request(cycle=cycle, actor=request.user)
        return Response(
            ReportJobSerializer(job, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )

    def _file(self, kind: str, filename: str):
        """A report's files never change: the report hash is their strong ETag and the
        moment it was stored their Last-Modified, so a client that has them asks with
        If-None-Match (or If-Modified-Since) and gets 304 with no body."""
        job = self.get_object()
        report = getattr(job, "report", None)
        if report is None:
            raise StateConflict("The report is not ready yet.")
        etag, stored = f'"{report.report_hash}"', int(report.created_at.timestamp())
        response = get_conditional_response(request=self.request, etag=etag, last_modified=stored)
        if response is None:
            response = FileResponse(
                reports.report_file_open(report, kind),  # SHA-256 checked before streaming
                filename=f"cycle-{job.cycle_id}-v{report.version}-{filename}",
                content_type=FILE_TYPES[kind],
                as_attachment=True,  # the JSON too: a page link must not open it raw
            )
        response["ETag"] = etag
        response["Last-Modified"] = http_date(stored)
        return response

    @extend_schema(responses={(200, "text/x-python"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="recompute_report.py", url_name="recompute")
    def recompute_script(self, request, pk=None):
        """The standalone script that recomputes this report's headline figures from its
        data.json and audits.csv (the same for every report)."""
        self.get_object()
        return HttpResponse(
            RECOMPUTE_SCRIPT.read_text(encoding="utf-8"),
            content_type="text/x-python; charset=utf-8",
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: NOT_READY})
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf")
    def pdf(self, request, pk=None):
        """The report as a PDF (an attachment)."""
        return self._file("pdf", "report.pdf")

    @extend_schema(responses={(200, "application/json"): typed.FiguresSerializer, 409: NOT_READY})
    @action(detail=True, methods=["get"], url_path="data.json", url_name="data-json")
    def data_json(self, request, pk=None):
        """Every figure of the report (data.json), as stored when it was compiled."""
        return self._file("json", "data.json")

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY, 409: NOT_READY})
    @action(detail=True, methods=["get"], url_path="audits.csv", url_name="audits-csv")
    def audits_csv(self, request, pk=None):
        """The audits behind the report (audits.csv, an attachment): one row per audit."""
        return self._file("csv", "audits.csv")

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: NOT_READY})
    @action(detail=True, methods=["get"])
    def changed(self, request, pk=None):
        """Whether the data behind the report has changed since it was compiled."""
        job = self.get_object()
        report = getattr(job, "report", None)
        if report is None:
            raise StateConflict("The report is not ready yet.")
        return Response(reports.report_data_changed(report))


def response_key_figures(responses: dict | None) -> dict:
    """The practitioners' response rate (None: not measured) and how many disagreed."""
    responses = responses or {}
    return {
        "practitioner_response_rate": responses.get("rate"),
        "practitioner_responses_counted": responses.get("counted", 0),
        "practitioner_disagreements": responses.get("disagreement_count", 0),
    }


def report_identity(report: Report) -> dict:
    """Which report a summary or a point of a series comes from: its id (as in
    /api/v1/reports/{id}/), version, hash, whether it is interim (completion below the
    threshold) or final, and the version of its figures' layout (None: compiled before
    the figures carried one)."""
    return {
        "id": report.job_id,
        "version": report.version,
        "hash": report.report_hash,
        "status": "interim" if report.figures.get("interim") else "final",
        "figures_schema_version": report.figures.get("schema_version"),
    }


class AssuranceSummarySerializer(serializers.Serializer):
    cycle = serializers.IntegerField(source="cycle_id")
    cycle_name = serializers.CharField(source="cycle.name")
    period_start = serializers.DateField(source="cycle.period_start")
    period_end = serializers.DateField(source="cycle.period_end")
    version = serializers.IntegerField()
    report_hash = serializers.CharField()
    opinion = serializers.ChoiceField(choices=LEVELS)
    interim = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    conditions = serializers.SerializerMethodField()
    caveats = serializers.SerializerMethodField()
    key_figures = serializers.SerializerMethodField()
    reconciliation = serializers.SerializerMethodField()
    thresholds = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    report = serializers.SerializerMethodField()

    @extend_schema_field(typed.SummaryReportSerializer)
    def get_report(self, report) -> dict:
        return report_identity(report)

    def get_interim(self, report) -> bool:
        return bool(report.figures.get("interim"))

    @extend_schema_field(typed.ThresholdsSerializer)
    def get_thresholds(self, report) -> dict:
        return report.figures["opinion"].get("thresholds") or {}

    def get_reason(self, report) -> str:
        return report.figures["opinion"].get("reason", "")

    @extend_schema_field(typed.ConditionSerializer(many=True))
    def get_conditions(self, report) -> list:
        return report.figures["opinion"]["conditions"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_caveats(self, report) -> list:
        return report.figures["opinion"]["caveats"]

    @extend_schema_field(typed.KeyFiguresSerializer)
    def get_key_figures(self, report) -> dict:
        return {
            **report.figures["summary"],
            "kappa_quadratic": report.figures["reliability"]["kappa_quadratic"],
            "alpha_overall": report.figures["reliability"]["alpha_overall"],
            # Reports compiled before practitioners responded carry no such figures.
            **response_key_figures(report.figures.get("practitioner_responses")),
        }

    @extend_schema_field(typed.ReconciliationFiguresSerializer(allow_null=True))
    def get_reconciliation(self, report) -> dict | None:
        """Double audits: how many disagreed, were reconciled, were still open (None for a
        report made before reconciliation existed)."""
        found = report.figures.get("reconciliation")
        return None if found is None else {k: v for k, v in found.items() if k != "caveat"}

    @extend_schema_field(typed.ReportFilesSerializer)
    def get_files(self, report) -> dict:
        return file_links(self.context.get("request"), report.job_id)
