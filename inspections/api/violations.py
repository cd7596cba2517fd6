"""Violations: what a party must remedy, by when."""

from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin
from inspections.models import Severity, Violation, ViolationStatus
from inspections.selectors.housing import locations_visible_to

from .inspection_serializers import ViolationSerializer
from .permissions import UsesRegistry


class ViolationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ViolationStatus.choices)
    severity = filters.ChoiceFilter(choices=Severity.choices)
    overdue = filters.BooleanFilter(
        method="filter_overdue", help_text="Open and past the deadline."
    )

    class Meta:
        model = Violation
        fields = ["location"]

    def filter_overdue(self, queryset, name, value):
        condition = Q(status=ViolationStatus.OPEN, deadline__lt=timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


@extend_schema_view(
    list=extend_schema(summary="Violations at the locations you may see (providers: their own)"),
    retrieve=extend_schema(summary="One violation"),
)
class ViolationViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    permission_classes = [UsesRegistry]
    serializer_class = ViolationSerializer
    filterset_class = ViolationFilter

    def get_queryset(self):
        return (
            Violation.objects.filter(location__in=locations_visible_to(self.request.user))
            .select_related("location", "finding__item", "finding__inspection__submission")
            .order_by("id")
        )
