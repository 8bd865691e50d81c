"""API for audit cycles: define, plan, draw, extend, replace, verify, download the frame."""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse
from drf_spectacular.utils import (
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from audits.api.base import ModelViewSet, ScopedViewSet
from audits.core import roles, sampling
from audits.core.errors import DomainError, StateConflict
from audits.core.sampling import verify_script_text
from audits.models import Assignment, Cycle, SampledCase, Staff, Team
from audits.models.cycles import DEFAULT_MINIMUM_PER_STRATUM
from audits.selectors import permissions, sample_record, scoping
from audits.services import assignment as assignment_service
from audits.services import lifecycle, sample
from audits.services.templates import current_template

RULE_NAMES = ("R1", "R2", "R3", "R4", "R5")
PLAN_METHODS = ("fixed", "estimation", "attribute")
ALLOCATION_METHODS = ("proportional", "neyman", "equal")


class PlanSerializer(serializers.Serializer):
    method = serializers.ChoiceField(PLAN_METHODS, default="fixed")
    n = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    margin = serializers.FloatField(min_value=0.001, max_value=0.5, required=False)
    confidence = serializers.FloatField(min_value=0.5, max_value=0.999, default=0.95)
    p = serializers.FloatField(min_value=0.01, max_value=0.99, default=0.5)
    tolerable_rate = serializers.FloatField(min_value=0.001, max_value=0.5, required=False)
    expected_rate = serializers.FloatField(min_value=0.0, max_value=0.5, required=False)
    allocation = serializers.ChoiceField(ALLOCATION_METHODS, default="proportional")
    minimum = serializers.IntegerField(
        min_value=0, max_value=10_000, default=DEFAULT_MINIMUM_PER_STRATUM
    )
    sd = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=1_000), required=False
    )

    def validate(self, attrs):
        needs = {
            "fixed": ["n"],
            "estimation": ["margin"],
            "attribute": ["tolerable_rate", "expected_rate"],
        }[attrs["method"]]
        missing = {name: ["required for this method"] for name in needs if name not in attrs}
        if attrs["allocation"] == "neyman" and "sd" not in attrs:
            missing["sd"] = ["Neyman allocation needs a standard deviation per stratum"]
        if missing:
            raise serializers.ValidationError(missing)
        if attrs["method"] == "attribute" and attrs["expected_rate"] >= attrs["tolerable_rate"]:
            raise serializers.ValidationError(
                {"expected_rate": ["must be below the tolerable rate"]}
            )
        return attrs


class FrameSerializer(serializers.Serializer):
    seed = serializers.CharField()
    server_random = serializers.CharField()
    witness_input = serializers.CharField()
    seed_algorithm = serializers.CharField()
    frozen_at = serializers.DateTimeField(allow_null=True)
    frame_hash = serializers.CharField()
    size = serializers.IntegerField()
    strata_sizes = serializers.DictField(child=serializers.IntegerField())
    allocation = serializers.DictField(child=serializers.IntegerField())
    exclusion_counts = serializers.DictField(child=serializers.IntegerField())
    algorithm = serializers.CharField()
    algorithm_version = serializers.CharField()
    selection_path = serializers.CharField()
    drawn_by = serializers.CharField(source="drawn_by.username", default=None)
    drawn_at = serializers.DateTimeField()
    overlapping_draws = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_overlapping_draws(self, frame) -> list | None:
        """Other drawn cycles over an overlapping period and teams; on one cycle only
        (None in the list, which would otherwise look them up once per cycle)."""
        if getattr(self.context.get("view"), "action", None) == "list":
            return None
        return sample_record.overlapping_draws(cycle=frame.cycle)


