"""API for the register's people: teams, staff and declared conflicts."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from audits.api.base import ModelViewSet
from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Staff, Team
from audits.selectors import conflict_scope, scoping
from audits.services import conflicts
from audits.services.conflicts import conflict_snapshot
from audits.services.staff import access_change_record, staff_access


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "service_area"]


class StaffSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), allow_null=True, required=False
    )
    managed_teams = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), many=True, required=False
    )
    username = serializers.CharField(source="user.username", read_only=True, default=None)

    class Meta:
        model = Staff
        fields = [
            "id",
            "staff_ref",
            "name",
            "email",
            "team",
            "managed_teams",
            "capacity",
            "is_active",
            "username",
        ]


class ConflictSerializer(serializers.Serializer):
    """A conflict by references. ``auditor`` defaults to the caller; changing or withdrawing
    one needs ``change_reason`` (DELETE takes it in the body)."""

    id = serializers.IntegerField(read_only=True)
    auditor = serializers.CharField(
        max_length=64, required=False, help_text="staff_ref; yours if left out"
    )
    case = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    worker = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    reason = serializers.CharField(max_length=500)
    declared_on = serializers.DateField(read_only=True)
    change_reason = serializers.CharField(
        max_length=500, required=False, write_only=True, help_text="why it is changed"
    )

    def to_representation(self, conflict):
        return {
            "id": conflict.pk,
            **conflict_snapshot(conflict),
            "declared_on": serializers.DateField().to_representation(conflict.declared_on),
        }


class ConflictWithdrawalSerializer(serializers.Serializer):
    change_reason = serializers.CharField(max_length=500)


class TeamViewSet(ModelViewSet):
    serializer_class = TeamSerializer
    scope = staticmethod(scoping.teams_for)
    filterset_fields = ["service_area"]

    def perform_destroy(self, instance):
        if instance.cases.exists() or instance.staff_set.exists():
            raise DomainError("A team with cases or staff cannot be deleted.")
        super().perform_destroy(instance)


class StaffViewSet(ModelViewSet):
    serializer_class = StaffSerializer
    scope = staticmethod(scoping.staff_for)
    filterset_fields = ["team__name", "is_active"]

    def get_queryset(self):
        return (
            super().get_queryset().select_related("team", "user").prefetch_related("managed_teams")
        )

    # A change of someone's team or managed teams changes what they may reach: each is an
    # Event with before and after, whatever else records the write.
    def perform_create(self, serializer):
        with transaction.atomic():
            super().perform_create(serializer)
            access_change_record(
                actor=self.request.user,
                subject=serializer.instance,
                before=None,
                after=staff_access(serializer.instance),
                via="the API",
            )

    def perform_update(self, serializer):
        with transaction.atomic():
            before = staff_access(serializer.instance)
            super().perform_update(serializer)
            access_change_record(
                actor=self.request.user,
                subject=serializer.instance,
                before=before,
                after=staff_access(serializer.instance),
                via="the API",
            )

    def perform_destroy(self, instance):
        # Staff appear in allocation history and audits: deactivate rather than delete.
        raise DomainError("Staff cannot be deleted; set is_active to false instead.")


class ConflictViewSet(ModelViewSet):
    serializer_class = ConflictSerializer
    scope = staticmethod(conflict_scope.conflicts_for)
    # Auditors declare their own; managers record, change and withdraw for their teams.
    write_roles = (roles.MANAGER, roles.AUDITOR)

    def get_queryset(self):
        return super().get_queryset().select_related("auditor", "case", "worker")

    def get_object(self):
        conflict = super().get_object()
        if self.request.method not in SAFE_METHODS:
            # Seen (one's own) is not changeable: 403 before the body is even looked at.
            conflicts.conflict_check_may_change(actor=self.request.user, conflict=conflict)
        return conflict

    # The services write the conflict and its Event; nothing here saves by itself.
    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = conflicts.conflict_declare(
            actor=self.request.user,
            auditor_ref=data.get("auditor"),
            case_ref=data.get("case"),
            worker_ref=data.get("worker"),
            reason=data["reason"],
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        change_reason = data.pop("change_reason", None)
        serializer.instance = conflicts.conflict_change(
            actor=self.request.user,
            conflict=serializer.instance,
            changes=data,
            change_reason=change_reason,
        )

    @extend_schema(
        summary="Withdraw a declared conflict (a manager of its team, with a reason)",
        description=(
            "Send the reason in the body, as JSON or form data: "
            '`{"change_reason": "why it is withdrawn"}` (required, at most 500 characters). '
            "The withdrawal is recorded as an Event with what the conflict said."
        ),
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        body = ConflictWithdrawalSerializer(
            data=self.request.data if hasattr(self.request.data, "get") else {}
        )
        body.is_valid(raise_exception=True)
        conflicts.conflict_withdraw(
            actor=self.request.user,
            conflict=instance,
            change_reason=body.validated_data["change_reason"],
        )
