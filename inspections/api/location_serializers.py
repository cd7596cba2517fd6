"""How housing locations are read and written: GeoJSON out, validated figures in."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.fields import AreaInputField, PointInputField, validate_crs
from geo.serializers import COORDINATE_PRECISION
from inspections.models import HousingLocation, LocationKind, LocationStatus
from inspections.selectors.housing import OCCUPANCY_SOURCES
from inspections.services.norms import Overcrowding, capacity_of, figures_of
from inspections.validators import validate_nummeraanduiding_id, validate_verblijfsobject_id

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


def point_geojson(point) -> dict:
    return {
        "type": "Point",
        "coordinates": [round(point.x, COORDINATE_PRECISION), round(point.y, COORDINATE_PRECISION)],
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
        return point_geojson(location.point)

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


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=LocationStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
