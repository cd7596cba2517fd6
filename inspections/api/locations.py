"""Housing locations: register, read (GeoJSON), change, status, export as CSV."""

import csv
from decimal import Decimal

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from backend.accounts.selectors import grants_for
from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response, require_fresh
from backend.api.pagination import GeoJSONCursorPagination
from backend.api.renderers import GeoJSONRenderer
from backend.audit.services import record_event
from geo.fields import AreaInputField, PointInputField, validate_crs
from geo.filters import BBoxFilter
from geo.serializers import COORDINATE_PRECISION
from inspections.models import HousingLocation, LocationKind, LocationStatus
from inspections.selectors.housing import (
    OCCUPANCY_SOURCES,
    certificate_expired,
    location_details,
    locations_visible_to,
    overcrowded,
    permit_expired,
    within_capacity,
)
from inspections.services import housing as housing_services
from inspections.services.norms import Overcrowding, capacity_of, figures_of
from inspections.services.organisations import require_active_organisation
from inspections.validators import validate_nummeraanduiding_id, validate_verblijfsobject_id

from .permissions import EDITING_STAFF, StaffReadsProviderWrites, is_provider, is_staff
from .serializers import (
    AddressInputSerializer,
    PartyInputSerializer,
    PartySerializer,
    PostcodeField,
    as_drf,
)


class BedroomSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=30)
    floor_area_m2 = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "min_value": gettext_lazy("A bedroom's floor area must be more than 0 m².")
        },
    )
    beds = serializers.IntegerField(min_value=0, max_value=100)


class LandlordPermitSerializer(serializers.Serializer):
    """The landlord permit (verhuurvergunning) the municipality granted, if it requires one."""

    number = serializers.CharField(max_length=50)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        start, end = attrs.get("valid_from"), attrs.get("valid_until")
        if start and end and end < start:
            raise serializers.ValidationError({"valid_until": [_("Ends before it starts.")]})
        return attrs


class LocationInputSerializer(AddressInputSerializer):
    """What a provider sends to register or change a location (PATCH: any subset)."""

    crs = serializers.CharField(
        required=False,
        validators=[validate_crs],
        help_text="CRS of point and outline: EPSG:4326 (default) or EPSG:28992.",
    )
    bag_verblijfsobject_id = serializers.CharField(
        required=False, allow_blank=True, validators=[as_drf(validate_verblijfsobject_id)]
    )
    bag_nummeraanduiding_id = serializers.CharField(
        required=False, allow_blank=True, validators=[as_drf(validate_nummeraanduiding_id)]
    )
    point = PointInputField()
    outline = AreaInputField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=LocationKind.choices)
    usable_floor_area_m2 = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Usable floor area (gebruiksoppervlakte, NEN 2580) in m².",
        error_messages={"min_value": gettext_lazy("The usable floor area must be more than 0 m².")},
    )
    toilets = serializers.IntegerField(min_value=0, max_value=1000)
    showers = serializers.IntegerField(min_value=0, max_value=1000)
    kitchens = serializers.IntegerField(min_value=0, max_value=1000)
    bedrooms = BedroomSerializer(many=True, allow_empty=False)
    landlord = PartyInputSerializer(required=False, allow_null=True)
    operator = PartyInputSerializer(required=False, allow_null=True)
    employers = PartyInputSerializer(many=True, required=False)
    landlord_permit = LandlordPermitSerializer(required=False, allow_null=True)

    def validate_bedrooms(self, rooms):
        labels = [room["label"] for room in rooms]
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise serializers.ValidationError(
                _("Bedroom labels must differ; used twice: %(labels)s.")
                % {"labels": ", ".join(duplicates)}
            )
        return rooms

    def validate(self, attrs):
        attrs.pop("crs", None)
        if "landlord_permit" in attrs:
            permit = attrs.pop("landlord_permit") or {}
            attrs["landlord_permit_number"] = permit.get("number", "")
            attrs["landlord_permit_valid_from"] = permit.get("valid_from")
            attrs["landlord_permit_valid_until"] = permit.get("valid_until")
        return attrs


