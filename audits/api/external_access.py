"""API for external access: administrators list, give, change and withdraw the read access
of a named outsider (a peer review team, an inspector) to one cycle. Anyone else: a read is
404 and a write 403, before the body is read. The external reviewers themselves use the pages
(``web/external.py``): the API shows them nothing, as to anyone without a role."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.api.strict import StrictDateField
from audits.core import roles
from audits.models import Cycle, ExternalAccess
from audits.selectors import external_access as reads
from audits.services import external_access as service


class ReviewCaseSerializer(serializers.Serializer):
    case_ref = serializers.CharField(source="sampled_case.case.case_ref")
    rank = serializers.IntegerField()
    selection_key = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    """The draw of a case records review, enough to re-check it by hand."""

    size = serializers.IntegerField(source="review_size")
    frame = serializers.ListField(child=serializers.CharField(), source="review_frame")
    frame_hash = serializers.CharField(source="review_frame_hash")
    server_random = serializers.CharField(source="review_server_random")
    seed = serializers.CharField(source="review_seed")
    cases = ReviewCaseSerializer(many=True)


class ExternalAccessSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all()
    )
    cycle = serializers.PrimaryKeyRelatedField(queryset=Cycle.objects.all())
    starts_on = StrictDateField()
    ends_on = StrictDateField()
    review_size = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    state = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ExternalAccess
        fields = [
            "id",
            "person",
            "organisation",
            "purpose",
            "cycle",
            "scope",
            "review_size",
            "starts_on",
            "ends_on",
            "state",
            "granted_by",
            "granted_at",
            "revoked_at",
            "revoke_reason",
            "review",
        ]
        read_only_fields = ["granted_at", "revoked_at", "revoke_reason"]

    def get_state(self, access) -> str:
        return reads.state_of(access)

    @extend_schema(responses=ReviewSerializer(allow_null=True))
    def get_review(self, access) -> dict | None:
        if access.scope != ExternalAccess.Scope.REVIEW:
            return None
        return ReviewSerializer(access).data


class ChangeSerializer(serializers.Serializer):
    starts_on = StrictDateField(required=False)
    ends_on = StrictDateField(required=False)
    organisation = serializers.CharField(required=False, allow_blank=True)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ExternalAccessViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ExternalAccessSerializer
    scope = staticmethod(reads.grants_for)
    read_roles = (roles.ADMIN,)
    write_roles = (roles.ADMIN,)
    filterset_fields = ["cycle", "purpose", "scope"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("cases__sampled_case__case")

    def create(self, request):
        given = ExternalAccessSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        access = service.external_access_grant(actor=request.user, **fields)
        return Response(
            ExternalAccessSerializer(self.get_queryset().get(pk=access.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ChangeSerializer, responses=ExternalAccessSerializer)
    def partial_update(self, request, pk=None):
        access = self.get_object()
        given = ChangeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        service.external_access_change(actor=request.user, access=access, **given.validated_data)
        return Response(ExternalAccessSerializer(self.get_object()).data)

    @extend_schema(request=RevokeSerializer, responses=ExternalAccessSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Withdraw the access now, with a reason."""
        access = self.get_object()
        given = RevokeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        service.external_access_revoke(actor=request.user, access=access, **given.validated_data)
        return Response(ExternalAccessSerializer(self.get_object()).data)
