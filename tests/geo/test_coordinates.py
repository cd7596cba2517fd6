import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from geo.coordinates import RD_NEW, WGS84, parse_crs, point_in_netherlands


@pytest.mark.parametrize(
    ("value", "srid"),
    [
        (None, WGS84),
        ("", WGS84),
        ("EPSG:4326", WGS84),
        ("epsg:28992", RD_NEW),
        ("28992", RD_NEW),
        (28992, RD_NEW),
        ("http://www.opengis.net/def/crs/EPSG/0/28992", RD_NEW),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", WGS84),
        ("urn:ogc:def:crs:EPSG::28992", RD_NEW),
    ],
)
def test_parse_crs(value, srid):
    assert parse_crs(value) == srid


@pytest.mark.parametrize("value", ["EPSG:3857", "WGS84", "http://example.org/crs/4326"])
def test_unsupported_crs_names_the_supported_ones(value):
    with pytest.raises(ValidationError, match=r"use EPSG:4326 .* or EPSG:28992"):
        parse_crs(value)


def test_rd_new_is_transformed_to_wgs84():
    # Amersfoort, the origin of RD New.
    point = point_in_netherlands(155000, 463000, srid=RD_NEW)
    assert point.srid == WGS84
    assert point.x == pytest.approx(5.38720621, abs=1e-5)
    assert point.y == pytest.approx(52.15517440, abs=1e-5)


@pytest.mark.parametrize(
    ("x", "y", "srid", "message"),
    [
        (52.0, 4.21, WGS84, "axes look swapped: send longitude first"),
        (463000, 155000, RD_NEW, "axes look swapped: send x"),
        (4.21, 52.0, RD_NEW, "look like WGS84 degrees"),
        (80000, 450000, WGS84, "look like RD New metres"),
        (2.35, 48.85, WGS84, "outside the Netherlands"),  # Paris
        (float("nan"), 52.0, WGS84, "finite numbers"),
    ],
)
def test_impossible_points_say_what_is_wrong(x, y, srid, message):
    with pytest.raises(ValidationError, match=message):
        point_in_netherlands(x, y, srid=srid)


@given(st.floats(3.3, 7.2), st.floats(50.8, 53.5))
def test_rd_new_round_trip_within_a_millimetre(lon, lat):
    rd = point_in_netherlands(lon, lat).transform(RD_NEW, clone=True)
    back = point_in_netherlands(rd.x, rd.y, srid=RD_NEW)
    assert back.x == pytest.approx(lon, abs=1e-8)
    assert back.y == pytest.approx(lat, abs=1e-8)
