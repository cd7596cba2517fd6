"""Registering and reading housing locations through the API, with the bad inputs providers send."""

import pytest

from backend.audit.models import AuditEvent
from inspections.models import Bedroom, HousingLocation, LocationStatus

from .conftest import location_payload, make_member, make_organisation, register

pytestmark = pytest.mark.django_db

URL = "/api/v1/locations/"


def create(client, **changes):
    return client.post(URL, location_payload(**changes), format="json")


def problem(response, status, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if field:
        assert field in body["errors"], body
        return body["errors"][field][0]
    return body["detail"]


class TestRegistration:
    def test_a_verified_provider_registers_a_location(self, provider_a, agency_a):
        response = create(provider_a)

        assert response.status_code == 201
        assert response["Location"].endswith(f"/api/v1/locations/{response.json()['id']}/")
        feature = response.json()
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [4.205, 51.995]}
        props = feature["properties"]
        assert props["address_line"] == "Havenstraat 12, 2671 AB Naaldwijk"
        assert props["postcode"] == "2671 AB"
        assert props["areas"]["municipality"] == {"code": "GM1783", "name": "Westland"}
        assert props["areas"]["district"]["code"] == "WK178301"
        assert props["areas"]["neighbourhood"]["code"] == "BU17830100"
        assert props["parties"]["provider"]["kvk_number"] == agency_a.kvk_number
        assert props["status"] == "registered"
        assert props["beds"] == 6
        assert props["capacity"]["persons"] == 7
        assert props["capacity"]["binding"] == ["bedrooms"]
        assert props["capacity"]["norm_profile"]["code"] == "snf-residence"
        assert {t["limit"]: t["slack"] for t in props["capacity"]["terms"]} == {
            "floor_area": 1,
            "bedrooms": 0,
            "toilets": 9,
            "showers": 1,
        }
        assert props["flags"] == []
        assert AuditEvent.objects.filter(action="create", target_id=str(feature["id"])).exists()

    def test_rd_new_coordinates_with_a_crs(self, provider_a):
        response = create(
            provider_a, crs="EPSG:28992", point={"type": "Point", "coordinates": [74700, 445600]}
        )
        assert response.status_code == 201
        lon, lat = response.json()["geometry"]["coordinates"]
        assert 4.1 < lon < 4.3
        assert 51.9 < lat < 52.1
        assert response.json()["properties"]["areas"]["municipality"]["code"] == "GM1783"

    def test_the_content_crs_header_works_too(self, provider_a):
        response = provider_a.post(
            URL,
            location_payload(point={"type": "Point", "coordinates": [74700, 445600]}),
            format="json",
            HTTP_CONTENT_CRS="<http://www.opengis.net/def/crs/EPSG/0/28992>",
        )
        assert response.status_code == 201

    def test_parties_are_found_or_named_by_kvk(self, provider_a, agency_b):
        response = create(
            provider_a,
            landlord={"kvk_number": agency_b.kvk_number, "name": "ignored: known already"},
            operator={"kvk_number": "20000001", "name": "Beheer BV"},
            employers=[{"kvk_number": "30000001", "name": "Kwekerij De Tomaat"}],
            landlord_permit={
                "number": "VV-2026-001",
                "valid_from": "2026-01-01",
                "valid_until": "2030-12-31",
            },
        )
        parties = response.json()["properties"]["parties"]
        assert parties["landlord"]["name"] == "Agency B"
        assert parties["operator"] == {
            "id": parties["operator"]["id"],
            "name": "Beheer BV",
            "kvk_number": "20000001",
            "status": "unregistered",
        }
        assert [e["name"] for e in parties["employers"]] == ["Kwekerij De Tomaat"]
        assert response.json()["properties"]["landlord_permit"]["valid_today"] is True

    def test_an_outline_around_the_point(self, provider_a):
        ring = [
            [4.2049, 51.9949],
            [4.2051, 51.9949],
            [4.2051, 51.9951],
            [4.2049, 51.9951],
            [4.2049, 51.9949],
        ]
        response = create(provider_a, outline={"type": "Polygon", "coordinates": [ring]})
        assert response.status_code == 201
        assert response.json()["properties"]["outline"]["type"] == "MultiPolygon"

    def test_more_beds_than_the_norm_allows_is_accepted_but_flagged(self, provider_a):
        bedrooms = [{"label": "K1", "floor_area_m2": "12.00", "beds": 8}]
        response = create(provider_a, bedrooms=bedrooms)
        assert response.status_code == 201
        props = response.json()["properties"]
        assert props["beds"] == 8
        assert props["capacity"]["persons"] == 3
        assert "beds_exceed_capacity" in props["flags"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"postcode": "2671 A"}, "postcode", "A postcode is 4 digits"),
            ({"postcode": "0671AB"}, "postcode", "A postcode is 4 digits"),
            (
                {"bag_verblijfsobject_id": "1783200000123456"},
                "bag_verblijfsobject_id",
                "Digits 5-6",
            ),
            ({"bag_verblijfsobject_id": "17830100001234"}, "bag_verblijfsobject_id", "16 digits"),
            ({"bag_nummeraanduiding_id": "1783010000123456"}, "bag_nummeraanduiding_id", "are 20"),
            (
                {"point": {"type": "Point", "coordinates": [51.995, 4.205]}},
                "point",
                "axes look swapped",
            ),
            ({"point": {"type": "Point", "coordinates": [4.205]}}, "point", "Send a GeoJSON Point"),
            ({"point": "POINT(4.2 52)"}, "point", "Send a GeoJSON Point"),
            ({"usable_floor_area_m2": "-10"}, "usable_floor_area_m2", "must be more than 0"),
            ({"usable_floor_area_m2": "0"}, "usable_floor_area_m2", "must be more than 0"),
            ({"toilets": -1}, "toilets", "greater than or equal to 0"),
            ({"bedrooms": []}, "bedrooms", ""),
            ({"kind": "castle"}, "kind", "not a valid choice"),
            ({"house_number": 0}, "house_number", "greater than or equal to 1"),
            ({"house_letter": "AB"}, "house_letter", "One letter"),
            (
                {"landlord": {"kvk_number": "1234567", "name": "X"}},
                "landlord.kvk_number",
                "exactly 8 digits",
            ),
            ({"crs": "EPSG:3857"}, "crs", "Unsupported CRS"),
            (
                {"bedrooms": [{"label": "K1", "floor_area_m2": "9", "beds": 1}] * 2},
                "bedrooms",
                "used twice: K1",
            ),
            (
                {"bedrooms": [{"label": "K1", "floor_area_m2": "-9", "beds": 1}]},
                "bedrooms[0].floor_area_m2",
                "more than 0",
            ),
            (
                {
                    "landlord_permit": {
                        "number": "1",
                        "valid_from": "2026-02-01",
                        "valid_until": "2026-01-01",
                    }
                },
                "landlord_permit.valid_until",
                "Ends before it starts",
            ),
        ],
    )
    def test_is_a_clear_problem_and_stores_nothing(self, provider_a, changes, field, message):
        response = create(provider_a, **changes)
        assert message in problem(response, 400, field)
        assert not HousingLocation.objects.exists()
        assert not Bedroom.objects.exists()

    @pytest.mark.parametrize(
        ("coordinates", "message"),
        [
            ([4.40, 51.22], "lies in no Dutch municipality"),  # Antwerp, Belgium
            ([3.90, 52.30], "lies in no Dutch municipality"),  # North Sea
            ([2.35, 48.85], "outside the Netherlands"),  # Paris
        ],
    )
    def test_points_abroad_or_at_sea(self, provider_a, coordinates, message):
        response = create(provider_a, point={"type": "Point", "coordinates": coordinates})
        assert message in problem(response, 400, "point")
        assert not HousingLocation.objects.exists()

    def test_an_outline_far_from_the_point(self, provider_a):
        ring = [[4.30, 52.02], [4.31, 52.02], [4.31, 52.03], [4.30, 52.03], [4.30, 52.02]]
        response = create(provider_a, outline={"type": "Polygon", "coordinates": [ring]})
        assert "should contain it" in problem(response, 400, "outline")

    def test_an_invalid_outline(self, provider_a):
        bowtie = [
            [4.2049, 51.9949],
            [4.2051, 51.9951],
            [4.2051, 51.9949],
            [4.2049, 51.9951],
            [4.2049, 51.9949],
        ]
        response = create(provider_a, outline={"type": "Polygon", "coordinates": [bowtie]})
        assert "not valid (Self-intersection" in problem(response, 400, "outline")


