"""The practitioner's side of an audit: the final findings of audits of their own cases and
their response; the responses as the moderator and internal audit read them."""

from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.core import roles
from audits.models import PractitionerResponse, Staff
from audits.selectors import findings, scoping
from audits.selectors import responses as response_reads
from audits.services import responses as response_service


class ResponseBody(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=PractitionerResponse.Verdict.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class PractitionerResponseSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="audit.assignment.sampled_case.case.case_ref")
    person = serializers.CharField(source="staff.name")

    class Meta:
        model = PractitionerResponse
        fields = ["id", "audit", "case_ref", "person", "held_as", "verdict", "comment", "at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(operation_id="findings_list", responses=OpenApiTypes.OBJECT),
    retrieve=extend_schema(responses=OpenApiTypes.OBJECT),
)
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """GET the final findings of audits of the caller's cases; POST .../response/."""

    scope = staticmethod(findings.findings_for)
    read_roles = (roles.PRACTITIONER,)
    write_roles = (roles.PRACTITIONER,)
    serializer_class = ResponseBody

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("template", "assignment__sampled_case__case__team")
            .order_by("-submitted_at", "pk")
        )

    def _staff(self):
        return Staff.objects.filter(user=self.request.user).first()

    def list(self, request, *args, **kwargs):
        staff = self._staff()
        page = self.paginate_queryset(response_reads.with_finding_reads(self.get_queryset(), staff))
        rows = [response_reads.finding_of(audit, staff) for audit in page]
        return self.get_paginated_response(rows)

    def retrieve(self, request, *args, **kwargs):
        return Response(response_reads.finding_of(self.get_object(), self._staff()))

    @extend_schema(request=ResponseBody, responses={201: PractitionerResponseSerializer})
    @action(detail=True, methods=["post"], serializer_class=ResponseBody)
    def response(self, request, pk=None):
        """Record the practitioner's response to the findings (once)."""
        audit = self.get_object()
        body = ResponseBody(data=request.data)
        body.is_valid(raise_exception=True)
        recorded = response_service.response_record(
            actor=request.user, audit=audit, **body.validated_data
        )
        return Response(PractitionerResponseSerializer(recorded).data, status.HTTP_201_CREATED)


class PractitionerResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Responses: the moderator's (the cycles they run), internal audit's, one's own."""

    scope = staticmethod(scoping.practitioner_responses_for)
    serializer_class = PractitionerResponseSerializer
    filterset_fields = ["verdict", "held_as", "audit"]

    def get_queryset(self):
        return (
            super().get_queryset().select_related("staff", "audit__assignment__sampled_case__case")
        )
