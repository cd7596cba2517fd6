import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_touches_no_database(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/healthz")
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_spatial_functions(api_client):
    response = api_client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": checks["database"]["ms"],
    }
    assert checks["spatial"]["status"] == "ok"
    # WGS84 -> RD New inside the database lands on Amersfoort within a metre.
    assert checks["spatial"]["rd_new_error_m"] < 1.0


def test_readyz_fails_with_503_problem_when_a_check_fails(api_client, monkeypatch):
    def broken():
        raise ConnectionError("spatial extension not loaded")

    monkeypatch.setitem(__import__("backend.api.health").api.health.CHECKS, "spatial", broken)
    response = api_client.get("/readyz")
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"] == "/problems/service-unavailable"
    assert problem["checks"]["spatial"]["error"] == "spatial extension not loaded"
    assert problem["checks"]["database"]["status"] == "ok"


def test_api_root_links_everything(api_client):
    body = api_client.get("/api/v1/").json()
    assert body["schema"].endswith("/api/schema/")
    assert body["links"]["municipalities"].endswith("/api/v1/municipalities/")
    for url in body["links"].values():
        assert api_client.get(url).status_code in (200, 401, 405), url  # 405: POST-only signup
