"""API for register imports: each upload (``POST /cases/import/``) is a job the worker
checks and writes, all rows or none; its progress and outcome are read here."""

from rest_framework import mixins, serializers

from audits.api.base import ScopedViewSet
from audits.core import roles
from audits.models import ImportJob
from audits.selectors.import_jobs import import_jobs_for


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:import-job-detail")
    percent = serializers.SerializerMethodField(help_text="rows checked of the file, 0-100")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "kind",
            "dry_run",
            "status",
            "percent",
            "total_rows",
            "rows_checked",
            "rows_written",
            "created",
            "updated",
            "error_count",
            "errors",
            "message",
            "file_sha256",
            "file_size",
            "attempts",
            "requested_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_percent(self, job: ImportJob) -> int:
        if job.status == ImportJob.Status.FINISHED:
            return 100
        return min(100, 100 * job.rows_checked // job.total_rows) if job.total_rows else 0


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Imports of the register (managers see their own, administrators all)."""

    serializer_class = ImportJobSerializer
    scope = staticmethod(import_jobs_for)
    read_roles = (roles.ADMIN, roles.MANAGER)
    filterset_fields = ["status", "kind"]