POINT_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
}


def _area(area):
    return {"code": area.code, "name": area.name} if area else None


def _party(organisation):
    return PartySerializer(organisation).data if organisation else None


class LocationSerializer(GeoFeatureModelSerializer):
    """A location as a GeoJSON Feature; its point is the geometry, everything else properties."""

    point = serializers.SerializerMethodField()
    postcode = PostcodeField()
    address_line = serializers.CharField(read_only=True)
    outline = serializers.SerializerMethodField()
    areas = serializers.SerializerMethodField()
    parties = serializers.SerializerMethodField()
    bedrooms = BedroomSerializer(many=True, read_only=True)
    beds = serializers.SerializerMethodField()
    landlord_permit = serializers.SerializerMethodField()
    capacity = serializers.SerializerMethodField()
    occupancy = serializers.SerializerMethodField()
    overcrowding = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    credentials = serializers.SerializerMethodField()

    class Meta:
        model = HousingLocation
        geo_field = "point"
        fields = [
            "id",
            "street",
            "house_number",
            "house_letter",
            "house_number_addition",
            "postcode",
            "place",
            "address_line",
            "bag_verblijfsobject_id",
            "bag_nummeraanduiding_id",
            "kind",
            "status",
            "status_reason",
            "usable_floor_area_m2",
            "toilets",
            "showers",
            "kitchens",
            "bedrooms",
            "beds",
            "outline",
            "areas",
            "parties",
            "landlord_permit",
            "capacity",
            "occupancy",
            "overcrowding",
            "flags",
            "credentials",
            "created_at",
            "updated_at",
        ]

    @property
    def today(self):
        return self.context.get("today") or timezone.localdate()

    @extend_schema_field(POINT_SCHEMA)
    def get_point(self, location):
        return {
            "type": "Point",
            "coordinates": [
                round(location.point.x, COORDINATE_PRECISION),
                round(location.point.y, COORDINATE_PRECISION),
            ],
        }

    def get_outline(self, location) -> dict | None:
        return AreaInputField().to_representation(location.outline)

    def get_areas(self, location) -> dict:
        return {
            "municipality": _area(location.municipality),
            "district": _area(location.district),
            "neighbourhood": _area(location.neighbourhood),
        }

    def get_parties(self, location) -> dict:
        return {
            "provider": _party(location.provider),
            "landlord": _party(location.landlord),
            "operator": _party(location.operator),
            "employers": [_party(o) for o in location.employers.all()],
        }

    def get_beds(self, location) -> int:
        return sum(b.beds for b in location.bedrooms.all())

    def get_landlord_permit(self, location) -> dict | None:
        if not location.landlord_permit_number:
            return None
        start, end = location.landlord_permit_valid_from, location.landlord_permit_valid_until
        return {
            "number": location.landlord_permit_number,
            "valid_from": start,
            "valid_until": end,
            "valid_today": (start is None or start <= self.today)
            and (end is None or self.today <= end),
        }

    def _capacity(self, location):
        cache = self.context.setdefault("_capacity", {})
        if location.pk not in cache:
            cache[location.pk] = capacity_of(figures_of(location), location.norm_profile)
        return cache[location.pk]

    def get_capacity(self, location) -> dict:
        capacity = self._capacity(location)
        return {
            "persons": capacity.persons,
            "norm_profile": {"code": capacity.profile.code, "name": capacity.profile.name},
            "binding": capacity.binding,
            "terms": [
                {
                    "limit": t.limit,
                    "persons": t.persons,
                    "slack": t.persons - capacity.persons,
                    "explanation": t.explanation,
                }
                for t in capacity.terms
            ],
        }

    def get_occupancy(self, location) -> dict:
        declared = location.declared_persons
        return {
            "declared": None
            if declared is None
            else {
                "persons": declared,
                "valid_from": location.declared_from,
                "valid_until": location.declared_until,
            },
            "registered": None
            if location.registered_persons is None
            else {"persons": location.registered_persons, "reference_date": location.registered_on},
            "observed": None
            if location.observed_persons is None
            else {"persons": location.observed_persons, "observed_on": location.observed_on},
        }

    def _overcrowding(self, location) -> list[Overcrowding]:
        return [
            Overcrowding(
                source, getattr(location, f"{source}_persons"), self._capacity(location).persons
            )
            for source in OCCUPANCY_SOURCES
            if getattr(location, f"{source}_persons") is not None
        ]

    def get_overcrowding(self, location) -> dict:
        binding = self._capacity(location).binding
        result = dict.fromkeys(OCCUPANCY_SOURCES)
        for item in self._overcrowding(location):
            result[item.source] = {
                "persons": item.persons,
                "capacity": item.capacity,
                "ratio": item.ratio,
                "excess": item.excess,
                "overcrowded": item.overcrowded,
                "explanation": item.explain(binding),
            }
        return result

    def get_flags(self, location) -> list[str]:
        flags = []
        if any(item.overcrowded for item in self._overcrowding(location)):
            flags.append("overcrowded")
        if self.get_beds(location) > self._capacity(location).persons:
            flags.append("beds_exceed_capacity")
        permit = self.get_landlord_permit(location)
        if permit and not permit["valid_today"]:
            flags.append("landlord_permit_not_valid")
        credentials = list(location.credentials.all())
        if credentials and not any(c.is_valid_on(self.today) for c in credentials):
            flags.append("certificate_expired")
        return flags

    def get_credentials(self, location) -> list[dict]:
        return [
            {
                "id": c.pk,
                "kind": c.kind,
                "number": c.number,
                "issuer": c.issuer,
                "valid_from": c.valid_from,
                "valid_until": c.valid_until,
                "valid_today": c.is_valid_on(self.today),
            }
            for c in location.credentials.all()
        ]


