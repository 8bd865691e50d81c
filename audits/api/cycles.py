"""API for audit cycles: define, plan, draw and close; the sample's actions come from
`audits.api.samples`, the assignments' from `audits.api.cycle_assignments`."""

from django.conf import settings
from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from audits.api import cycle_window
from audits.api.base import ModelViewSet
from audits.api.cycle_assignments import AssignmentActions
from audits.api.fields import TeamField
from audits.api.samples import SampleActions
from audits.core import cycle_rules, roles, sampling
from audits.core.planning import ALLOCATION_METHODS, PLAN_METHODS
from audits.core.rules import ALL_RULES, RULES
from audits.models import Cycle
from audits.selectors import sample_record, scoping
from audits.services import cycles, lifecycle, sample
from audits.services.cycles import PLAN_DEFAULTS


class PlanSerializer(serializers.Serializer):
    method = serializers.ChoiceField(PLAN_METHODS, default=PLAN_DEFAULTS["method"])
    n = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    margin = serializers.FloatField(min_value=0.001, max_value=0.5, required=False)
    confidence = serializers.FloatField(
        min_value=0.5, max_value=0.999, default=PLAN_DEFAULTS["confidence"]
    )
    p = serializers.FloatField(min_value=0.01, max_value=0.99, default=PLAN_DEFAULTS["p"])
    tolerable_rate = serializers.FloatField(min_value=0.001, max_value=0.5, required=False)
    expected_rate = serializers.FloatField(min_value=0.0, max_value=0.5, required=False)
    allocation = serializers.ChoiceField(ALLOCATION_METHODS, default=PLAN_DEFAULTS["allocation"])
    minimum = serializers.IntegerField(
        min_value=0, max_value=10_000, default=PLAN_DEFAULTS["minimum"]
    )
    sd = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=1_000), required=False
    )

    def validate(self, attrs):
        # The rules themselves are the service's (the page's form meets the same ones).
        problems = cycle_rules.plan_problems(attrs)
        if problems:
            raise serializers.ValidationError(problems)
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
    teams = TeamField(many=True, required=False)
    team_names = serializers.SlugRelatedField(
        source="teams", slug_field="name", many=True, read_only=True
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
    window_reason = cycle_window.reason_field()

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
            "team_names",
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
            "audit_opens_on",
            "audit_due_date",
            "window_reason",
            "created_at",
        ]
        read_only_fields = ["status", "created_at", "template", "assignment_summary"]

    def validate_plan(self, plan):
        checked = PlanSerializer(data=plan)
        checked.is_valid(raise_exception=True)
        return dict(checked.validated_data)

    def validate_rules(self, rules):
        unknown = set(rules) - ALL_RULES
        if unknown:
            raise serializers.ValidationError(f"unknown rules: {', '.join(sorted(unknown))}")
        return {name: rules.get(name, True) for name in RULES}

    def validate(self, attrs):
        cycle_window.validate_window(self.instance, attrs)
        if self.instance is not None:  # a new cycle is checked by cycles.cycle_create
            actor = self.context["request"].user
            problems = cycles.cycle_problems(actor=actor, fields=attrs, cycle=self.instance)
            if problems:
                raise serializers.ValidationError(problems)
        return attrs

    def validate_exclude_audited_months(self, value):
        if value > 120:
            raise serializers.ValidationError("at most 120 months")
        return value


class CloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DrawSerializer(serializers.Serializer):
    """Only the public witness input: the seed is derived by the server (commit, reveal)."""

    witness_input = serializers.CharField(
        max_length=sampling.WITNESS_INPUT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        help_text="optional, e.g. dice rolled before witnesses: letters, digits, spaces, '-'",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and "seed" in data:
            raise serializers.ValidationError(
                {
                    "seed": [
                        "A seed cannot be given: the server derives it from the frozen "
                        "frame's hash, its own random bits and the optional witness_input."
                    ]
                }
            )
        unknown = set(data) - set(self.fields) if isinstance(data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)

    def validate_witness_input(self, value):
        try:
            return sampling.clean_witness_input(value)
        except sampling.SamplingError as error:
            raise serializers.ValidationError(str(error)) from None


class CycleViewSet(SampleActions, AssignmentActions, ModelViewSet):
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

    def perform_create(self, serializer):
        serializer.instance = cycles.cycle_create(
            actor=self.request.user, fields=serializer.validated_data
        )

    def perform_update(self, serializer):
        cycles.cycle_check_changeable(cycle=serializer.instance, changes=serializer.validated_data)
        if cycle_window.save_window(serializer, self.request.user):
            super().perform_update(serializer)

    def perform_destroy(self, instance):
        cycles.cycle_delete(actor=self.request.user, cycle=instance)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def plan(self, request, pk=None):
        """The sample the cycle would draw now: sizes per stratum."""
        return Response(sample.cycle_plan(cycle=self.get_object()))

    @extend_schema(request=DrawSerializer, responses={201: CycleSerializer})
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        """Draw the cycle's sample (201: the sample is created; the cycle is returned)."""
        cycle = self.get_object()
        body = DrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sample.sample_draw(
            cycle=cycle, actor=request.user, witness_input=body.validated_data["witness_input"]
        )
        return Response(CycleSerializer(self.get_queryset().get(pk=cycle.pk)).data, status=201)

    @extend_schema(request=CloseSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the cycle (with a reason if audits are still open)."""
        cycle = self.get_object()
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lifecycle.cycle_close(
            cycle=cycle, actor=request.user, reason=body.validated_data.get("reason", "")
        )
        return Response(CycleSerializer(self.get_queryset().get(pk=cycle.pk)).data)
