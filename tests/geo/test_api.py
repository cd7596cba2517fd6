"""The areas API (GeoJSON, filters, cursor pages, ETags) and /locate/."""

import pytest

from ..factories import MunicipalityFactory, square

pytestmark = pytest.mark.django_db


def test_areas_need_authentication(api_client, demo_region):
    response = api_client.get("/api/v1/municipalities/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_municipalities_are_a_geojson_feature_collection(inspector_client, demo_region):
    response = inspector_client.get("/api/v1/municipalities/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["GM1507", "GM1783", "GM1842"]
    westland = body["features"][1]
    assert westland["properties"] == {"code": "GM1783", "name": "Westland", "year": 2024}
    assert westland["geometry"]["type"] == "MultiPolygon"
    lon, lat = westland["geometry"]["coordinates"][0][0][0]
    assert 4 < lon < 5
    assert 51 < lat < 53


def test_plain_json_is_available_too(inspector_client, demo_region):
    response = inspector_client.get("/api/v1/municipalities/", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "FeatureCollection"


def test_districts_filter_by_municipality_and_name(inspector_client, demo_region):
    body = inspector_client.get("/api/v1/districts/?municipality=GM1842").json()
    assert {f["id"] for f in body["features"]} == {"WK184201", "WK184202", "WK184203"}
    assert all(f["properties"]["municipality_code"] == "GM1842" for f in body["features"])

    body = inspector_client.get("/api/v1/districts/?name=naaldwijk").json()
    assert [f["id"] for f in body["features"]] == ["WK178301"]


def test_neighbourhoods_filter_by_district(inspector_client, demo_region):
    body = inspector_client.get("/api/v1/neighbourhoods/?district=WK150701").json()
    assert [f["properties"]["name"] for f in body["features"]] == [
        "Horst kern",
        "Horst buitengebied",
    ]
    assert body["features"][0]["properties"]["district_code"] == "WK150701"


def test_bbox_filter(inspector_client, demo_region):
    body = inspector_client.get("/api/v1/municipalities/?bbox=5.9,51.3,6.3,51.6").json()
    assert [f["id"] for f in body["features"]] == ["GM1507"]


def test_malformed_bbox_is_a_problem(inspector_client, demo_region):
    response = inspector_client.get("/api/v1/municipalities/?bbox=5.9,51.3")
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-request"
    assert "bbox" in response.json()["detail"]


def test_cursor_pages_follow_links_without_overlap(inspector_client, demo_region):
    seen, url = [], "/api/v1/districts/?limit=5"
    while url:
        body = inspector_client.get(url).json()
        assert body["numberReturned"] == len(body["features"]) <= 5
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 16
    assert seen == sorted(seen)


def test_page_size_is_capped(inspector_client, db):
    for n in range(3):
        MunicipalityFactory(code=f"GM000{n}")
    response = inspector_client.get("/api/v1/municipalities/?limit=100000")
    assert response.status_code == 200
    assert len(response.json()["features"]) == 3


def test_list_query_count_does_not_grow_with_areas(
    inspector_client, demo_region, django_assert_max_num_queries
):
    # Authentication (token, user) + roles + the page: constant, whatever the number of features.
    with django_assert_max_num_queries(6):
        response = inspector_client.get("/api/v1/neighbourhoods/?limit=500")
    assert len(response.json()["features"]) == 32


def test_detail_by_code_is_the_latest_year_with_etag(inspector_client, db):
    MunicipalityFactory(code="GM0001", name="Oud", year=2023)
    MunicipalityFactory(code="GM0001", name="Nieuw", year=2024)

    response = inspector_client.get("/api/v1/municipalities/GM0001/")
    assert response.status_code == 200
    assert response.json()["properties"]["name"] == "Nieuw"
    etag = response["ETag"]

    assert (
        inspector_client.get("/api/v1/municipalities/GM0001/?year=2023").json()["properties"][
            "name"
        ]
        == "Oud"
    )
    again = inspector_client.get("/api/v1/municipalities/GM0001/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_unknown_code_is_a_clear_404(inspector_client, db):
    response = inspector_client.get("/api/v1/municipalities/GM4242/?year=2020")
    assert response.status_code == 404
    assert response.json()["detail"] == "No municipality with code GM4242 in 2020."


def test_areas_are_read_only(inspector_client, demo_region):
    response = inspector_client.delete("/api/v1/municipalities/GM1783/")
    assert response.status_code == 405
    assert response.json()["type"] == "/problems/method-not-allowed"
    assert "DELETE" not in response["Allow"]


class TestLocate:
    def test_wgs84(self, inspector_client, demo_region):
        response = inspector_client.get("/api/v1/locate/?lon=4.205&lat=51.995")
        assert response.status_code == 200
        body = response.json()
        assert body["municipality"] == {"code": "GM1783", "name": "Westland", "year": 2024}
        assert body["district"]["code"] == "WK178301"
        assert body["neighbourhood"]["code"] == "BU17830100"
        assert body["point"] == {"type": "Point", "coordinates": [4.205, 51.995]}

    def test_rd_new(self, inspector_client, demo_region):
        # Naaldwijk in RD New metres.
        body = inspector_client.get("/api/v1/locate/?x=74700&y=445600&crs=EPSG:28992").json()
        assert body["municipality"]["code"] == "GM1783"

    def test_sea_is_no_municipality(self, inspector_client, demo_region):
        body = inspector_client.get("/api/v1/locate/?lon=3.6&lat=52.6").json()
        assert body["municipality"] is None
        assert body["district"] is None

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("lon=51.995&lat=4.205", "point", "axes look swapped"),
            ("lon=4.2", "lat", "This parameter is required."),
            ("lon=4.2&lat=52&x=1&y=2", "non_field_errors", "Give either lon and lat"),
            ("", "non_field_errors", "Give either lon and lat"),
            ("lon=east&lat=52", "lon", "A valid number is required."),
            ("x=1&y=2&crs=EPSG:3857", "crs", "Unsupported CRS"),
            ("lon=4.2&lat=52&year=1999", "year", "No boundaries of 1999 are imported"),
        ],
    )
    def test_bad_queries_say_what_to_fix(
        self, inspector_client, demo_region, query, field, message
    ):
        response = inspector_client.get(f"/api/v1/locate/?{query}")
        assert response.status_code == 400
        problem = response.json()
        assert problem["type"] == "/problems/validation-error"
        assert message in problem["errors"][field][0]
        assert message in problem["detail"]

    def test_other_years(self, inspector_client, db):
        MunicipalityFactory(code="GM0001", name="Oud", year=2023, geom=square(5.0, 52.0))
        MunicipalityFactory(code="GM0002", name="Nieuw", year=2024, geom=square(5.0, 52.0))
        body = inspector_client.get("/api/v1/locate/?lon=5.05&lat=52.05&year=2023").json()
        assert body["municipality"]["name"] == "Oud"
