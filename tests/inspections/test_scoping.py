"""Who sees what: providers only their own, staff their municipalities, national aggregates only.

Another provider's data answers 404 by id, filter and bulk endpoints alike, and nothing changes.
"""

import pytest

from backend.accounts.roles import Role
from inspections.models import Credential, HousingLocation, OccupancyDeclaration

from .conftest import location_payload, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_location(agency_b):
    return register(agency_b, house_number=30)


class TestAProviderCannotReachAnotherProvidersHousing:
    def test_by_id(self, provider_a, b_location):
        url = f"/api/v1/locations/{b_location.pk}/"
        assert provider_a.get(url).status_code == 404
        assert provider_a.patch(url, {"toilets": 9}, format="json").status_code == 404
        assert (
            provider_a.post(
                f"{url}status/", {"status": "closed", "reason": "x"}, format="json"
            ).status_code
            == 404
        )
        b_location.refresh_from_db()
        assert (b_location.toilets, b_location.status) == (2, "registered")

    def test_by_list_filter_bbox_and_export(self, provider_a, agency_a, agency_b, b_location):
        own = register(agency_a)
        for query in (
            "",
            f"?organisation={agency_b.pk}",
            "?municipality=GM1783",
            "?bbox=4,51,5,53",
            "?postcode=2671AB",
        ):
            ids = [f["id"] for f in provider_a.get(f"/api/v1/locations/{query}").json()["features"]]
            assert b_location.pk not in ids, query
        assert [f["id"] for f in provider_a.get("/api/v1/locations/").json()["features"]] == [
            own.pk
        ]
        assert provider_a.get("/api/v1/locations/export/").status_code == 403

    def test_by_declarations(self, provider_a, b_location):
        response = provider_a.post(
            "/api/v1/occupancy-declarations/",
            {"location": b_location.pk, "persons": 3, "valid_from": "2026-01-01"},
            format="json",
        )
        assert response.status_code == 400
        assert "does not exist" in response.json()["errors"]["location"][0]
        assert not OccupancyDeclaration.objects.exists()
        OccupancyDeclaration.objects.create(location=b_location, persons=4, valid_from="2026-01-01")
        assert (
            provider_a.get(f"/api/v1/occupancy-declarations/?location={b_location.pk}").json()[
                "results"
            ]
            == []
        )

    def test_by_credentials(self, provider_a, agency_b, b_location):
        response = provider_a.post(
            "/api/v1/credentials/",
            {
                "kind": "snf",
                "location": b_location.pk,
                "number": "S1",
                "issuer": "SNF",
                "valid_from": "2026-01-01",
            },
            format="json",
        )
        assert response.status_code == 400
        credential = Credential.objects.create(
            kind="sna_nen4400",
            organisation=agency_b,
            number="N1",
            issuer="SNA",
            valid_from="2025-01-01",
        )
        assert provider_a.get(f"/api/v1/credentials/{credential.pk}/").status_code == 404
        assert provider_a.delete(f"/api/v1/credentials/{credential.pk}/").status_code == 404
        assert Credential.objects.filter(pk=credential.pk).exists()

    def test_by_organisation(self, provider_a, agency_b):
        assert provider_a.get(f"/api/v1/organisations/{agency_b.pk}/").status_code == 404
        assert (
            provider_a.patch(
                f"/api/v1/organisations/{agency_b.pk}/", {"name": "X"}, format="json"
            ).status_code
            == 404
        )
        agency_b.refresh_from_db()
        assert agency_b.name == "Agency B"
        assert [o["id"] for o in provider_a.get("/api/v1/organisations/").json()["results"]] == [
            provider_a.user.organisation_membership.organisation_id
        ]


def test_staff_see_their_municipalities_only(make_user, client_for, agency_a):
    westland = register(agency_a)
    horst = register(
        agency_a,
        house_number=50,
        postcode="5961AA",
        place="Horst",
        point={"type": "Point", "coordinates": [6.05, 51.455]},
    )
    horst_inspector = client_for(make_user(Role.INSPECTOR, ["GM1507"]))

    ids = [f["id"] for f in horst_inspector.get("/api/v1/locations/").json()["features"]]
    assert ids == [horst.pk]
    assert horst_inspector.get(f"/api/v1/locations/{westland.pk}/").status_code == 404
    assert horst_inspector.get("/api/v1/locations/?municipality=GM1783").json()["features"] == []


def test_national_users_see_aggregates_only(make_user, client_for, agency_a):
    location = register(agency_a)
    national = client_for(make_user(Role.NATIONAL_READONLY))
    for url in (
        "/api/v1/locations/",
        f"/api/v1/locations/{location.pk}/",
        "/api/v1/organisations/",
    ):
        response = national.get(url)
        assert response.status_code == 403
        assert "aggregates only" in response.json()["detail"]
    rows = national.get("/api/v1/statistics/municipalities/").json()
    assert rows[0]["municipality_code"] == "GM1783"


