"""API for the reconciliation of double audits: read them (the two blind audits' grades and
the agreed ones) and record the agreed grades with the reason."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.core import roles
from audits.models import Reconciliation
from audits.selectors import scoping
from audits.services import reconciliation as reconciliation_service


class AgreeSerializer(serializers.Serializer):
    overall_grade = serializers.IntegerField(required=False, allow_null=True)
    domain_grades = serializers.DictField(
        child=serializers.IntegerField(), required=False, allow_empty=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ReconciliationSerializer(serializers.ModelSerializer):
    agreed_by = serializers.CharField(source="agreed_by.staff_ref", read_only=True, default=None)

    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "status",
            "first_audit",
            "second_audit",
            "first_grades",
            "second_grades",
            "disagreements",
            "opened_at",
            "agreed_overall_grade",
            "agreed_domain_grades",
            "reason",
            "agreed_by",
            "agreed_at",
        ]
        read_only_fields = fields


class ReconciliationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ReconciliationSerializer
    scope = staticmethod(scoping.reconciliations_for)
    write_roles = (roles.MANAGER,)
    filterset_fields = ["status", "sampled_case__cycle"]

    def get_queryset(self):
        # Recording agreed grades is for the managers of the case's cycle; the service
        # then refuses (403) one who audited the case or is not independent of it.
        if self.action == "agree":
            scoped = scoping.reconciliations_managed_by(self.request.user)
        else:
            scoped = super().get_queryset()
        return scoped.select_related("agreed_by").order_by("opened_at", "pk")

    @extend_schema(request=AgreeSerializer, responses=ReconciliationSerializer)
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None):
        """Record the agreed grades of a double audit."""
        reconciliation = self.get_object()
        body = AgreeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        agreed = reconciliation_service.reconciliation_agree(
            reconciliation=reconciliation,
            actor=request.user,
            overall_grade=data.get("overall_grade"),
            domain_grades=data.get("domain_grades"),
            reason=data.get("reason", ""),
        )
        return Response(ReconciliationSerializer(agreed).data)