class CycleSerializer(serializers.ModelSerializer):
    teams = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), many=True, required=False
    )
    case_types = serializers.ListField(
        child=serializers.ChoiceField(settings.CASE_TYPES), required=False, max_length=50
    )
    plan = serializers.JSONField(required=False)
    rules = serializers.DictField(child=serializers.BooleanField(), required=False)
    second_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=0, max_value=1, required=False
    )
    moderation_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=0, max_value=1, required=False
    )
    frame = FrameSerializer(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Cycle
        fields = [
            "id",
            "name",
            "period_start",
            "period_end",
            "status",
            "case_types",
            "teams",
            "open_on",
            "exclude_audited_months",
            "exclude_closed_before_period",
            "stratify_by",
            "plan",
            "rules",
            "second_share",
            "moderation_share",
            "frame",
            "template",
            "assignment_summary",
            "created_at",
        ]
        read_only_fields = ["status", "created_at", "template", "assignment_summary"]

    def validate_plan(self, plan):
        checked = PlanSerializer(data=plan)
        checked.is_valid(raise_exception=True)
        return dict(checked.validated_data)

    def validate_rules(self, rules):
        unknown = set(rules) - set(RULE_NAMES)
        if unknown:
            raise serializers.ValidationError(f"unknown rules: {', '.join(sorted(unknown))}")
        return {name: rules.get(name, True) for name in RULE_NAMES}

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"period_end": ["must not be before period_start"]})
        if self.instance is not None and self.instance.status != Cycle.Status.PLANNED:
            raise StateConflict("A cycle cannot be changed once its sample is drawn.")
        if self.instance is None or "teams" in attrs:
            # A cycle covers only teams its manager manages (no teams: every team).
            problem = permissions.cycle_teams_problem(self._actor(), attrs.get("teams", []))
            if problem:
                raise serializers.ValidationError({"teams": [problem]})
        return attrs

    def _actor(self):
        request = self.context.get("request")
        return self.context.get("actor") or getattr(request, "user", None)

    def validate_exclude_audited_months(self, value):
        if value > 120:
            raise serializers.ValidationError("at most 120 months")
        return value


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


class ReplaceSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DrawSerializer(serializers.Serializer):
    """Only the public witness input: the seed is derived by the server (commit, reveal)."""

    witness_input = serializers.CharField(
        max_length=sampling.WITNESS_INPUT_MAX_LENGTH, required=False, allow_blank=True,
        trim_whitespace=False, default="",
        help_text="optional, e.g. dice rolled before witnesses: letters, digits, spaces, '-'",
    )  # fmt: skip

    def to_internal_value(self, data):
        if isinstance(data, dict) and "seed" in data:
            raise serializers.ValidationError(
                {"seed": ["A seed cannot be given: the server derives it from the frozen "
                          "frame's hash, its own random bits and the optional witness_input."]}
            )  # fmt: skip
        unknown = set(data) - set(self.fields) if isinstance(data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)

    def validate_witness_input(self, value):
        try:
            return sampling.clean_witness_input(value)
        except sampling.SamplingError as error:
            raise serializers.ValidationError(str(error)) from None


class OverrideSerializer(serializers.Serializer):
    sampled_case = serializers.IntegerField()
    auditor = serializers.SlugRelatedField(
        slug_field="staff_ref", queryset=Staff.objects.filter(is_active=True)
    )
    role = serializers.ChoiceField(Assignment.Role.values, default=Assignment.Role.PRIMARY)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class UnavailableSerializer(serializers.Serializer):
    auditor = serializers.SlugRelatedField(slug_field="staff_ref", queryset=Staff.objects.all())


class AssignmentSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="sampled_case.case.case_ref")
    auditor = serializers.CharField(source="auditor.staff_ref")
    audit = serializers.IntegerField(source="audit.pk")
    audit_status = serializers.CharField(source="audit.status")

    class Meta:
        model = Assignment
        fields = ["id", "sampled_case", "case_ref", "role", "auditor", "audit", "audit_status",
                  "override_rules", "override_reason"]  # fmt: skip