class TestDuplicates:
    def test_the_same_address_is_a_409_naming_the_existing_one(self, provider_a, provider_b):
        first = create(provider_a).json()
        response = create(provider_b, postcode="2671 ab")
        detail = problem(response, 409)
        assert f"as location {first['id']} (Havenstraat 12, 2671 AB Naaldwijk)" in detail
        assert response.json()["existing"]["id"] == first["id"]
        assert HousingLocation.objects.count() == 1

    def test_the_same_bag_id_is_a_409(self, provider_a):
        create(provider_a, bag_verblijfsobject_id="1783010000123456")
        response = create(provider_a, house_number=14, bag_verblijfsobject_id="1783010000123456")
        assert "BAG verblijfsobject 1783010000123456 is registered already" in problem(
            response, 409
        )

    def test_another_addition_is_another_location(self, provider_a):
        assert create(provider_a, house_number_addition="a").status_code == 201
        assert create(provider_a, house_number_addition="B").status_code == 201
        assert create(provider_a).status_code == 201
        assert HousingLocation.objects.count() == 3


def test_a_pending_organisation_cannot_register_housing(demo_region, client_for):
    pending = make_organisation("10000009", status="pending")
    client = client_for(make_member(pending))
    detail = problem(create(client), 403)
    assert "pending verification" in detail
    assert not HousingLocation.objects.exists()


