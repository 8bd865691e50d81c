"""API for grading forms (templates): versioned, published once, exported and imported."""

from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ModelViewSet
from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Template
from audits.selectors import scoping
from audits.services import templates


class TemplateSerializer(serializers.ModelSerializer):
    definition = serializers.JSONField()
    grade_scale = serializers.JSONField(required=False)
    themes = serializers.JSONField(required=False)

    class Meta:
        model = Template
        fields = [
            "id",
            "name",
            "version",
            "status",
            "description",
            "grade_scale",
            "themes",
            "definition",
            "created_at",
            "published_at",
        ]
        read_only_fields = ["version", "status", "created_at", "published_at"]


@extend_schema_view(
    partial_update=extend_schema(responses={200: TemplateSerializer, 201: TemplateSerializer})
)
class TemplateViewSet(ModelViewSet):
    serializer_class = TemplateSerializer
    scope = staticmethod(scoping.templates_for)
    write_roles = (roles.ADMIN,)
    filterset_fields = ["status", "name"]

    def perform_create(self, serializer):
        serializer.instance = templates.template_create(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    @extend_schema(responses={200: TemplateSerializer, 201: TemplateSerializer})
    def update(self, request, *args, **kwargs):
        """Change a draft in place (200), or a published form as a new draft version (201)."""
        template = self.get_object()
        body = self.get_serializer(template, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        saved = templates.template_update(
            template=template, actor=request.user, data=dict(body.validated_data)
        )
        code = status.HTTP_201_CREATED if saved.pk != template.pk else status.HTTP_200_OK
        return Response(self.get_serializer(saved).data, status=code)

    def perform_destroy(self, instance):
        if instance.status != Template.Status.DRAFT or instance.audits.exists():
            raise DomainError("Only an unused draft can be deleted; retire a published form.")
        super().perform_destroy(instance)

    @extend_schema(request=None, responses=TemplateSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft form so audits can use it."""
        template = templates.template_publish(template=self.get_object(), actor=request.user)
        return Response(self.get_serializer(template).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The form as a portable JSON export (caseassure-template/1)."""
        return Response(templates.template_export(self.get_object()))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: TemplateSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_template(self, request):
        """Create a draft form from a JSON export."""
        data = request.data if isinstance(request.data, dict) else {}
        if data.get("format") != "caseassure-template/1":
            raise DomainError(
                "Not a CaseAssure template export.", fields={"format": ["caseassure-template/1"]}
            )
        body = TemplateSerializer(data=data)
        body.is_valid(raise_exception=True)
        template = templates.template_create(actor=request.user, data=dict(body.validated_data))
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)