class CycleViewSet(ModelViewSet):
    serializer_class = CycleSerializer
    scope = staticmethod(scoping.cycles_for)
    write_roles = (roles.MANAGER,)
    filterset_fields = ["status"]

    def get_queryset(self):
        # Changes go through the manager role only, never a role held as an auditor.
        scope = self.scope if self.request.method in SAFE_METHODS else scoping.cycles_managed_by
        return (
            scope(self.request.user)
            .select_related("frame", "frame__drawn_by")
            .prefetch_related("teams")
        )

    def extra_create_fields(self):
        return {"created_by": self.request.user, "template": current_template()}

    def perform_destroy(self, instance):
        if instance.status != Cycle.Status.PLANNED:
            raise StateConflict("A cycle whose sample is drawn cannot be deleted.")
        super().perform_destroy(instance)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def plan(self, request, pk=None):
        return Response(sample.cycle_plan(cycle=self.get_object()))

    @extend_schema(request=DrawSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        cycle = self.get_object()
        body = DrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sample.sample_draw(
            cycle=cycle, actor=request.user, witness_input=body.validated_data["witness_input"]
        )
        return Response(CycleSerializer(self.get_queryset().get(pk=cycle.pk)).data, status=201)

    @extend_schema(request=ExtendSerializer, responses=SampledCaseSerializer(many=True))
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        cycle = self.get_object()
        body = ExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        added = sample.sample_extend(
            cycle=cycle, actor=request.user, sizes=body.validated_data["sizes"]
        )
        rows = SampledCase.objects.filter(pk__in=[s.pk for s in added]).select_related("case__team")
        return Response(SampledCaseSerializer(rows, many=True).data, status=201)

    @extend_schema(responses=SampledCaseSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="sample")
    def sample_list(self, request, pk=None):
        cycle = self.get_object()
        rows = SampledCase.objects.filter(cycle=cycle).select_related("case__team")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SampledCaseSerializer(page, many=True).data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        cycle = self._drawn()
        return Response(
            assignment_service.cycle_assign(cycle=cycle, actor=request.user), status=201
        )

    @extend_schema(responses=AssignmentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def assignments(self, request, pk=None):
        cycle = self.get_object()
        rows = Assignment.objects.filter(sampled_case__cycle=cycle).select_related(
            "sampled_case__case", "auditor", "audit"
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)

    @extend_schema(request=OverrideSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        cycle = self._drawn()
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        sampled = SampledCase.objects.filter(cycle=cycle, pk=data["sampled_case"]).first()
        if sampled is None:
            raise DomainError(
                "No such case in this cycle's sample.", fields={"sampled_case": ["not found"]}
            )
        item = assignment_service.assignment_override(
            sampled_case=sampled, auditor=data["auditor"], role=data["role"],
            actor=request.user, reason=data["reason"],
        )  # fmt: skip
        item = Assignment.objects.select_related("sampled_case__case", "auditor", "audit").get(
            pk=item.pk
        )
        return Response(AssignmentSerializer(item).data, status=201)

    @extend_schema(request=UnavailableSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def unavailable(self, request, pk=None):
        cycle = self._drawn()
        body = UnavailableSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        summary = assignment_service.auditor_unavailable(
            cycle=cycle, staff=body.validated_data["auditor"], actor=request.user
        )
        return Response(summary)

    def _drawn(self):
        cycle = self.get_object()
        if not hasattr(cycle, "frame"):
            raise StateConflict("This cycle's sample has not been drawn yet.")
        return cycle

    @extend_schema(request=CloseSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        cycle = self.get_object()
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lifecycle.cycle_close(
            cycle=cycle, actor=request.user, reason=body.validated_data.get("reason", "")
        )
        return Response(CycleSerializer(self.get_queryset().get(pk=cycle.pk)).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def verification(self, request, pk=None):
        return Response(sample_record.sample_verify(cycle=self._drawn()))

    @extend_schema(responses={(200, "text/x-python"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="verify_sample.py")
    def verify_script(self, request, pk=None):
        self._drawn()
        return HttpResponse(verify_script_text(), content_type="text/x-python; charset=utf-8")

    @extend_schema(responses={(200, "application/gzip"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path="frame.csv",
        read_roles=(roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN),
    )
    def frame_csv(self, request, pk=None):
        return self._frame_file()

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(
        detail=True,
        methods=["get"],
        url_path="sample.csv",
        read_roles=(roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN),
    )
    def sample_csv(self, request, pk=None):
        """The sample on record (stratum, rank, case_ref), as verify_sample.py reads it."""
        cycle = self._drawn()
        response = HttpResponse(sample_record.sample_csv(cycle=cycle), content_type="text/csv")
        name = sample_record.sample_file_name(cycle)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _frame_file(self):
        cycle = self._drawn()
        path = sample_record.frames_dir() / cycle.frame.frame_file
        if not Path(path).is_file():
            raise DomainError("The stored frame file is missing.")
        return FileResponse(
            path.open("rb"),
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