@pytest.mark.parametrize("status", ["rejected", "suspended"])
def test_rejected_or_suspended_organisations_can_do_nothing(demo_region, client_for, status):
    organisation = make_organisation("10000008", status=status, status_reason="fraude")
    location = register(make_organisation("10000007"))
    location.provider = organisation
    location.save()
    client = client_for(make_member(organisation))
    for response in (client.get(URL), client.get(f"{URL}{location.pk}/"), create(client)):
        assert f"Your organisation is {status} (fraude)" in problem(response, 403)


def test_staff_do_not_register_housing(westland_admin):
    assert "registered by the employer or agency" in problem(create(westland_admin), 403)


class TestChanges:
    def test_patch_with_if_match_recomputes_capacity(self, provider_a, agency_a):
        location = register(agency_a)
        etag = provider_a.get(f"{URL}{location.pk}/")["ETag"]

        response = provider_a.patch(
            f"{URL}{location.pk}/",
            {"usable_floor_area_m2": "60"},
            format="json",
            HTTP_IF_MATCH=etag,
        )

        assert response.status_code == 200
        assert response.json()["properties"]["capacity"]["persons"] == 5  # 60 / 12
        assert response.json()["properties"]["capacity"]["binding"] == ["floor_area"]
        assert response["ETag"] != etag

    def test_stale_if_match_is_412_and_nothing_changes(self, provider_a, agency_a):
        location = register(agency_a)
        stale = provider_a.get(f"{URL}{location.pk}/")["ETag"]
        provider_a.patch(f"{URL}{location.pk}/", {"toilets": 3}, format="json")

        response = provider_a.patch(
            f"{URL}{location.pk}/", {"toilets": 1}, format="json", HTTP_IF_MATCH=stale
        )

        assert response.status_code == 412
        assert response.json()["current"]["properties"]["toilets"] == 3
        location.refresh_from_db()
        assert location.toilets == 3

    def test_replacing_bedrooms(self, provider_a, agency_a):
        location = register(agency_a)
        response = provider_a.patch(
            f"{URL}{location.pk}/",
            {"bedrooms": [{"label": "A", "floor_area_m2": "20", "beds": 4}]},
            format="json",
        )
        assert [b["label"] for b in response.json()["properties"]["bedrooms"]] == ["A"]
        assert response.json()["properties"]["capacity"]["persons"] == 5  # 20 / 3.5

    def test_a_provider_changing_figures_of_a_verified_location_needs_verification_again(
        self, provider_a, agency_a, westland_admin
    ):
        location = register(agency_a)
        westland_admin.post(f"{URL}{location.pk}/status/", {"status": "verified"}, format="json")
        response = provider_a.patch(f"{URL}{location.pk}/", {"showers": 2}, format="json")
        assert response.json()["properties"]["status"] == "registered"
        assert "to be verified again" in response.json()["properties"]["status_reason"]

    def test_moving_the_point_derives_the_areas_again(self, provider_a, agency_a):
        location = register(agency_a)
        response = provider_a.patch(
            f"{URL}{location.pk}/",
            {"point": {"type": "Point", "coordinates": [6.05, 51.455]}},
            format="json",
        )
        assert response.json()["properties"]["areas"]["municipality"]["code"] == "GM1507"

    def test_a_duplicate_address_by_patch_is_a_409_and_changes_nothing(self, provider_a, agency_a):
        register(agency_a)
        other = register(agency_a, house_number=14)
        response = provider_a.patch(f"{URL}{other.pk}/", {"house_number": 12}, format="json")
        assert response.status_code == 409
        other.refresh_from_db()
        assert other.house_number == 14


