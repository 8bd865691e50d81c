"""API for who audits which case of a cycle: assign, list, override a rule for one case, and
move the unstarted audits of an auditor who became unavailable (mixed into `CycleViewSet`)."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.schema import NOT_DRAWN
from audits.core.errors import DomainError
from audits.models import Assignment, SampledCase, Staff
from audits.services import assignment as assignment_service
from audits.services import lifecycle


class OverrideSerializer(serializers.Serializer):
    sampled_case = serializers.IntegerField()
    auditor = serializers.SlugRelatedField(
        slug_field="staff_ref", queryset=Staff.objects.filter(is_active=True)
    )
    role = serializers.ChoiceField(Assignment.Role.values, default=Assignment.Role.PRIMARY)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    over_capacity = serializers.BooleanField(
        default=False, help_text="true to assign past the auditor's capacity (400 otherwise)"
    )


class UnavailableSerializer(serializers.Serializer):
    auditor = serializers.SlugRelatedField(slug_field="staff_ref", queryset=Staff.objects.all())


class AssignmentSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="sampled_case.case.case_ref")
    auditor = serializers.CharField(source="auditor.staff_ref")
    audit = serializers.IntegerField(source="audit.pk")
    audit_status = serializers.CharField(source="audit.status")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "sampled_case",
            "case_ref",
            "role",
            "auditor",
            "audit",
            "audit_status",
            "override_rules",
            "override_reason",
        ]


class AssignmentActions:
    """The cycle's actions on its assignments (mixed into `CycleViewSet`)."""

    @extend_schema(request=None, responses={201: OpenApiTypes.OBJECT, 409: NOT_DRAWN})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign auditors to the drawn sample under the rules (201: assignments created)."""
        cycle = lifecycle.check_drawn(self.get_object())
        return Response(
            assignment_service.cycle_assign(cycle=cycle, actor=request.user), status=201
        )

    @extend_schema(responses=AssignmentSerializer(many=True))
    @action(detail=True, methods=["get"], paginated=True)
    def assignments(self, request, pk=None):
        """The cycle's assignments: who audits which sampled case."""
        cycle = self.get_object()
        rows = Assignment.objects.filter(sampled_case__cycle=cycle).select_related(
            "sampled_case__case", "auditor", "audit"
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)

    @extend_schema(request=OverrideSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """Assign an auditor by hand, past a rule, with a reason."""
        cycle = lifecycle.check_drawn(self.get_object())
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        sampled = SampledCase.objects.filter(cycle=cycle, pk=data["sampled_case"]).first()
        if sampled is None:
            raise DomainError(
                "No such case in this cycle's sample.", fields={"sampled_case": ["not found"]}
            )
        item = assignment_service.assignment_override(
            sampled_case=sampled,
            auditor=data["auditor"],
            role=data["role"],
            actor=request.user,
            reason=data["reason"],
            over_capacity=data["over_capacity"],
        )
        item = Assignment.objects.select_related("sampled_case__case", "auditor", "audit").get(
            pk=item.pk
        )
        return Response(AssignmentSerializer(item).data, status=201)

    @extend_schema(request=UnavailableSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def unavailable(self, request, pk=None):
        """Mark an auditor unavailable and reassign their open audits."""
        cycle = lifecycle.check_drawn(self.get_object())
        body = UnavailableSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        summary = assignment_service.auditor_unavailable(
            cycle=cycle, staff=body.validated_data["auditor"], actor=request.user
        )
        return Response(summary)
