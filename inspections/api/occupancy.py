"""Occupancy declared by providers and counted by inspectors. Counts only, never who."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from backend.accounts.roles import Role
from backend.accounts.selectors import grants_for
from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin
from backend.api.permissions import IsMunicipalStaff
from inspections.models import (
    HousingLocation,
    LocationStatus,
    OccupancyDeclaration,
    OccupancyObservation,
)
from inspections.selectors.housing import locations_visible_to
from inspections.services import occupancy as services
from inspections.services.organisations import organisation_of

from .permissions import UsesRegistry

# Who may record what they counted on site.
COUNTING_ROLES = frozenset({Role.INSPECTOR, Role.ENFORCEMENT_OFFICER, Role.MUNICIPAL_ADMIN})


class _LocationField(serializers.PrimaryKeyRelatedField):
    """A location the caller may see; any other id is 'does not exist', as if it did not."""

    def get_queryset(self):
        return locations_visible_to(self.context["request"].user).select_related("municipality")


class DeclarationSerializer(serializers.ModelSerializer):
    location = _LocationField()
    declared_by = serializers.CharField(source="declared_by.username", read_only=True, default=None)

    class Meta:
        model = OccupancyDeclaration
        fields = [
            "id",
            "location",
            "persons",
            "valid_from",
            "valid_until",
            "declared_by",
            "created_at",
        ]
        read_only_fields = ["id", "declared_by", "created_at"]
        validators = []  # a second declaration from the same date is the service's 409

    def validate(self, attrs):
        if attrs.get("valid_until") and attrs["valid_until"] < attrs["valid_from"]:
            raise serializers.ValidationError({"valid_until": [_("Ends before it starts.")]})
        return attrs


class ObservationSerializer(serializers.ModelSerializer):
    location = _LocationField()
    observed_by = serializers.CharField(source="observed_by.username", read_only=True, default=None)

    class Meta:
        model = OccupancyObservation
        fields = [
            "id",
            "location",
            "observed_on",
            "persons",
            "beds_in_use",
            "bedrooms_in_use",
            "note",
            "observed_by",
            "created_at",
        ]
        read_only_fields = ["id", "observed_by", "created_at"]


def _writable(location: HousingLocation) -> HousingLocation:
    if location.status == LocationStatus.CLOSED:
        raise PermissionDenied(_("Location %(id)s is closed.") % {"id": location.pk})
    return location


@extend_schema_view(
    list=extend_schema(summary="Occupancy declared by providers (filter by location)"),
    retrieve=extend_schema(summary="One declaration"),
    create=extend_schema(summary="Declare how many persons live at your location from a date"),
)
class DeclarationViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    permission_classes = [UsesRegistry]
    serializer_class = DeclarationSerializer
    filterset_fields = ["location"]

    def get_queryset(self):
        return (
            OccupancyDeclaration.objects.filter(
                location__in=locations_visible_to(self.request.user)
            )
            .select_related("declared_by")
            .order_by("-id")
        )

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = _writable(serializer.validated_data.pop("location"))
        if (
            organisation_of(request.user) is None
            or location.provider_id != organisation_of(request.user).pk
        ):
            raise PermissionDenied(_("Occupancy is declared by the location's provider."))
        declaration = services.declare_occupancy(
            actor=request.user, location=location, **serializer.validated_data
        )
        return Response(self.get_serializer(declaration).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Occupancy counted on site by inspectors (staff; filter by location)"
    ),
    retrieve=extend_schema(summary="One observation"),
    create=extend_schema(summary="Record what you counted at a location"),
)
class ObservationViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """The municipality's own counts; providers see the latest count on their location."""

    permission_classes = [IsMunicipalStaff]
    serializer_class = ObservationSerializer
    filterset_fields = ["location"]

    def get_queryset(self):
        return (
            OccupancyObservation.objects.filter(
                location__in=locations_visible_to(self.request.user)
            )
            .select_related("observed_by")
            .order_by("-id")
        )

    def create(self, request):
        if not grants_for(request.user).has_any(COUNTING_ROLES):
            raise PermissionDenied(
                _("Inspectors, enforcement officers and administrators record counts.")
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = _writable(serializer.validated_data.pop("location"))
        observation = services.record_observation(
            actor=request.user, location=location, **serializer.validated_data
        )
        return Response(self.get_serializer(observation).data, status=status.HTTP_201_CREATED)
