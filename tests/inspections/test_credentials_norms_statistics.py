"""Credentials, municipal norm choices, and the aggregates national users see."""

from datetime import date

import pytest

from backend.accounts.roles import Role
from inspections.models import Credential, NormProfileAssignment, OccupancyDeclaration

from .conftest import register

pytestmark = pytest.mark.django_db


class TestCredentials:
    def add(self, client, **data):
        return client.post(
            "/api/v1/credentials/",
            {"issuer": "SNF", "valid_from": "2026-01-01", **data},
            format="json",
        )

    def test_providers_add_credentials_to_their_organisation_and_locations(
        self, provider_a, agency_a
    ):
        location = register(agency_a)
        assert (
            self.add(provider_a, kind="snf", location=location.pk, number="SNF-1").status_code
            == 201
        )
        response = self.add(
            provider_a, kind="sna_nen4400", organisation=agency_a.pk, number="NEN-1", issuer="SNA"
        )
        assert response.status_code == 201
        certificates = provider_a.get(f"/api/v1/locations/{location.pk}/").json()["properties"][
            "credentials"
        ]
        assert [(c["kind"], c["valid_today"]) for c in certificates] == [("snf", True)]

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"kind": "snf", "number": "1"}, "location", "belong to a location"),
            ({"kind": "sna_nen4400", "number": "1"}, "organisation", "belong to an organisation"),
            (
                {"kind": "wtta_admission", "number": "1", "valid_from": "2026-06-01"},
                "valid_from",
                "from 1 January 2027",
            ),
            (
                {"kind": "snf", "number": "1", "valid_until": "2025-01-01"},
                "valid_until",
                "Ends before it starts",
            ),
            ({"kind": "diploma", "number": "1"}, "kind", "not a valid choice"),
        ],
    )
    def test_bad_credentials(self, provider_a, agency_a, data, field, message):
        location = register(agency_a)
        if data["kind"] in ("snf", "diploma") and field != "location":
            data["location"] = location.pk
        if data["kind"] in ("sna_nen4400", "wtta_admission") and field != "organisation":
            data["organisation"] = agency_a.pk
        response = self.add(provider_a, **data)
        assert response.status_code == 400, response.content
        assert message in response.json()["errors"][field][0]
        assert not Credential.objects.exists()

    def test_a_wtta_admission_from_2027(self, provider_a, agency_a):
        response = self.add(
            provider_a,
            kind="wtta_admission",
            organisation=agency_a.pk,
            number="W-1",
            issuer="Toelatingsautoriteit",
            valid_from="2027-01-01",
        )
        assert response.status_code == 201

    def test_the_same_certificate_twice_is_a_409(self, provider_a, agency_a):
        location = register(agency_a)
        self.add(provider_a, kind="snf", location=location.pk, number="SNF-1")
        response = self.add(provider_a, kind="snf", location=location.pk, number="SNF-1")
        assert response.status_code == 409
        assert Credential.objects.count() == 1

    def test_staff_read_but_do_not_write(self, westland_admin, agency_a):
        location = register(agency_a)
        credential = Credential.objects.create(
            kind="akf", location=location, number="A-1", issuer="AKF", valid_from=date(2026, 1, 1)
        )
        assert westland_admin.get(f"/api/v1/credentials/{credential.pk}/").status_code == 200
        assert (
            self.add(westland_admin, kind="snf", location=location.pk, number="X").status_code
            == 403
        )
        assert westland_admin.delete(f"/api/v1/credentials/{credential.pk}/").status_code == 403

    def test_providers_change_and_remove_with_if_match(self, provider_a, agency_a):
        location = register(agency_a)
        created = self.add(provider_a, kind="snf", location=location.pk, number="SNF-1").json()
        url = f"/api/v1/credentials/{created['id']}/"
        etag = provider_a.get(url)["ETag"]
        response = provider_a.patch(
            url, {"valid_until": "2027-12-31"}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.json()["valid_until"] == "2027-12-31"
        assert provider_a.delete(url, HTTP_IF_MATCH=etag).status_code == 412
        assert provider_a.delete(url, HTTP_IF_MATCH=response["ETag"]).status_code == 204
        assert not Credential.objects.exists()


class TestNormAssignments:
    def test_an_admin_sets_the_norm_of_their_municipality_and_capacities_follow(
        self, westland_admin, provider_a, agency_a
    ):
        location = register(agency_a)
        response = westland_admin.post(
            "/api/v1/norm-assignments/",
            {
                "municipality_code": "GM1783",
                "location_kind": "shared_house",
                "profile": "snf-2025-new-build",
            },
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["locations_changed"] == 1
        capacity = provider_a.get(f"/api/v1/locations/{location.pk}/").json()["properties"][
            "capacity"
        ]
        assert (capacity["persons"], capacity["norm_profile"]["code"]) == (3, "snf-2025-new-build")

        assignment = response.json()["id"]
        assert westland_admin.delete(f"/api/v1/norm-assignments/{assignment}/").status_code == 204
        location.refresh_from_db()
        assert location.capacity == 7

    def test_other_municipalities_and_national_defaults_are_not_theirs(self, westland_admin):
        response = westland_admin.post(
            "/api/v1/norm-assignments/",
            {"municipality_code": "GM1507", "profile": "akf-2026"},
            format="json",
        )
        assert response.status_code == 403
        national = NormProfileAssignment.objects.filter(municipality_code="").first()
        assert westland_admin.delete(f"/api/v1/norm-assignments/{national.pk}/").status_code == 403
        assert NormProfileAssignment.objects.filter(pk=national.pk).exists()

    def test_unknown_profile(self, westland_admin):
        response = westland_admin.post(
            "/api/v1/norm-assignments/",
            {"municipality_code": "GM1783", "profile": "lenient"},
            format="json",
        )
        assert response.status_code == 400
        assert "profile" in response.json()["errors"]

    def test_everyone_signed_in_reads_the_norms(self, provider_a):
        codes = [p["code"] for p in provider_a.get("/api/v1/norm-profiles/").json()["results"]]
        assert codes == [
            "akf-2026",
            "national-2012",
            "snf-2025-new-build",
            "snf-residence",
            "snf-short-stay",
        ]
        profile = provider_a.get("/api/v1/norm-profiles/snf-2025-new-build/").json()
        assert (profile["floor_area_per_person_m2"], profile["persons_per_bedroom"]) == (15.0, 1)


def test_statistics_per_municipality(make_user, client_for, agency_a):
    crowded = register(agency_a)
    register(agency_a, house_number=14)
    OccupancyDeclaration.objects.create(location=crowded, persons=9, valid_from=date(2026, 1, 1))
    register(
        agency_a,
        house_number=50,
        postcode="5961AA",
        place="Horst",
        point={"type": "Point", "coordinates": [6.05, 51.455]},
    )

    national = (
        client_for(make_user(Role.NATIONAL_READONLY))
        .get("/api/v1/statistics/municipalities/")
        .json()
    )
    assert national == [
        {
            "municipality_code": "GM1507",
            "municipality_name": "Horst aan de Maas",
            "locations": 1,
            "beds": 6,
            "capacity": 7,
            "declared_persons": 0,
            "registered_persons": 0,
            "observed_persons": 0,
            "overcrowded_locations": 0,
        },
        {
            "municipality_code": "GM1783",
            "municipality_name": "Westland",
            "locations": 2,
            "beds": 12,
            "capacity": 14,
            "declared_persons": 9,
            "registered_persons": 0,
            "observed_persons": 0,
            "overcrowded_locations": 1,
        },
    ]
    horst = (
        client_for(make_user(Role.PLANNER, ["GM1507"]))
        .get("/api/v1/statistics/municipalities/")
        .json()
    )
    assert [row["municipality_code"] for row in horst] == ["GM1507"]