class TestStatus:
    def test_staff_verify_suspend_and_close(self, westland_admin, agency_a):
        location = register(agency_a)
        url = f"{URL}{location.pk}/status/"
        assert westland_admin.post(url, {"status": "verified"}, format="json").status_code == 200
        response = westland_admin.post(url, {"status": "suspended"}, format="json")
        assert problem(response, 400, "reason") == "Give the reason for this change."
        response = westland_admin.post(
            url, {"status": "suspended", "reason": "overbewoning"}, format="json"
        )
        assert response.json()["properties"]["status"] == "suspended"
        assert (
            westland_admin.post(
                url, {"status": "closed", "reason": "gesloten"}, format="json"
            ).status_code
            == 200
        )

        response = westland_admin.post(url, {"status": "verified"}, format="json")
        assert "possible: -" in problem(response, 409)
        assert response.json()["possible_statuses"] == []

    def test_illegal_transition_names_the_possible_ones(self, westland_admin, agency_a):
        location = register(agency_a)
        location.status = LocationStatus.VERIFIED
        location.save()
        response = westland_admin.post(
            f"{URL}{location.pk}/status/", {"status": "registered"}, format="json"
        )
        assert problem(response, 409).endswith("possible: closed, suspended.")

    def test_providers_may_only_close(self, provider_a, agency_a):
        location = register(agency_a)
        url = f"{URL}{location.pk}/status/"
        assert provider_a.post(url, {"status": "verified"}, format="json").status_code == 409
        assert (
            provider_a.post(
                url, {"status": "closed", "reason": "verkocht"}, format="json"
            ).status_code
            == 200
        )
        assert (
            provider_a.patch(f"{URL}{location.pk}/", {"toilets": 3}, format="json").status_code
            == 409
        )

    def test_inspectors_read_but_do_not_change(self, westland_inspector, agency_a):
        location = register(agency_a)
        assert westland_inspector.get(f"{URL}{location.pk}/").status_code == 200
        response = westland_inspector.post(
            f"{URL}{location.pk}/status/", {"status": "verified"}, format="json"
        )
        assert problem(response, 403)
        assert (
            westland_inspector.patch(
                f"{URL}{location.pk}/", {"toilets": 9}, format="json"
            ).status_code
            == 403
        )


def test_staff_reads_of_a_location_are_logged_and_provider_reads_are_not(
    provider_a, westland_inspector, agency_a
):
    location = register(agency_a)
    provider_a.get(f"{URL}{location.pk}/")
    assert not AuditEvent.objects.filter(action="view").exists()
    westland_inspector.get(f"{URL}{location.pk}/")
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.target_id, event.municipality_code) == (
        westland_inspector.user,
        str(location.pk),
        "GM1783",
    )


def test_changes_are_logged_with_what_changed(provider_a, agency_a):
    location = register(agency_a)
    provider_a.patch(
        f"{URL}{location.pk}/", {"toilets": 3, "usable_floor_area_m2": "90"}, format="json"
    )
    event = AuditEvent.objects.get(action="update", target_id=str(location.pk))
    assert event.changes["toilets"] == [2, 3]
    assert event.changes == {"usable_floor_area_m2": ["100.00", "90.00"], "toilets": [2, 3]}
    assert event.actor == provider_a.user
