"""Coordinates as clients send them: which CRS, and whether the point can be in the Netherlands.

WGS84 (lon, lat) is the default; RD New (EPSG:28992, metres) is accepted when the client says so.
Messages name the likely mistake (swapped axes, degrees sent as RD New) so a client can fix it.
"""

import math
import re
import threading

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Point
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

WGS84 = 4326
RD_NEW = 28992
SUPPORTED_SRIDS = (WGS84, RD_NEW)

# Generous boxes around the country and its territorial waters (EPSG:28992's area of use).
_BOUNDS = {
    WGS84: (3.2, 50.7, 7.3, 53.7),  # lon, lat
    RD_NEW: (-7000.0, 289000.0, 300000.0, 629000.0),  # x, y in metres
}

_CRS_PATTERNS = [
    (re.compile(r"^(?:EPSG:)?(\d+)$", re.I), None),
    (re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$", re.I), None),
    (re.compile(r"^urn:ogc:def:crs:EPSG::(\d+)$", re.I), None),
    (
        re.compile(
            r"^(?:https?://www\.opengis\.net/def/crs/OGC/1\.3/|OGC:|urn:ogc:def:crs:OGC:1\.3:)CRS84$",
            re.I,
        ),
        WGS84,
    ),
]


def parse_crs(value: str | int | None) -> int:
    """EPSG code from 'EPSG:28992', '28992', an OGC CRS URI or CRS84; None means WGS84."""
    if value in (None, ""):
        return WGS84
    text = str(value).strip()
    for pattern, fixed in _CRS_PATTERNS:
        match = pattern.match(text)
        if match:
            srid = fixed or int(match.group(1))
            if srid in SUPPORTED_SRIDS:
                return srid
            break
    raise ValidationError(
        {
            "crs": [
                _("Unsupported CRS %(crs)s: use EPSG:4326 (WGS84 lon, lat) or EPSG:28992 (RD New).")
                % {"crs": text}
            ]
        }
    )


def _inside(x: float, y: float, srid: int) -> bool:
    min_x, min_y, max_x, max_y = _BOUNDS[srid]
    return min_x <= x <= max_x and min_y <= y <= max_y


def point_in_netherlands(x: float, y: float, *, srid: int = WGS84, field: str = "point") -> Point:
    """A WGS84 Point from client coordinates, or a ValidationError that says what is wrong.

    Only a bounding-box check: whether the point lies in a municipality is for locate_point.
    """
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (x, y)):
        raise ValidationError({field: [_("Coordinates must be finite numbers.")]})
    if not _inside(x, y, srid):
        if _inside(y, x, srid):
            hint = (
                _("The axes look swapped: send longitude first, then latitude (lon, lat).")
                if srid == WGS84
                else _("The axes look swapped: send x (easting) first, then y (northing).")
            )
        elif srid == RD_NEW and _inside(x, y, WGS84):
            hint = _("These look like WGS84 degrees; send them with CRS EPSG:4326.")
        elif srid == WGS84 and _inside(x, y, RD_NEW):
            hint = _("These look like RD New metres; send them with CRS EPSG:28992.")
        else:
            hint = _("The point lies outside the Netherlands.")
        raise ValidationError(
            {
                field: [
                    _("(%(x)s, %(y)s) in EPSG:%(srid)s: %(hint)s")
                    % {"x": x, "y": y, "srid": srid, "hint": hint}
                ]
            }
        )
    return transformed(Point(float(x), float(y), srid=srid), WGS84)


# Building a coordinate transformation costs PROJ some 20 ms, using one microseconds: keep them,
# one set per thread (GDAL's transformation objects are not thread-safe).
_transformations = threading.local()


def _transformation(source: int, target: int) -> CoordTransform:
    cache = _transformations.__dict__.setdefault("by_srids", {})
    if (source, target) not in cache:
        cache[source, target] = CoordTransform(SpatialReference(source), SpatialReference(target))
    return cache[source, target]


def transformed(geometry: GEOSGeometry, srid: int) -> GEOSGeometry:
    """A copy of `geometry` in another CRS (the geometry must have an SRID)."""
    if geometry.srid == srid:
        return geometry.clone()
    result = geometry.transform(_transformation(geometry.srid, srid), clone=True)
    result.srid = srid
    return result


def distance_m(a: GEOSGeometry, b: GEOSGeometry) -> float:
    """Distance in metres, measured in RD New (never in degrees)."""
    return transformed(a, RD_NEW).distance(transformed(b, RD_NEW))
