"""Housing locations: register, read (GeoJSON), change, status, export as CSV."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer

from backend.accounts.selectors import grants_for
from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response, require_fresh
from backend.api.pagination import GeoJSONCursorPagination
from backend.api.renderers import GeoJSONRenderer
from backend.audit.services import record_event
from geo.filters import BBoxFilter
from inspections.selectors.housing import location_details, locations_visible_to
from inspections.services import housing as housing_services
from inspections.services.organisations import require_active_organisation

from .location_filters import LocationFilter
from .location_serializers import (
    LocationInputSerializer,
    LocationSerializer,
    StatusChangeSerializer,
)
from .permissions import EDITING_STAFF, StaffReadsProviderWrites, is_provider, is_staff


class LocationPagination(GeoJSONCursorPagination):
    ordering = "-id"


EXPORT_COLUMNS = [
    "id",
    "address",
    "postcode",
    "municipality",
    "district",
    "kind",
    "status",
    "provider_kvk",
    "usable_floor_area_m2",
    "bedrooms",
    "beds",
    "toilets",
    "showers",
    "norm_profile",
    "capacity",
    "binding_limit",
    "declared_persons",
    "registered_persons",
    "observed_persons",
    "overcrowded",
    "flags",
]


class _Echo:
    def write(self, value):
        return value


@extend_schema_view(
    list=extend_schema(summary="Housing locations you may see, as GeoJSON"),
    retrieve=extend_schema(
        summary="One housing location with its capacity and overcrowding explained"
    ),
)
class LocationViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """Providers register and keep their own housing up to date; staff see their municipalities."""

    permission_classes = [StaffReadsProviderWrites]
    serializer_class = LocationSerializer
    renderer_classes = [GeoJSONRenderer, JSONRenderer]
    pagination_class = LocationPagination
    filter_backends = [filters.DjangoFilterBackend, BBoxFilter]
    filterset_class = LocationFilter
    bbox_filter_field = "point"

    def get_queryset(self):
        return location_details(locations_visible_to(self.request.user))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def retrieve(self, request, *args, **kwargs):
        location = self.get_object()
        if is_staff(request.user):
            record_event(
                actor=request.user,
                action="view",
                target=location,
                municipality_code=location.municipality.code,
            )
        return conditional_response(request, self.get_serializer(location).data)

    def _detail(self, location, status_code=status.HTTP_200_OK):
        location = self.get_queryset().get(pk=location.pk)
        return conditional_response(self.request, self.get_serializer(location).data, status_code)

    @extend_schema(
        summary="Register a housing location",
        request=LocationInputSerializer,
        responses={201: LocationSerializer},
    )
    def create(self, request):
        if not is_provider(request.user):
            raise PermissionDenied(
                _("Housing is registered by the employer or agency that provides it.")
            )
        provider = require_active_organisation(request.user)
        data = LocationInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        location = housing_services.register_location(
            actor=request.user, provider=provider, data=data.validated_data
        )
        response = self._detail(location, status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{location.pk}/")
        return response

    @extend_schema(
        summary="Change a housing location (send If-Match)",
        request=LocationInputSerializer,
        responses=LocationSerializer,
    )
    def partial_update(self, request, pk=None):
        location = self._writable_location()
        require_fresh(request, self.get_serializer(location).data)
        data = LocationInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        housing_services.update_location(
            actor=request.user,
            location=location,
            data=data.validated_data,
            by_staff=is_staff(request.user),
        )
        return self._detail(location)

    def _writable_location(self):
        location = self.get_object()
        user = self.request.user
        if is_staff(user) and not grants_for(user).has_any(EDITING_STAFF):
            raise PermissionDenied(
                _("Only municipal administrators and enforcement officers change locations.")
            )
        return location

    @extend_schema(
        summary="Change the status of a location",
        request=StatusChangeSerializer,
        responses=LocationSerializer,
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        location = self._writable_location()
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        housing_services.change_location_status(
            actor=request.user,
            location=location,
            by_staff=is_staff(request.user),
            **data.validated_data,
        )
        return self._detail(location)

    @extend_schema(
        summary="Export the filtered locations as CSV (staff)",
        responses={(200, "text/csv"): OpenApiResponse(description="One row per location.")},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        if not is_staff(request.user):
            raise PermissionDenied(_("Only municipal staff export locations."))
        queryset = self.filter_queryset(self.get_queryset()).order_by("id")
        writer = csv.writer(_Echo())
        serializer = self.get_serializer()

        def rows():
            yield writer.writerow(EXPORT_COLUMNS)
            for location in queryset.iterator(chunk_size=500):
                yield writer.writerow(export_row(serializer, location))

        record_event(
            actor=request.user,
            action="export",
            target_type="inspections.housinglocation",
            target_id="*",
            target_repr=f"CSV export ({request.GET.urlencode() or 'no filters'})",
            detail=request.get_full_path(),
        )
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="housing-locations.csv"'
        return response


def export_row(serializer: LocationSerializer, location) -> list:
    capacity = serializer._capacity(location)
    return [
        location.pk,
        location.address_line,
        location.postcode,
        location.municipality.code,
        location.district.code if location.district else "",
        location.kind,
        location.status,
        location.provider.kvk_number,
        location.usable_floor_area_m2,
        len(location.bedrooms.all()),
        serializer.get_beds(location),
        location.toilets,
        location.showers,
        capacity.profile.code,
        capacity.persons,
        " ".join(capacity.binding),
        location.declared_persons if location.declared_persons is not None else "",
        location.registered_persons if location.registered_persons is not None else "",
        location.observed_persons if location.observed_persons is not None else "",
        "yes" if "overcrowded" in serializer.get_flags(location) else "no",
        " ".join(serializer.get_flags(location)),
    ]