ROLE_SPECS = {
    "anonymous": None,
    "provider": "provider",
    "inspector": (Role.INSPECTOR, ["GM1783"]),
    "planner": (Role.PLANNER, ["GM1783"]),
    "enforcement_officer": (Role.ENFORCEMENT_OFFICER, ["GM1783"]),
    "municipal_admin": (Role.MUNICIPAL_ADMIN, ["GM1783"]),
    "other_admin": (Role.MUNICIPAL_ADMIN, ["GM0362"]),
    "national_readonly": (Role.NATIONAL_READONLY, []),
}
ANON = {"anonymous": 401}
# (method, path template, body, {role: status}, default status)
ENDPOINTS = [
    ("get", "/api/v1/locations/", None, {**ANON, "national_readonly": 403}, 200),
    (
        "get",
        "/api/v1/locations/{loc}/",
        None,
        {**ANON, "national_readonly": 403, "other_admin": 404},
        200,
    ),
    (
        "post",
        "/api/v1/locations/",
        "location",
        {**ANON, "provider": 201, "national_readonly": 403},
        403,
    ),
    (
        "patch",
        "/api/v1/locations/{loc}/",
        {"kitchens": 2},
        {
            **ANON,
            "provider": 200,
            "municipal_admin": 200,
            "enforcement_officer": 200,
            "other_admin": 404,
        },
        403,
    ),
    (
        "get",
        "/api/v1/locations/export/",
        None,
        {**ANON, "provider": 403, "national_readonly": 403},
        200,
    ),
    ("get", "/api/v1/organisations/", None, {**ANON, "national_readonly": 403}, 200),
    (
        "get",
        "/api/v1/organisations/{org}/",
        None,
        {**ANON, "national_readonly": 403, "other_admin": 404},
        200,
    ),
    (
        "post",
        "/api/v1/organisations/{org}/decision/",
        {"decision": "suspend", "reason": "test"},
        {**ANON, "municipal_admin": 200, "other_admin": 404},
        403,
    ),
    ("get", "/api/v1/credentials/", None, {**ANON, "national_readonly": 403}, 200),
    ("get", "/api/v1/occupancy-declarations/", None, {**ANON, "national_readonly": 403}, 200),
    (
        "post",
        "/api/v1/occupancy-declarations/",
        "declaration",
        {**ANON, "provider": 201, "national_readonly": 403, "other_admin": 400},
        403,
    ),
    (
        "get",
        "/api/v1/occupancy-observations/",
        None,
        {**ANON, "provider": 403, "national_readonly": 403},
        200,
    ),
    (
        "post",
        "/api/v1/occupancy-observations/",
        "observation",
        {**ANON, "provider": 403, "national_readonly": 403, "planner": 403, "other_admin": 400},
        201,
    ),
    (
        "get",
        "/api/v1/registered-occupancy-imports/",
        None,
        {**ANON, "municipal_admin": 200, "other_admin": 200},
        403,
    ),
    ("get", "/api/v1/norm-profiles/", None, ANON, 200),
    ("get", "/api/v1/norm-assignments/", None, ANON, 200),
    (
        "post",
        "/api/v1/norm-assignments/",
        {"municipality_code": "GM1783", "location_kind": "", "profile": "akf-2026"},
        {**ANON, "municipal_admin": 201},
        403,
    ),
    ("get", "/api/v1/statistics/municipalities/", None, {**ANON, "provider": 403}, 200),
    (
        "get",
        "/api/v1/audit-events/",
        None,
        {**ANON, "municipal_admin": 200, "other_admin": 200},
        403,
    ),
]


@pytest.fixture
def client_as(make_user, client_for, api_client, agency_a):
    from .conftest import make_member

    def make(role):
        spec = ROLE_SPECS[role]
        if spec is None:
            return api_client
        if spec == "provider":
            return client_for(make_member(agency_a))
        return client_for(make_user(*spec))

    return make


def body_for(kind, location):
    if kind == "location":
        return location_payload(house_number=99)
    if kind == "declaration":
        return {"location": location.pk, "persons": 4, "valid_from": "2026-03-01"}
    if kind == "observation":
        return {"location": location.pk, "persons": 4, "observed_on": "2026-03-01"}
    return kind


@pytest.mark.parametrize("role", list(ROLE_SPECS))
@pytest.mark.parametrize(
    ("method", "path", "body", "expected", "default"),
    ENDPOINTS,
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_every_role_against_every_endpoint(
    client_as, agency_a, role, method, path, body, expected, default
):
    location = register(agency_a)
    client = client_as(role)
    url = path.format(loc=location.pk, org=agency_a.pk)
    data = body_for(body, location) if body else None
    response = getattr(client, method)(url, data, format="json")
    assert response.status_code == expected.get(role, default), (
        role,
        method,
        url,
        response.content[:300],
    )
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if method != "get" and response.status_code >= 400:
        assert HousingLocation.objects.count() == 1
