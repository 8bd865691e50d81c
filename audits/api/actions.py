"""API for actions and the improvement plan they serve."""

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ModelViewSet
from audits.api.strict import StrictFilterSet, TrueFalseFilter
from audits.core import action_rules, roles
from audits.core.errors import StateConflict
from audits.models import Action, ActionNote, Audit, ImprovementItem, Staff
from audits.selectors import scoping
from audits.services import actions as action_service


class ImprovementItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImprovementItem
        fields = ["id", "reference", "title", "source", "description"]


class ImprovementItemViewSet(ModelViewSet):
    serializer_class = ImprovementItemSerializer
    scope = staticmethod(scoping.improvement_items_for)
    write_roles = (roles.ADMIN, roles.MANAGER)


class ActionNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = ActionNote
        fields = ["id", "text", "author", "at"]
        read_only_fields = ["author", "at"]


class ActionSerializer(serializers.ModelSerializer):
    audit = serializers.PrimaryKeyRelatedField(
        queryset=Audit.objects.none(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="staff_ref",
        queryset=Staff.objects.filter(is_active=True),
        required=False,
        help_text="default: the case's allocated worker",
    )
    improvement_item = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=ImprovementItem.objects.all(),
        required=False,
        allow_null=True,
    )
    case_ref = serializers.CharField(source="case.case_ref", read_only=True)
    team = serializers.CharField(source="team.name", read_only=True)
    overdue = serializers.SerializerMethodField()
    notes = ActionNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "audit",
            "question_key",
            "case_ref",
            "team",
            "owner",
            "description",
            "priority",
            "due_date",
            "status",
            "evidence_note",
            "improvement_item",
            "overdue",
            "created_at",
            "done_at",
            "verified_at",
            "notes",
        ]
        read_only_fields = ["created_at", "done_at", "verified_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # An action can only hang off an audit the caller can see.
            self.fields["audit"].queryset = scoping.audits_for(request.user)

    def get_overdue(self, obj) -> bool:
        return action_service.is_overdue(obj)

    def validate_due_date(self, value):
        # An action is agreed for the future; an existing one keeps the date it had.
        if value == getattr(self.instance, "due_date", None):
            return value
        if problem := action_rules.due_date_problem(value, timezone.localdate()):
            raise serializers.ValidationError(problem)
        return value


class ActionFilter(StrictFilterSet):
    overdue = TrueFalseFilter(method="filter_overdue")

    class Meta:
        model = Action
        fields = ["status", "priority", "team__name", "owner__staff_ref"]

    def filter_overdue(self, queryset, name, value):
        late = Q(status=Action.Status.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


class ActionViewSet(ModelViewSet):
    serializer_class = ActionSerializer
    scope = staticmethod(scoping.actions_for)
    # Owners (who may hold only the practitioner role) add notes and mark their actions done;
    # the service decides who may do what to which action.
    write_roles = (roles.MANAGER, roles.AUDITOR, roles.ADMIN, roles.PRACTITIONER)
    filterset_class = ActionFilter

    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .select_related("case", "team", "owner", "improvement_item")
            .prefetch_related("notes__author")
        )
        return queryset

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("status", None)
        data.pop("evidence_note", None)
        created = action_service.action_raise(
            actor=request.user, audit=data.pop("audit", None), fields=data
        )
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        item = self.get_object()
        body = self.get_serializer(item, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        item = action_service.action_update(
            actor=request.user,
            action=item,
            status=data.pop("status", item.status),
            evidence_note=data.pop("evidence_note", ""),
            changes=data,
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(request=ActionNoteSerializer, responses={201: ActionNoteSerializer})
    @action(detail=True, methods=["post"], serializer_class=ActionNoteSerializer)
    def notes(self, request, pk=None):
        """Add a progress note to the action."""
        item = self.get_object()
        body = ActionNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = action_service.action_note_add(
            actor=request.user, action=item, text=body.validated_data["text"]
        )
        return Response(ActionNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        raise StateConflict("Actions are kept as part of the audit record; close them instead.")
