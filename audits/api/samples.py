"""API for a cycle's sample: the cases drawn (list, extend, replace one), the record that
lets anyone re-check the draw (verification, verify_sample.py), and the frame and sample
files. The draw itself is an action of the cycle (`audits.api.cycles`)."""

from django.http import FileResponse, HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.api.schema import NOT_DRAWN
from audits.core import roles
from audits.core.sampling import verify_script_text
from audits.models import SampledCase
from audits.selectors import sample_record, scoping
from audits.services import lifecycle, sample


class SampledCaseSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="case.case_ref")
    team = serializers.CharField(source="case.team.name")
    case_type = serializers.CharField(source="case.case_type")
    replaced_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = SampledCase
        fields = [
            "id",
            "case_ref",
            "team",
            "case_type",
            "stratum",
            "rank",
            "selection_key",
            "status",
            "replaced_by",
            "replacement_reason",
            "is_follow_up",
        ]


class ExtendSerializer(serializers.Serializer):
    sizes = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100_000))
    reason = serializers.CharField(max_length=2000, help_text="why the sample is extended")


class ReplaceSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SampleActions:
    """The cycle's actions on its sample (mixed into `CycleViewSet`)."""

    @extend_schema(request=ExtendSerializer, responses={201: SampledCaseSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Add cases to the drawn sample (201: the added cases)."""
        cycle = self.get_object()
        body = ExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        added = sample.sample_extend(
            cycle=cycle,
            actor=request.user,
            sizes=body.validated_data["sizes"],
            reason=body.validated_data["reason"],
        )
        rows = SampledCase.objects.filter(pk__in=[s.pk for s in added]).select_related("case__team")
        return Response(SampledCaseSerializer(rows, many=True).data, status=201)

    @extend_schema(responses=SampledCaseSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="sample", paginated=True)
    def sample_list(self, request, pk=None):
        """The cases in the cycle's sample."""
        cycle = self.get_object()
        rows = SampledCase.objects.filter(cycle=cycle).select_related("case__team")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SampledCaseSerializer(page, many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: NOT_DRAWN})
    @action(detail=True, methods=["get"])
    def verification(self, request, pk=None):
        """What anyone needs to re-check the draw: the seed's parts and the command."""
        return Response(sample_record.sample_verify(cycle=lifecycle.check_drawn(self.get_object())))

    @extend_schema(responses={(200, "text/x-python"): OpenApiTypes.BINARY, 409: NOT_DRAWN})
    @action(detail=True, methods=["get"], url_path="verify_sample.py")
    def verify_script(self, request, pk=None):
        """The standalone script that re-checks the sample from the frame file."""
        lifecycle.check_drawn(self.get_object())
        return HttpResponse(verify_script_text(), content_type="text/x-python; charset=utf-8")

    @extend_schema(responses={(200, "application/gzip"): OpenApiTypes.BINARY, 409: NOT_DRAWN})
    @action(
        detail=True,
        methods=["get"],
        url_path="frame.csv",
        read_roles=(roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN),
    )
    def frame_csv(self, request, pk=None):
        """The frozen sampling frame (gzipped CSV), as the draw hashed it."""
        return self._frame_file()

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY, 409: NOT_DRAWN})
    @action(
        detail=True,
        methods=["get"],
        url_path="sample.csv",
        read_roles=(roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN),
    )
    def sample_csv(self, request, pk=None):
        """The sample on record (stratum, rank, case_ref), as verify_sample.py reads it."""
        cycle = lifecycle.check_drawn(self.get_object())
        response = HttpResponse(sample_record.sample_csv(cycle=cycle), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="{sample_record.sample_file_name(cycle)}"'
        )
        return response

    def _frame_file(self):
        cycle = lifecycle.check_drawn(self.get_object())
        return FileResponse(
            sample_record.frame_open(cycle.frame),  # SHA-256 checked before streaming
            as_attachment=True,
            filename=cycle.frame.frame_file,
            content_type="application/gzip",
        )


class SampledCaseViewSet(ScopedViewSet):
    serializer_class = SampledCaseSerializer
    scope = staticmethod(scoping.sampled_cases_for)
    write_roles = (roles.MANAGER,)

    def get_queryset(self):
        if self.request.method in SAFE_METHODS:
            return super().get_queryset()
        return SampledCase.objects.filter(cycle__in=scoping.cycles_managed_by(self.request.user))

    @extend_schema(
        request=ReplaceSerializer,
        responses={201: inline_serializer("Replacement", {"replacement": SampledCaseSerializer()})},
    )
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """Replace a sampled case that cannot be audited, with a reason (201: its replacement)."""
        sampled = self.get_object()
        body = ReplaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        replacement = sample.sample_replace(
            sampled_case=sampled, actor=request.user, reason=body.validated_data["reason"]
        )
        replacement = SampledCase.objects.select_related("case__team").get(pk=replacement.pk)
        return Response(
            {"replacement": SampledCaseSerializer(replacement).data}, status=status.HTTP_201_CREATED
        )
