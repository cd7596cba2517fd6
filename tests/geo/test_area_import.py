"""import_areas: real CBS files, other formats and CRSs via GDAL, repairs, and bad files."""

import json
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from geo.models import District, Municipality, Neighbourhood
from geo.services.area_import import AreaImportError, import_areas

from ..conftest import shared_file

pytestmark = pytest.mark.django_db


def write_geojson(path, features, crs=None):
    collection = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection))
    return path


def feature(code, name="Testgemeente", ring=None, year=2024, **properties):
    ring = ring or [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "year": year, **properties},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def ogr2ogr(*args):
    if shutil.which("ogr2ogr") is None:
        pytest.fail("ogr2ogr (Debian package gdal-bin) is required by these tests")
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


@pytest.mark.real_data
def test_real_municipalities_import_and_reimport_unchanged(capsys):
    path = shared_file("nl_municipalities.geojson")
    call_command("import_areas", str(path), "--level", "municipality")
    assert "342 read (EPSG:4326), 342 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert Municipality.objects.filter(year=2024).count() == 342
    westland = Municipality.objects.get(code="GM1783", year=2024)
    assert westland.name == "Westland"

    report = import_areas(path, level="municipality")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 342)


@pytest.mark.real_data
def test_real_districts_import_with_their_municipality(cbs_districts):
    assert District.objects.count() == 14 + 16 + 2 + 3 + 11
    naaldwijk = District.objects.select_related("municipality").get(code="WK178301")
    assert naaldwijk.municipality.code == "GM1783"
    assert naaldwijk.year == 2024


@pytest.mark.real_data
def test_geopackage_in_rd_new_is_reprojected(tmp_path):
    source = shared_file("districts_westland.geojson")
    import_areas(shared_file("nl_municipalities.geojson"), level="municipality")
    gpkg = tmp_path / "wijken.gpkg"
    ogr2ogr("-f", "GPKG", "-t_srs", "EPSG:28992", "-nln", "wijken", gpkg, source)

    report = import_areas(gpkg, level="district")

    assert report.source_crs == "EPSG:28992"
    assert report.created == 11
    naaldwijk = District.objects.get(code="WK178301")
    # Back in WGS84: Naaldwijk's centre, not metres.
    assert naaldwijk.geom.contains(naaldwijk.geom.point_on_surface)
    assert 4.1 < naaldwijk.geom.centroid.x < 4.3
    assert 51.9 < naaldwijk.geom.centroid.y < 52.1


def test_shapefile_with_cbs_field_names_and_year_from_jrstatcode(tmp_path):
    source = write_geojson(
        tmp_path / "src.geojson",
        [
            {
                "type": "Feature",
                "properties": {
                    "statcode": "GM0001",
                    "statnaam": "Eenstad",
                    "jrstatcode": "2023GM0001",
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]
                    ],
                },
            }
        ],
    )
    shp = tmp_path / "gemeenten.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-t_srs", "EPSG:28992", shp, source)

    report = import_areas(shp, level="municipality")

    assert report.years == {2023}
    area = Municipality.objects.get(code="GM0001")
    assert (area.name, area.year) == ("Eenstad", 2023)
    assert area.geom.srid == 4326
    assert abs(area.geom.extent[0] - 5.0) < 1e-6


def test_invalid_polygon_is_repaired(tmp_path):
    bowtie = [[5.0, 52.0], [5.1, 52.1], [5.1, 52.0], [5.0, 52.1], [5.0, 52.0]]
    path = write_geojson(tmp_path / "bowtie.geojson", [feature("GM0002", ring=bowtie)])

    report = import_areas(path, level="municipality")

    assert report.repaired == 1
    area = Municipality.objects.get(code="GM0002")
    assert area.geom.valid
    assert len(area.geom) == 2  # the two triangles of the bow tie
    assert area.geom.area == pytest.approx(0.005, rel=1e-6)


def test_upsert_updates_changed_areas_only(tmp_path):
    first = write_geojson(tmp_path / "a.geojson", [feature("GM0003"), feature("GM0004", "Oud")])
    import_areas(first, level="municipality")
    second = write_geojson(tmp_path / "b.geojson", [feature("GM0003"), feature("GM0004", "Nieuw")])

    report = import_areas(second, level="municipality")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Municipality.objects.get(code="GM0004").name == "Nieuw"


