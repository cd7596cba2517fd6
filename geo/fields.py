"""Serializer fields for geometry sent by clients: GeoJSON in WGS84, or RD New when they say so.

The CRS comes from the body's `crs` member or the `Content-Crs` header (OGC API Features
Part 4); WGS84 lon/lat is the default (RFC 7946).
"""

import json

from django.contrib.gis.gdal import GDALException, OGRGeometry
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .coordinates import WGS84, parse_crs, point_in_netherlands, transformed


def request_srid(field: serializers.Field) -> int:
    """The CRS a field's value is in: body `crs`, else the Content-Crs header, else WGS84."""
    root = field.root
    body = root.initial_data if isinstance(getattr(root, "initial_data", None), dict) else {}
    request = field.context.get("request")
    header = request.headers.get("Content-Crs", "").strip("<> ") if request else ""
    return validate_crs(body.get("crs") or header or None)


def validate_crs(value: str | None) -> int:
    """The EPSG code, or a field error (also usable as the validator of a `crs` field)."""
    try:
        return parse_crs(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError(exc.detail["crs"]) from exc


def _geojson_schema(types: list[str]) -> dict:
    return {
        "type": "object",
        "description": "GeoJSON geometry; WGS84 lon/lat unless `crs` says EPSG:28992.",
        "required": ["type", "coordinates"],
        "properties": {"type": {"type": "string", "enum": types}, "coordinates": {"type": "array"}},
    }


class _GeoJSONInputField(serializers.Field):
    def _geometry(self, data):
        if not isinstance(data, dict) or "type" not in data or "coordinates" not in data:
            self.fail("invalid")
        srid = request_srid(self)
        try:
            # Through WKB: GeoJSON text would be taken as WGS84 whatever the client said.
            return GEOSGeometry(OGRGeometry(json.dumps(data)).wkb, srid=srid)
        except (GEOSException, GDALException, ValueError, TypeError):
            self.fail("invalid")

    def _in_netherlands(self, x: float, y: float, srid: int):
        try:
            return point_in_netherlands(x, y, srid=srid)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(exc.detail["point"]) from exc

    def to_representation(self, value):
        return json.loads(value.json) if value else None


@extend_schema_field(_geojson_schema(["Point"]))
class PointInputField(_GeoJSONInputField):
    """A GeoJSON Point inside the Netherlands, returned as a WGS84 GEOS Point."""

    default_error_messages = {
        "invalid": _('Send a GeoJSON Point: {{"type": "Point", "coordinates": [lon, lat]}}.')
    }

    def to_internal_value(self, data):
        geometry = self._geometry(data)
        if geometry.geom_type != "Point" or geometry.empty:
            self.fail("invalid")
        return self._in_netherlands(geometry.x, geometry.y, geometry.srid)


@extend_schema_field(_geojson_schema(["Polygon", "MultiPolygon"]))
class AreaInputField(_GeoJSONInputField):
    """A valid GeoJSON Polygon or MultiPolygon in the Netherlands, as a WGS84 MultiPolygon."""

    default_error_messages = {
        "invalid": _("Send a GeoJSON Polygon or MultiPolygon."),
        "not_valid": _("The polygon is not valid (%(reason)s)."),
    }

    def to_internal_value(self, data):
        geometry = self._geometry(data)
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.empty:
            self.fail("invalid")
        if not geometry.valid:
            raise serializers.ValidationError(
                self.error_messages["not_valid"] % {"reason": geometry.valid_reason}
            )
        centre = geometry.point_on_surface
        self._in_netherlands(centre.x, centre.y, geometry.srid)
        geometry = transformed(geometry, WGS84)
        return MultiPolygon(geometry, srid=WGS84) if geometry.geom_type == "Polygon" else geometry
