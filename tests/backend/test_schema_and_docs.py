"""The OpenAPI document is valid and complete; the docs page works offline."""

import re

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on any violation of the OpenAPI 3 specification


def test_json_schema_too(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    validate(response.json())


def test_every_operation_documents_its_problems(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "500" in responses, f"{method} {path}"
            problem = responses["500"]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}
            if operation.get("security") and {} not in operation["security"]:
                assert {"401", "403"} <= set(responses), f"{method} {path}"


def test_plumbing_headers_are_documented(schema):
    def names(path, method):
        return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}

    assert "Idempotency-Key" in names("/api/v1/role-assignments/", "post")
    assert "If-Match" in names("/api/v1/me/", "patch")
    assert "If-None-Match" in names("/api/v1/municipalities/{code}/", "get")
    assert "Idempotency-Key" not in names("/api/v1/auth/tokens/", "post")
    assert "412" in schema["paths"]["/api/v1/me/"]["patch"]["responses"]
    assert "422" in schema["paths"]["/api/v1/role-assignments/"]["post"]["responses"]


def test_bbox_and_filters_are_documented(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/districts/"]["get"]["parameters"]}
    assert {"bbox", "municipality", "name", "year", "cursor", "limit"} <= names


def test_docs_page_uses_no_external_resources(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", html)
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert len(assets) >= 3
    for asset in assets:
        served = api_client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 0, asset
