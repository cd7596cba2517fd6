"""Registry fixtures: organisations with their members, and locations registered through the service."""

import copy
from decimal import Decimal

import pytest

from backend.accounts.models import RoleAssignment
from backend.accounts.roles import Role
from inspections.models import Organisation, OrganisationMembership, OrganisationStatus
from inspections.services.housing import register_location

from ..factories import UserFactory

NAALDWIJK = {"type": "Point", "coordinates": [4.205, 51.995]}
HORST = {"type": "Point", "coordinates": [6.05, 51.455]}

LOCATION = {
    "street": "Havenstraat",
    "house_number": 12,
    "house_letter": "",
    "house_number_addition": "",
    "postcode": "2671AB",
    "place": "Naaldwijk",
    "point": NAALDWIJK,
    "kind": "shared_house",
    "usable_floor_area_m2": "100.00",
    "toilets": 2,
    "showers": 1,
    "kitchens": 1,
    "bedrooms": [
        {"label": "K1", "floor_area_m2": "12.00", "beds": 2},
        {"label": "K2", "floor_area_m2": "10.00", "beds": 2},
        {"label": "K3", "floor_area_m2": "7.00", "beds": 2},
    ],
}


def location_payload(**changes) -> dict:
    payload = copy.deepcopy(LOCATION)
    payload.update(changes)
    return payload


def make_organisation(kvk: str, *, status=OrganisationStatus.VERIFIED, code="GM1783", **fields):
    return Organisation.objects.create(
        kvk_number=kvk,
        name=fields.pop("name", f"Organisatie {kvk}"),
        is_employer=True,
        street="Kade",
        house_number=1,
        postcode="2671AA",
        place="Naaldwijk",
        status=status,
        municipality_code=code,
        **fields,
    )


def make_member(organisation: Organisation):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, role=Role.EMPLOYER)
    OrganisationMembership.objects.create(user=user, organisation=organisation)
    return user


def register(provider: Organisation, user=None, **changes):
    """Register a location through the service, as the API would (geometry already parsed)."""
    from django.contrib.gis.geos import Point

    data = location_payload(**changes)
    coordinates = data["point"]["coordinates"]
    data["point"] = Point(*coordinates, srid=4326)
    data["usable_floor_area_m2"] = Decimal(str(data["usable_floor_area_m2"]))
    data["bedrooms"] = [
        {**room, "floor_area_m2": Decimal(str(room["floor_area_m2"]))} for room in data["bedrooms"]
    ]
    return register_location(actor=user, provider=provider, data=data)


@pytest.fixture
def agency_a(demo_region):
    return make_organisation("10000001", name="Agency A")


@pytest.fixture
def agency_b(demo_region):
    return make_organisation("10000002", name="Agency B")


@pytest.fixture
def provider_a(agency_a, client_for):
    return client_for(make_member(agency_a))


@pytest.fixture
def provider_b(agency_b, client_for):
    return client_for(make_member(agency_b))


@pytest.fixture
def westland_admin(make_user, client_for):
    return client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))


@pytest.fixture
def westland_inspector(make_user, client_for):
    return client_for(make_user(Role.INSPECTOR, ["GM1783"]))
