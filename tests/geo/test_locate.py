"""Point-to-area lookup, on real CBS boundaries and on the demo region."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from geo.models import Municipality
from geo.services import locate
from geo.services.locate import locate_coordinates, locate_point, locate_points
from geo.spatial_index import missing_spatial_indexes, repair_spatialite_indexes

from ..factories import DistrictFactory, MunicipalityFactory, square

NAALDWIJK = Point(4.21, 52.00, srid=4326)
NORTH_SEA = Point(3.60, 52.60, srid=4326)


@pytest.mark.real_data
def test_naaldwijk_lies_in_westland_and_its_district(cbs_districts):
    match = locate_point(NAALDWIJK)
    assert match.municipality.code == "GM1783"
    assert match.municipality.name == "Westland"
    assert match.district.code == "WK178301"
    assert match.neighbourhood is None  # no neighbourhoods imported


@pytest.mark.real_data
def test_a_point_in_the_north_sea_lies_in_none(cbs_districts):
    match = locate_point(NORTH_SEA)
    assert (match.municipality, match.district, match.neighbourhood) == (None, None, None)


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (4.8952, 52.3702, "GM0363"),  # Amsterdam, Dam
        (5.1214, 52.0907, "GM0344"),  # Utrecht, Dom
        (6.0883, 51.4548, "GM1507"),  # Horst
        (5.4690, 51.4231, "GM0772"),  # Eindhoven
        (6.5665, 53.2194, "GM0014"),  # Groningen
        (4.3007, 52.0705, "GM0518"),  # Den Haag
    ],
)
def test_city_centres_lie_in_their_municipality(cbs_municipalities, lon, lat, code):
    assert locate_point(Point(lon, lat, srid=4326)).municipality.code == code


@pytest.mark.real_data
def test_rd_new_points_are_located_too(cbs_districts):
    naaldwijk_rd = NAALDWIJK.transform(28992, clone=True)
    assert locate_point(naaldwijk_rd).district.code == "WK178301"


@pytest.mark.real_data
def test_batch_lookup_agrees_with_one_by_one(cbs_districts):
    rng = random.Random(7)
    points = [(rng.uniform(3.3, 7.2), rng.uniform(50.75, 53.5)) for _ in range(300)]
    points += [(rng.uniform(4.1, 4.3), rng.uniform(51.95, 52.05)) for _ in range(100)]  # Westland

    batch = locate_coordinates(points)

    assert batch == [locate_point(Point(x, y, srid=4326)) for x, y in points]
    assert sum(1 for m in batch if m.municipality) > 100
    assert sum(1 for m in batch if m.district) > 50


def test_batches_larger_than_one_statement(monkeypatch, demo_region):
    dialect = locate._DIALECTS[connection.vendor]
    monkeypatch.setitem(dialect, "batch_size", 7)
    points = [(4.205, 51.995)] * 20 + [(3.6, 52.6)] * 3
    matches = locate_coordinates(points)
    assert [m.municipality and m.municipality.code for m in matches] == ["GM1783"] * 20 + [None] * 3


def test_demo_region_resolves_down_to_the_neighbourhood(demo_region):
    match = locate_point(Point(4.205, 51.995, srid=4326))
    assert (match.municipality.code, match.district.code, match.neighbourhood.code) == (
        "GM1783",
        "WK178301",
        "BU17830100",
    )


def test_district_must_belong_to_the_municipality_found(db):
    here = MunicipalityFactory(code="GM0001", geom=square(5.0, 52.0))
    other = MunicipalityFactory(code="GM0002", geom=square(6.0, 52.0))
    # A district of another municipality that (wrongly) overlaps this one is not taken.
    DistrictFactory(municipality=other, code="WK000201", geom=square(5.0, 52.0))

    match = locate_point(Point(5.05, 52.05, srid=4326))

    assert match.municipality == here
    assert match.district is None


def test_overlapping_areas_resolve_to_the_lowest_code(db):
    MunicipalityFactory(code="GM0020", geom=square(5.0, 52.0))
    MunicipalityFactory(code="GM0010", geom=square(5.05, 52.05))
    assert locate_point(Point(5.07, 52.07, srid=4326)).municipality.code == "GM0010"


def test_latest_year_unless_asked(db):
    MunicipalityFactory(code="GM0001", name="Oud", year=2023, geom=square(5.0, 52.0))
    MunicipalityFactory(code="GM0001", name="Nieuw", year=2024, geom=square(5.0, 52.0))
    point = Point(5.05, 52.05, srid=4326)
    assert locate_point(point).municipality.name == "Nieuw"
    assert locate_point(point, year=2023).municipality.name == "Oud"


def test_no_areas_at_all_and_no_points(db):
    assert locate_point(NAALDWIJK).municipality is None
    assert locate_points([]) == []


def test_every_geometry_column_has_a_spatial_index(db):
    assert missing_spatial_indexes() == []


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SpatiaLite loses indexes on table rebuilds"
)
def test_lost_spatialite_index_is_repaired(demo_region):
    with connection.cursor() as cursor:
        cursor.execute("SELECT DisableSpatialIndex('geo_municipality', 'geom')")
    assert missing_spatial_indexes() == [("geo_municipality", "geom")]
    assert locate_point(Point(4.205, 51.995, srid=4326)).municipality is None  # why it matters

    assert repair_spatialite_indexes() == [("geo_municipality", "geom")]

    assert missing_spatial_indexes() == []
    assert locate_point(Point(4.205, 51.995, srid=4326)).municipality.code == "GM1783"
    assert Municipality.objects.count() == 3
