"""API for actions, the improvement plan they serve, and follow-up audits."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.register import CaseViewSet, ModelViewSet
from audits.core import roles
from audits.core.errors import DomainError, StateConflict
from audits.models import Action, Audit, FollowUp, ImprovementItem, Staff
from audits.selectors import permissions, scoping
from audits.services import actions as action_service
from audits.services.audits import NotYours
from audits.services.history import event_record

EDITABLE_WHILE_OPEN = ("description", "priority", "due_date", "owner", "improvement_item")


class ImprovementItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImprovementItem
        fields = ["id", "reference", "title", "source", "description"]


class ImprovementItemViewSet(ModelViewSet):
    serializer_class = ImprovementItemSerializer
    scope = staticmethod(scoping.improvement_items_for)
    write_roles = (roles.ADMIN, roles.MANAGER)


class ActionSerializer(serializers.ModelSerializer):
    audit = serializers.PrimaryKeyRelatedField(
        queryset=Audit.objects.none(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="staff_ref", queryset=Staff.objects.filter(is_active=True)
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

    class Meta:
        model = Action
        fields = [
            "id", "audit", "question_key", "case_ref", "team", "owner", "description",
            "priority", "due_date", "status", "evidence_note", "improvement_item", "overdue",
            "created_at", "done_at", "verified_at",
        ]  # fmt: skip
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
        if value < timezone.localdate() and value != getattr(self.instance, "due_date", None):
            raise serializers.ValidationError("must be today or later")
        return value


class ActionViewSet(ModelViewSet):
    serializer_class = ActionSerializer
    scope = staticmethod(scoping.actions_for)
    write_roles = (roles.MANAGER, roles.AUDITOR, roles.ADMIN)
    filterset_fields = ["status", "priority", "team__name", "owner__staff_ref"]

    def get_queryset(self):
        queryset = (
            super().get_queryset().select_related("case", "team", "owner", "improvement_item")
        )
        if self.request.query_params.get("overdue") in ("1", "true"):
            queryset = queryset.filter(status=Action.Status.OPEN, due_date__lt=timezone.localdate())
        return queryset

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        audit = data.pop("audit", None)
        if audit is None:
            raise DomainError("Actions are raised from an audit.", fields={"audit": ["required"]})
        if not permissions.can_raise_action(request.user, audit):
            raise NotYours("Only the auditor or a manager of its cycle raises actions from it.")
        data.pop("status", None)
        data.pop("evidence_note", None)
        created = action_service.action_create(
            actor=request.user, audit=audit, case=None, fields=data
        )
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        item = self.get_object()
        body = self.get_serializer(item, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        new_status = data.pop("status", item.status)
        edits = {
            k: v for k, v in data.items() if k in EDITABLE_WHILE_OPEN and getattr(item, k) != v
        }
        if edits:
            if item.status != Action.Status.OPEN:
                raise StateConflict("Only an open action can be edited.")
            if not permissions.can_change_action_terms(request.user, item):
                raise NotYours("Only a manager of the action's team changes its terms.")
            before = {k: str(getattr(item, k)) for k in edits}
            for key, value in edits.items():
                setattr(item, key, value)
            item.save()
            event_record(actor=request.user, verb="action.updated", obj=item, before=before,
                         after={k: str(v) for k, v in edits.items()})  # fmt: skip
        if new_status != item.status:
            item = action_service.action_advance(
                action=item, actor=request.user, status=new_status,
                evidence_note=data.get("evidence_note", ""),
            )  # fmt: skip
        return Response(self.get_serializer(item).data)

    def perform_destroy(self, instance):
        raise StateConflict("Actions are kept as part of the audit record; close them instead.")


class FollowUpSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="case.case_ref", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "case_ref", "reason", "requested_at", "included_in"]
        read_only_fields = ["requested_at", "included_in"]


class FollowUpRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CaseFollowUpMixin:
    @extend_schema(request=FollowUpRequestSerializer, responses={201: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up", write_roles=(roles.MANAGER,))
    def follow_up(self, request, pk=None):
        case = self.get_object()  # not a case of a team one manages: 404 before the body
        body = FollowUpRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up = action_service.follow_up_request(
            case=case, actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)


class CaseWithFollowUpViewSet(CaseFollowUpMixin, CaseViewSet):
    def get_queryset(self):
        if self.action == "follow_up":  # permissions.can_request_follow_up
            return scoping.cases_managed_by(self.request.user)
        return super().get_queryset()