class LocationFilter(filters.FilterSet):
    municipality = filters.CharFilter(
        field_name="municipality__code", help_text="CBS code, e.g. GM1783."
    )
    district = filters.CharFilter(field_name="district__code", help_text="CBS code, e.g. WK178301.")
    neighbourhood = filters.CharFilter(field_name="neighbourhood__code")
    status = filters.MultipleChoiceFilter(choices=LocationStatus.choices)
    kind = filters.MultipleChoiceFilter(choices=LocationKind.choices)
    postcode = filters.CharFilter(method="filter_postcode", help_text="e.g. 2671AB or 2671 AB")
    organisation = filters.NumberFilter(
        method="filter_organisation",
        help_text="Organisation id as provider, landlord, operator or employer.",
    )
    overcrowded = filters.BooleanFilter(
        method="filter_overcrowded", help_text="By any occupancy source."
    )
    overcrowded_by = filters.ChoiceFilter(
        choices=[(s, s) for s in OCCUPANCY_SOURCES], method="filter_overcrowded_by"
    )
    certificate_expired = filters.BooleanFilter(method="filter_certificate_expired")
    permit_expired = filters.BooleanFilter(method="filter_permit_expired")

    class Meta:
        model = HousingLocation
        fields = []

    def filter_postcode(self, queryset, name, value):
        return queryset.filter(postcode=value.replace(" ", "").upper())

    def filter_organisation(self, queryset, name, value):
        return queryset.filter(
            Q(provider=value) | Q(landlord=value) | Q(operator=value) | Q(employers=value)
        ).distinct()

    def filter_overcrowded(self, queryset, name, value):
        # Not exclude(): a missing count (NULL) would make the comparison unknown, not false.
        return queryset.filter(overcrowded() if value else within_capacity())

    def filter_overcrowded_by(self, queryset, name, value):
        return queryset.filter(overcrowded(value))

    def filter_certificate_expired(self, queryset, name, value):
        condition = certificate_expired()
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_permit_expired(self, queryset, name, value):
        condition = permit_expired()
        return queryset.filter(condition) if value else queryset.exclude(condition)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=LocationStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


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
