from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .models import District, Municipality, Neighbourhood

# 6 decimals of a degree is about 0.1 m: more digits only make the payload larger.
COORDINATE_PRECISION = 6


class AreaFeatureSerializer(GeoFeatureModelSerializer):
    geom = GeometryField(precision=COORDINATE_PRECISION, remove_duplicates=True)

    class Meta:
        geo_field = "geom"
        id_field = "code"
        fields = ["code", "name", "year"]

    def get_properties(self, instance, fields):
        # The code is the feature id, and a property too for clients that read only properties.
        return {"code": instance.code, **super().get_properties(instance, fields)}


class MunicipalitySerializer(AreaFeatureSerializer):
    class Meta(AreaFeatureSerializer.Meta):
        model = Municipality


class DistrictSerializer(AreaFeatureSerializer):
    municipality_code = serializers.CharField(source="municipality.code", read_only=True)

    class Meta(AreaFeatureSerializer.Meta):
        model = District
        fields = [*AreaFeatureSerializer.Meta.fields, "municipality_code"]


class NeighbourhoodSerializer(AreaFeatureSerializer):
    municipality_code = serializers.CharField(source="municipality.code", read_only=True)
    district_code = serializers.CharField(source="district.code", read_only=True)

    class Meta(AreaFeatureSerializer.Meta):
        model = Neighbourhood
        fields = [*AreaFeatureSerializer.Meta.fields, "municipality_code", "district_code"]


@extend_schema_field(
    {
        "type": "object",
        "description": "GeoJSON Point, WGS84 lon, lat.",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 2,
                "maxItems": 2,
            },
        },
    }
)
class PointField(GeometryField):
    pass


class AreaRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    year = serializers.IntegerField()


class LocateQuerySerializer(serializers.Serializer):
    lon = serializers.FloatField(required=False, help_text="Longitude (WGS84).")
    lat = serializers.FloatField(required=False, help_text="Latitude (WGS84).")
    x = serializers.FloatField(
        required=False, help_text="Easting in metres (RD New, crs=EPSG:28992)."
    )
    y = serializers.FloatField(required=False, help_text="Northing in metres (RD New).")
    crs = serializers.CharField(required=False, help_text="EPSG:4326 (default) or EPSG:28992.")
    year = serializers.IntegerField(
        required=False, help_text="Boundary year; the latest by default."
    )

    def validate(self, attrs):
        has_lonlat = "lon" in attrs or "lat" in attrs
        has_xy = "x" in attrs or "y" in attrs
        if has_lonlat == has_xy:
            raise serializers.ValidationError(
                _("Give either lon and lat (WGS84), or x, y and crs.")
            )
        pair = ("lon", "lat") if has_lonlat else ("x", "y")
        missing = [name for name in pair if name not in attrs]
        if missing:
            raise serializers.ValidationError(
                {name: [_("This parameter is required.")] for name in missing}
            )
        attrs["coordinates"] = (attrs[pair[0]], attrs[pair[1]])
        return attrs


class LocationAreasSerializer(serializers.Serializer):
    point = PointField(help_text="The point, in WGS84.")
    municipality = AreaRefSerializer(allow_null=True)
    district = AreaRefSerializer(allow_null=True)
    neighbourhood = AreaRefSerializer(allow_null=True)
