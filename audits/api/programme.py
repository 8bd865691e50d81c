"""API for the audit programme: its entries (recurring random audits and themed audits), the
calendar of a year, and moving or skipping one occurrence with a reason. Every manager,
internal audit and administrators read it; an administrator or the QA lead writes it (403
for anyone else, before the body is read). The rules are the service's."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.api.cycles import PlanSerializer
from audits.api.fields import TeamField
from audits.api.strict import StrictDateField
from audits.core import programme as core
from audits.models import ProgrammeEntry
from audits.selectors import programme as reads
from audits.services import programme as service


class ProgrammeWriters(permissions.BasePermission):
    message = service.NOT_WRITER

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or reads.may_write(request.user)


class OccurrenceSerializer(serializers.Serializer):
    scheduled_on = serializers.DateField()
    makes_on = serializers.DateField()
    state = serializers.ChoiceField(list(core.STATE_LABELS))
    moved = serializers.BooleanField()
    reason = serializers.CharField()
    cycle = serializers.IntegerField(source="cycle_id", allow_null=True)
    period_start = serializers.SerializerMethodField()
    period_end = serializers.SerializerMethodField()

    def get_period_start(self, row) -> str:
        return str(row["period"][0])

    def get_period_end(self, row) -> str:
        return str(row["period"][1])


class EntrySerializer(serializers.ModelSerializer):
    teams = TeamField(many=True, required=False)
    case_types = serializers.ListField(
        child=serializers.ChoiceField(settings.CASE_TYPES), required=False
    )
    plan = serializers.JSONField(required=False)
    frequency = serializers.ChoiceField(core.FREQUENCIES, required=False)
    occurrences = serializers.SerializerMethodField()

    class Meta:
        model = ProgrammeEntry
        fields = [
            "id",
            "year",
            "kind",
            "name",
            "frequency",
            "month",
            "day",
            "theme",
            "teams",
            "case_types",
            "stratify_by",
            "plan",
            "starts_on",
            "created_at",
            "occurrences",
        ]
        read_only_fields = ["starts_on", "created_at", "occurrences"]

    def validate_plan(self, plan):
        checked = PlanSerializer(data=plan)
        checked.is_valid(raise_exception=True)
        return dict(checked.validated_data)

    @extend_schema(responses=OccurrenceSerializer(many=True))
    def get_occurrences(self, entry) -> list[dict]:
        rows = reads.occurrence_rows(entry, today=timezone.localdate())
        return OccurrenceSerializer(rows, many=True).data


class MoveSerializer(serializers.Serializer):
    scheduled_on = StrictDateField(help_text="the day the occurrence was first set for")
    to = StrictDateField()
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class SkipSerializer(serializers.Serializer):
    scheduled_on = StrictDateField(help_text="the day the occurrence was first set for")
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class CalendarRowSerializer(OccurrenceSerializer):
    entry = serializers.IntegerField(source="entry.pk")
    name = serializers.CharField(source="entry.name")


class CalendarQuery(serializers.Serializer):
    """The calendar's query: ``?year=`` (this year when left out; anything else is a 400)."""

    year = serializers.IntegerField(
        required=False,
        min_value=core.FIRST_YEAR,
        max_value=core.LAST_YEAR,
        error_messages={
            "invalid": f"Enter a year between {core.FIRST_YEAR} and {core.LAST_YEAR}.",
            "min_value": f"Enter a year between {core.FIRST_YEAR} and {core.LAST_YEAR}.",
            "max_value": f"Enter a year between {core.FIRST_YEAR} and {core.LAST_YEAR}.",
        },
    )


class ProgrammeEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = EntrySerializer
    scope = staticmethod(reads.entries_for)
    read_roles = reads.READ_ROLES
    write_roles = reads.WRITE_ROLES
    permission_classes = [*ScopedViewSet.permission_classes, ProgrammeWriters]
    filterset_fields = ["year", "kind"]

    def create(self, request):
        given = EntrySerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        entry = service.programme_entry_create(actor=request.user, fields=given.validated_data)
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        service.programme_entry_delete(actor=request.user, entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MoveSerializer, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        entry = self.get_object()
        given = MoveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        service.programme_occurrence_move(actor=request.user, entry=entry, **given.validated_data)
        return Response(EntrySerializer(self.get_object()).data)

    @extend_schema(request=SkipSerializer, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        entry = self.get_object()
        given = SkipSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        service.programme_occurrence_skip(actor=request.user, entry=entry, **given.validated_data)
        return Response(EntrySerializer(self.get_object()).data)

    @extend_schema(
        parameters=[CalendarQuery],
        responses=CalendarRowSerializer(many=True),
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        query_serializer=CalendarQuery,
    )
    def calendar(self, request):
        """The year's occurrences of every entry, in the order their cycles are made."""
        today = timezone.localdate()
        year = self.query.get("year") or today.year
        rows = reads.calendar(request.user, year=year, today=today)
        return Response(CalendarRowSerializer(rows, many=True).data)
