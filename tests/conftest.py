"""Shared fixtures: API clients signed in per role, areas from the demo and from real CBS data."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from backend.accounts.models import ApiToken, RoleAssignment
from backend.accounts.roles import Role
from fixtures import demo_areas
from geo.services.area_import import import_areas

from .factories import UserFactory

SHARED_DATA = Path(settings.SHARED_DATA_DIR)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttling counts live in the cache; each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_user(db):
    """make_user(role, ["GM1783"]) -> a user holding that role (in those municipalities)."""

    def make(role: str | None = None, municipalities=(), **fields):
        user = UserFactory(**fields)
        if role in (Role.EMPLOYER, Role.NATIONAL_READONLY):
            RoleAssignment.objects.create(user=user, role=role)
        for code in municipalities:
            RoleAssignment.objects.create(user=user, role=role, municipality_code=code)
        return user

    return make


@pytest.fixture
def client_for(db):
    """client_for(user) -> an APIClient that sends the user's Bearer token."""

    def make(user):
        _token, secret = ApiToken.objects.create(user=user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        client.user = user
        return client

    return make


@pytest.fixture
def inspector_client(make_user, client_for):
    return client_for(make_user(Role.INSPECTOR, ["GM1783"]))


@pytest.fixture
def demo_region(db, tmp_path):
    """The demo region (3 municipalities, their districts and neighbourhoods) via the importer."""
    for level, collection in demo_areas.build().items():
        path = tmp_path / f"{level}.geojson"
        path.write_text(json.dumps(collection))
        import_areas(path, level=level)


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not found: the real CBS boundaries are not on this machine")
    return path


@pytest.fixture
def cbs_municipalities(db) -> Path:
    """The 342 real municipalities of 2024, imported."""
    path = shared_file("nl_municipalities.geojson")
    import_areas(path, level="municipality")
    return path


@pytest.fixture
def cbs_districts(cbs_municipalities) -> list[Path]:
    """The real districts of the five municipalities in ../shared/data, imported."""
    paths = sorted(SHARED_DATA.glob("districts_*.geojson"))
    for path in paths:
        import_areas(path, level="district")
    return paths


def post_role_assignment(client, username, role="inspector", municipality_code="GM1783", **headers):
    """POST /api/v1/role-assignments/ as `client` (a municipal administrator, usually)."""
    payload = {"username": username, "role": role, "municipality_code": municipality_code}
    return client.post("/api/v1/role-assignments/", payload, format="json", **headers)
