"""Inspections: planned and assigned by planners, carried out and submitted by inspectors."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from backend.accounts.models import User
from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response, require_fresh
from backend.api.pagination import CursorPagination
from backend.api.permissions import IsMunicipalStaff
from inspections.models import Inspection, InspectionKind, InspectionStatus
from inspections.selectors.fieldwork import inspection_details, inspections_visible_to
from inspections.selectors.housing import locations_visible_to
from inspections.services import inspections as services
from inspections.services.submissions import (
    SubmissionResult,
    canonical_sha256,
    missing_photos,
    submit_inspection,
)

from .inspection_serializers import (
    AssignSerializer,
    InspectionCreateSerializer,
    InspectionSerializer,
    ScheduleSerializer,
    SubmissionInputSerializer,
    SubmissionResultSerializer,
    TransitionSerializer,
)


class InspectionFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=InspectionStatus.choices, distinct=False)
    kind = filters.MultipleChoiceFilter(choices=InspectionKind.choices, distinct=False)
    assigned_to = filters.CharFilter(field_name="assigned_to__username")
    planned_after = filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    planned_before = filters.DateFilter(field_name="planned_date", lookup_expr="lte")
    municipality = filters.CharFilter(field_name="location__municipality__code")

    class Meta:
        model = Inspection
        fields = ["location", "planned_date"]


class InspectionPagination(CursorPagination):
    ordering = "-id"


@extend_schema_view(
    list=extend_schema(summary="Inspections in your municipalities"),
    retrieve=extend_schema(
        summary="One inspection (with ETag: send it as If-Match when you submit)"
    ),
)
class InspectionViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    permission_classes = [IsMunicipalStaff]
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    pagination_class = InspectionPagination

    def get_queryset(self):
        return inspection_details(inspections_visible_to(self.request.user))

    def _respond(self, inspection, status_code=status.HTTP_200_OK):
        inspection = self.get_queryset().get(pk=inspection.pk)
        return conditional_response(self.request, self.get_serializer(inspection).data, status_code)

    @extend_schema(
        summary="Plan an inspection",
        request=InspectionCreateSerializer,
        responses={201: InspectionSerializer},
    )
    def create(self, request):
        data = InspectionCreateSerializer(
            data=request.data,
            locations=locations_visible_to(request.user).select_related("municipality"),
        )
        data.is_valid(raise_exception=True)
        inspection = services.plan_inspection(actor=request.user, **data.validated_data)
        return self._respond(inspection, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reschedule (send If-Match)",
        request=ScheduleSerializer,
        responses=InspectionSerializer,
    )
    def partial_update(self, request, pk=None):
        inspection = self.get_object()
        require_fresh(request, self.get_serializer(inspection).data)
        data = ScheduleSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.schedule_inspection(
            actor=request.user, inspection=inspection, data=data.validated_data
        )
        return self._respond(inspection)

    @extend_schema(
        summary="Assign to an inspector", request=AssignSerializer, responses=InspectionSerializer
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        inspection = self.get_object()
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        inspector = User.objects.filter(username=values.pop("inspector"), is_active=True).first()
        if inspector is None:
            raise ValidationError({"inspector": [_("No active user with this username.")]})
        services.assign_inspection(
            actor=request.user, inspection=inspection, inspector=inspector, **values
        )
        return self._respond(inspection)

    @extend_schema(
        summary="Move to another state (409 says which moves are possible)",
        request=TransitionSerializer,
        responses=InspectionSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        inspection = self.get_object()
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.transition_inspection(
            actor=request.user, inspection=inspection, **data.validated_data
        )
        return self._respond(inspection)

    @extend_schema(
        summary="Submit the inspection made offline (replay-safe by its id)",
        request=SubmissionInputSerializer,
        responses={201: SubmissionResultSerializer, 200: SubmissionResultSerializer},
    )
    @action(detail=True, methods=["post", "get"])
    def submission(self, request, pk=None):
        inspection = self.get_object()
        if request.method == "GET":
            stored = getattr(inspection, "submission", None)
            if stored is None:
                raise NotFound(
                    _("Inspection %(id)s has no submission yet.") % {"id": inspection.pk}
                )
            result = SubmissionResult(stored, created=False, missing_photos=missing_photos(stored))
            return Response({**SubmissionResultSerializer(result).data, "payload": stored.payload})
        data = SubmissionInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        result = submit_inspection(
            actor=request.user,
            inspection=inspection,
            data=data.validated_data,
            content_sha256=canonical_sha256(request.data),
            payload=request.data,
            precondition=lambda current: require_fresh(request, self.get_serializer(current).data),
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(SubmissionResultSerializer(result).data, status=code)
