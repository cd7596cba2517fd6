"""Checklist templates: staff read them; municipal administrators publish and version them."""

from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action

from backend.api.base import GenericViewSet
from backend.api.conditional import (
    ConditionalRetrieveMixin,
    conditional_response,
    require_fresh,
)
from backend.api.permissions import IsMunicipalAdmin, IsMunicipalStaff
from inspections.models import ChecklistItem, ChecklistTemplate
from inspections.services import checklists as services


class ChecklistTemplateItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "code",
            "position",
            "theme",
            "question",
            "guidance",
            "answer_type",
            "choices",
            "passing_answer",
            "min_value",
            "max_value",
            "passing_choices",
            "measures",
            "photo_required",
            "failure_severity",
            "norm_article",
        ]
        read_only_fields = fields


class ChecklistTemplateSummarySerializer(serializers.ModelSerializer):
    items_count = serializers.IntegerField(read_only=True, help_text="How many items it has.")

    class Meta:
        model = ChecklistTemplate
        fields = [
            "id",
            "code",
            "version",
            "name",
            "source",
            "status",
            "published_at",
            "items_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ChecklistTemplateDetailSerializer(ChecklistTemplateSummarySerializer):
    items = ChecklistTemplateItemSerializer(
        many=True, read_only=True, help_text="In position order."
    )

    class Meta(ChecklistTemplateSummarySerializer.Meta):
        fields = [*ChecklistTemplateSummarySerializer.Meta.fields, "items"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Checklist templates, every version (filters code, status)"),
    retrieve=extend_schema(summary="One checklist version with all its items, in position order"),
)
class ChecklistTemplateViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """Municipal staff read the checklists; a published version never changes."""

    permission_classes = [IsMunicipalStaff]
    filterset_fields = ["code", "status"]

    def get_queryset(self):
        templates = ChecklistTemplate.objects.annotate(items_count=Count("items")).order_by("id")
        if self.action == "list":
            return templates
        return templates.prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.order_by("position"))
        )

    def get_serializer_class(self):
        if self.action == "list":
            return ChecklistTemplateSummarySerializer
        return ChecklistTemplateDetailSerializer

    def _detail(self, request, template: ChecklistTemplate, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=template.pk)
        return conditional_response(request, self.get_serializer(fresh).data, status_code)

    @extend_schema(
        summary="Publish a draft version (municipal administrator); send If-Match to be sure "
        "you publish what you reviewed",
        request=None,
        responses=ChecklistTemplateDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsMunicipalAdmin])
    def publish(self, request, pk=None):
        template = self.get_object()
        require_fresh(request, self.get_serializer(template).data)
        services.publish_template(actor=request.user, template=template)
        return self._detail(request, template)

    @extend_schema(
        summary="Make a new draft version, a copy of this one (municipal administrator)",
        request=None,
        responses={201: ChecklistTemplateDetailSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="new-version",
        url_name="new-version",
        permission_classes=[IsMunicipalAdmin],
    )
    def new_version(self, request, pk=None):
        copy = services.new_version(actor=request.user, template=self.get_object())
        return self._detail(request, copy, status.HTTP_201_CREATED)
