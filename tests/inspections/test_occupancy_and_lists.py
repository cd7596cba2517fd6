"""Occupancy, overcrowding as the API explains it, filters, exports and list efficiency."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from inspections.models import (
    Credential,
    OccupancyDeclaration,
    OccupancyObservation,
    RegisteredOccupancy,
    RegisteredOccupancyImport,
)

from .conftest import register

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def registered(location, persons, day=TODAY):
    source = RegisteredOccupancyImport.objects.create(
        municipality_code="GM1783",
        reference_date=day,
        file_name="brp.csv",
        file_sha256=str(location.pk) * 3,
        rows=1,
        matched=1,
    )
    RegisteredOccupancy.objects.create(
        location=location, reference_date=day, persons=persons, source=source
    )


def props(client, location):
    return client.get(f"/api/v1/locations/{location.pk}/").json()["properties"]


class TestDeclarations:
    def test_a_provider_declares_and_the_current_declaration_counts(self, provider_a, agency_a):
        location = register(agency_a)
        for persons, start in (
            (4, TODAY - timedelta(days=60)),
            (10, TODAY - timedelta(days=5)),
            (2, TODAY + timedelta(days=30)),
        ):
            response = provider_a.post(
                "/api/v1/occupancy-declarations/",
                {"location": location.pk, "persons": persons, "valid_from": start.isoformat()},
                format="json",
            )
            assert response.status_code == 201

        occupancy = props(provider_a, location)["occupancy"]["declared"]
        assert occupancy == {
            "persons": 10,
            "valid_from": (TODAY - timedelta(days=5)).isoformat(),
            "valid_until": None,
        }

    def test_a_second_declaration_from_the_same_day_is_a_409(self, provider_a, agency_a):
        location = register(agency_a)
        payload = {"location": location.pk, "persons": 4, "valid_from": "2026-01-01"}
        first = provider_a.post("/api/v1/occupancy-declarations/", payload, format="json").json()
        response = provider_a.post("/api/v1/occupancy-declarations/", payload, format="json")
        assert response.status_code == 409
        assert response.json()["existing"] == {"id": first["id"]}
        assert OccupancyDeclaration.objects.count() == 1

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"persons": -1, "valid_from": "2026-01-01"}, "persons"),
            (
                {"persons": 3, "valid_from": "2026-02-01", "valid_until": "2026-01-01"},
                "valid_until",
            ),
            ({"persons": 3, "valid_from": "1 januari"}, "valid_from"),
            ({"persons": 3}, "valid_from"),
        ],
    )
    def test_bad_declarations(self, provider_a, agency_a, payload, field):
        location = register(agency_a)
        response = provider_a.post(
            "/api/v1/occupancy-declarations/", {"location": location.pk, **payload}, format="json"
        )
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert not OccupancyDeclaration.objects.exists()

    def test_staff_do_not_declare_for_providers(self, westland_admin, agency_a):
        location = register(agency_a)
        response = westland_admin.post(
            "/api/v1/occupancy-declarations/",
            {"location": location.pk, "persons": 3, "valid_from": "2026-01-01"},
            format="json",
        )
        assert response.status_code == 403


def test_overcrowding_per_source_with_its_explanation(provider_a, westland_inspector, agency_a):
    location = register(agency_a)  # capacity 7, bound by the bedrooms
    OccupancyDeclaration.objects.create(
        location=location, persons=6, valid_from=TODAY - timedelta(days=1)
    )
    registered(location, 12)
    response = westland_inspector.post(
        "/api/v1/occupancy-observations/",
        {
            "location": location.pk,
            "persons": 10,
            "beds_in_use": 10,
            "observed_on": TODAY.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201

    result = props(westland_inspector, location)["overcrowding"]

    assert result["declared"] == {
        "persons": 6,
        "capacity": 7,
        "ratio": 0.857,
        "excess": 0,
        "overcrowded": False,
        "explanation": "6 declared ÷ capacity 7 = 0.857: within the norm.",
    }
    assert result["registered"]["ratio"] == 1.714
    assert result["registered"]["excess"] == 5
    assert (
        result["registered"]["explanation"]
        == "12 registered ÷ capacity 7 = 1.714: 5 over the bedrooms limit."
    )
    assert result["observed"]["overcrowded"] is True
    assert "overcrowded" in props(westland_inspector, location)["flags"]


class TestFilters:
    @pytest.fixture
    def locations(self, agency_a, agency_b):
        calm = register(agency_a, house_number=1)
        crowded = register(agency_a, house_number=2)
        registered(crowded, 9)
        hotel = register(
            agency_b, house_number=3, kind="hotel_guesthouse", landlord_permit_number="VV-1"
        )
        hotel.landlord_permit_valid_until = TODAY - timedelta(days=1)
        hotel.save()
        Credential.objects.create(
            kind="snf",
            location=hotel,
            number="S-1",
            issuer="SNF",
            valid_from=date(2020, 1, 1),
            valid_until=TODAY - timedelta(days=10),
        )
        horst = register(
            agency_b,
            house_number=4,
            postcode="5961AA",
            place="Horst",
            point={"type": "Point", "coordinates": [6.05, 51.455]},
        )
        return {"calm": calm, "crowded": crowded, "hotel": hotel, "horst": horst}

    @pytest.fixture
    def planner(self, make_user, client_for):
        return client_for(make_user("planner", ["GM1783", "GM1507"]))

    def ids(self, client, query):
        response = client.get(f"/api/v1/locations/?{query}")
        assert response.status_code == 200, response.content
        return {f["id"] for f in response.json()["features"]}

    def test_filters(self, planner, locations, agency_b):
        named = {name: loc.pk for name, loc in locations.items()}
        assert self.ids(planner, "overcrowded=true") == {named["crowded"]}
        assert self.ids(planner, "overcrowded_by=registered") == {named["crowded"]}
        assert self.ids(planner, "overcrowded_by=declared") == set()
        assert self.ids(planner, "overcrowded=false") == {
            named["calm"],
            named["hotel"],
            named["horst"],
        }
        assert self.ids(planner, "municipality=GM1507") == {named["horst"]}
        assert self.ids(planner, "district=WK178301") == {
            named["calm"],
            named["crowded"],
            named["hotel"],
        }
        assert self.ids(planner, "kind=hotel_guesthouse") == {named["hotel"]}
        assert (
            self.ids(planner, "kind=hotel_guesthouse&kind=shared_house")
            == set(named.values()) - set()
        )
        assert self.ids(planner, "certificate_expired=true") == {named["hotel"]}
        assert self.ids(planner, "permit_expired=true") == {named["hotel"]}
        assert self.ids(planner, f"organisation={agency_b.pk}") == {named["hotel"], named["horst"]}
        assert self.ids(planner, "status=registered") == set(named.values())
        assert self.ids(planner, "status=closed") == set()
        assert self.ids(planner, "bbox=5.9,51.3,6.3,51.6") == {named["horst"]}
        assert self.ids(planner, "postcode=5961 aa") == {named["horst"]}

    def test_bad_filter_values_are_problems(self, planner, locations):
        for query in ("status=gone", "kind=castle", "overcrowded_by=rumour", "bbox=1,2"):
            response = planner.get(f"/api/v1/locations/?{query}")
            assert response.status_code == 400, query
            assert response["Content-Type"] == "application/problem+json"

    def test_flags_in_the_representation(self, planner, locations):
        flags = planner.get(f"/api/v1/locations/{locations['hotel'].pk}/").json()["properties"][
            "flags"
        ]
        assert set(flags) >= {"landlord_permit_not_valid", "certificate_expired"}

    def test_csv_export_for_staff_is_filtered_and_logged(self, planner, locations):
        response = planner.get("/api/v1/locations/export/?municipality=GM1783")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert {int(r["id"]) for r in rows} == {
            locations[n].pk for n in ("calm", "crowded", "hotel")
        }
        crowded = next(r for r in rows if int(r["id"]) == locations["crowded"].pk)
        assert (crowded["capacity"], crowded["registered_persons"], crowded["overcrowded"]) == (
            "7",
            "9",
            "yes",
        )
        assert crowded["binding_limit"] == "bedrooms"
        event = AuditEvent.objects.get(action="export")
        assert "municipality=GM1783" in event.detail


def test_listing_1000_locations_takes_a_constant_number_of_queries(
    agency_a, westland_inspector, django_assert_max_num_queries
):
    from inspections.models import Bedroom, HousingLocation

    template = register(agency_a)
    rooms = list(template.bedrooms.all())
    clones = []
    for number in range(1000):
        clone = HousingLocation.objects.get(pk=template.pk)
        clone.pk = None
        clone.house_number = 1000 + number
        clones.append(clone)
    HousingLocation.objects.bulk_create(clones)
    created = HousingLocation.objects.exclude(pk=template.pk)
    Bedroom.objects.bulk_create(
        Bedroom(location=loc, label=r.label, floor_area_m2=r.floor_area_m2, beds=r.beds)
        for loc in created
        for r in rooms
    )
    OccupancyObservation.objects.bulk_create(
        OccupancyObservation(location=loc, observed_on=TODAY, persons=5) for loc in created[:300]
    )

    # savepoint x2, token x2 (knox), roles, municipality ids, organisation, the page, bedrooms,
    # employers, credentials: eleven, however many locations
    with django_assert_max_num_queries(11):
        response = westland_inspector.get("/api/v1/locations/?limit=500")
    assert len(response.json()["features"]) == 500
    with django_assert_max_num_queries(11):
        response = westland_inspector.get(response.json()["links"][0]["href"])
    assert len(response.json()["features"]) == 500


def test_explanations_in_dutch_when_asked(westland_inspector, agency_a):
    location = register(agency_a)
    registered(location, 12)
    props = westland_inspector.get(
        f"/api/v1/locations/{location.pk}/", HTTP_ACCEPT_LANGUAGE="nl"
    ).json()["properties"]
    assert props["overcrowding"]["registered"]["explanation"] == (
        "12 ingeschreven ÷ capaciteit 7 = 1.714: 5 boven de grens voor slaapkamers."
    )
    terms = {t["limit"]: t["explanation"] for t in props["capacity"]["terms"]}
    assert (
        terms["floor_area"]
        == "100 m² gebruiksoppervlakte ÷ 12 m² per persoon = 8 (naar beneden afgerond)"
    )
    assert terms["toilets"] == "2 × 8 personen per toilet = 16"
    assert terms["bedrooms"].endswith("totaal 7")