def test_year_option_keeps_years_apart(tmp_path):
    path = write_geojson(tmp_path / "a.geojson", [feature("GM0005")])
    import_areas(path, level="municipality", year=2023)
    import_areas(path, level="municipality", year=2024)
    assert sorted(Municipality.objects.values_list("year", flat=True)) == [2023, 2024]


def test_bad_features_are_all_reported_and_nothing_is_written(tmp_path):
    path = write_geojson(
        tmp_path / "bad.geojson",
        [
            feature("GM0006"),  # fine, but must not be written either
            feature("X1783"),
            feature("GM0007", name=""),
            feature("GM0006"),
            {
                "type": "Feature",
                "properties": {"code": "GM0008", "name": "Lijn", "year": 2024},
                "geometry": {"type": "LineString", "coordinates": [[5, 52], [5.1, 52.1]]},
            },
        ],
    )
    with pytest.raises(AreaImportError) as error:
        import_areas(path, level="municipality")

    message = str(error.value)
    assert "Nothing was imported" in message
    assert "feature 2 (X1783): code 'X1783' is not a CBS municipality code" in message
    assert "feature 3 (GM0007): has no name" in message
    assert "GM0006 appears twice" in message
    assert "LINESTRING geometry; areas must be polygons" in message
    assert not Municipality.objects.exists()


def test_districts_need_their_municipality_first(tmp_path):
    path = write_geojson(tmp_path / "w.geojson", [feature("WK999901", "Wijk 01")])
    with pytest.raises(AreaImportError, match="municipality GM9999 of 2024 is not imported"):
        import_areas(path, level="district")
    assert not District.objects.exists()


def test_neighbourhood_hangs_under_district_and_municipality(tmp_path):
    import_areas(write_geojson(tmp_path / "m.geojson", [feature("GM0010")]), level="municipality")
    import_areas(write_geojson(tmp_path / "d.geojson", [feature("WK001001")]), level="district")
    import_areas(
        write_geojson(tmp_path / "n.geojson", [feature("BU00100101")]), level="neighbourhood"
    )

    buurt = Neighbourhood.objects.select_related("district", "municipality").get()
    assert (buurt.district.code, buurt.municipality.code) == ("WK001001", "GM0010")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.4 not geodata", "GDAL cannot read it"),
        (b'{"type": "FeatureCollection", "features": []}', "contains no features"),
    ],
)
def test_unreadable_or_empty_file_gets_a_clear_error(tmp_path, content, expected):
    path = tmp_path / "areas.geojson"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=expected):
        call_command("import_areas", str(path), "--level", "municipality")


def test_missing_file_and_unknown_level(tmp_path):
    with pytest.raises(AreaImportError, match="no such file"):
        import_areas(tmp_path / "nope.geojson", level="municipality")
    with pytest.raises(AreaImportError, match="unknown level"):
        import_areas(tmp_path / "nope.geojson", level="province")


def test_file_without_crs_needs_srid(tmp_path):
    source = write_geojson(tmp_path / "src.geojson", [feature("GM0011")])
    shp = tmp_path / "nocrs.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-a_srs", "EPSG:4326", shp, source)
    (tmp_path / "nocrs.prj").unlink()

    with pytest.raises(AreaImportError, match="declares no coordinate reference system"):
        import_areas(shp, level="municipality")
    report = import_areas(shp, level="municipality", source_srid=4326)
    assert report.created == 1


def test_geopackage_with_several_layers_needs_layer(tmp_path):
    source = write_geojson(tmp_path / "src.geojson", [feature("GM0012")])
    gpkg = tmp_path / "multi.gpkg"
    ogr2ogr("-f", "GPKG", "-nln", "gemeenten", gpkg, source)
    ogr2ogr("-f", "GPKG", "-update", "-nln", "andere", gpkg, source)

    with pytest.raises(
        AreaImportError, match="has layers gemeenten, andere; choose one with --layer"
    ):
        import_areas(gpkg, level="municipality")
    assert import_areas(gpkg, level="municipality", layer="gemeenten").created == 1
