"""Capacity and overcrowding of hand-computed locations, and which norm applies where."""

from decimal import Decimal

import pytest

from inspections.models import HousingLocation, NormProfile, NormProfileAssignment
from inspections.services.norms import (
    BedroomFigures,
    LocationFigures,
    Overcrowding,
    assign_norm_profile,
    capacity_of,
    profile_for,
    remove_norm_assignment,
)

from .conftest import register

pytestmark = pytest.mark.django_db

# 100 m², bedrooms of 12, 10 and 7 m² with 2 beds each, 2 toilets, 1 shower.
FIGURES = LocationFigures(
    usable_floor_area_m2=Decimal("100.00"),
    bedrooms=[
        BedroomFigures("K1", Decimal("12.00"), 2),
        BedroomFigures("K2", Decimal("10.00"), 2),
        BedroomFigures("K3", Decimal("7.00"), 2),
    ],
    toilets=2,
    showers=1,
)


def profile(code: str) -> NormProfile:
    return NormProfile.objects.get(code=code)


def terms(capacity) -> dict:
    return {t.limit: (t.persons, t.explanation) for t in capacity.terms}


def test_snf_residence_is_bound_by_the_bedrooms():
    capacity = capacity_of(FIGURES, profile("snf-residence"))

    assert capacity.persons == 7
    assert capacity.binding == ["bedrooms"]
    assert terms(capacity) == {
        "floor_area": (8, "100 m² usable floor area ÷ 12 m² per person = 8 (rounded down)"),
        "bedrooms": (
            7,
            "K1: 12 m² ÷ 3.5 m² = 3 → 3; K2: 10 m² ÷ 3.5 m² = 2 → 2; K3: 7 m² ÷ 3.5 m² = 2 → 2; total 7",
        ),
        "toilets": (16, "2 × 8 persons per toilet = 16"),
        "showers": (8, "1 × 8 persons per shower = 8"),
    }


def test_snf_2025_allows_one_person_per_bedroom():
    capacity = capacity_of(FIGURES, profile("snf-2025-new-build"))
    assert capacity.persons == 3
    assert capacity.binding == ["bedrooms"]
    assert terms(capacity)["floor_area"][0] == 6  # 100 / 15 = 6.67
    assert terms(capacity)["bedrooms"][1].startswith(
        "K1: 12 m² ÷ 3.5 m² = 3, at most 1 per bedroom → 1"
    )


def test_akf_2026_ties_floor_area_and_bedrooms():
    capacity = capacity_of(FIGURES, profile("akf-2026"))
    assert capacity.persons == 6
    assert capacity.binding == ["floor_area", "bedrooms"]


def test_the_old_national_rule_only_counts_floor_area():
    capacity = capacity_of(FIGURES, profile("national-2012"))
    assert capacity.persons == 8
    assert [t.limit for t in capacity.terms] == ["floor_area"]


def test_no_toilet_means_nobody_may_live_there():
    figures = LocationFigures(FIGURES.usable_floor_area_m2, FIGURES.bedrooms, toilets=0, showers=1)
    capacity = capacity_of(figures, profile("snf-short-stay"))
    assert capacity.persons == 0
    assert capacity.binding == ["toilets"]


def test_overcrowding_ratio_and_excess():
    assert Overcrowding("declared", 10, 7).ratio == Decimal("1.429")
    assert Overcrowding("declared", 10, 7).excess == 3
    assert Overcrowding("declared", 10, 7).overcrowded
    assert Overcrowding("registered", 12, 8).ratio == Decimal("1.500")
    assert not Overcrowding("observed", 7, 7).overcrowded
    assert Overcrowding("observed", 7, 7).excess == 0
    assert Overcrowding("observed", 2, 0).ratio is None
    assert Overcrowding("observed", 2, 0).overcrowded


def test_the_most_specific_assignment_applies(demo_region):
    assert profile_for(municipality_code="GM1783", kind="shared_house").code == "snf-residence"
    assert profile_for(municipality_code="GM1783", kind="ordinary_dwelling").code == "national-2012"
    NormProfileAssignment.objects.create(
        municipality_code="GM1783", location_kind="", profile=profile("akf-2026")
    )
    assert profile_for(municipality_code="GM1783", kind="ordinary_dwelling").code == "akf-2026"
    assert profile_for(municipality_code="GM1783", kind="shared_house").code == "akf-2026"
    NormProfileAssignment.objects.create(
        municipality_code="GM1783", location_kind="shared_house", profile=profile("snf-short-stay")
    )
    assert profile_for(municipality_code="GM1783", kind="shared_house").code == "snf-short-stay"
    assert profile_for(municipality_code="GM1507", kind="shared_house").code == "snf-residence"


def test_a_municipal_norm_recomputes_its_locations(agency_a):
    location = register(agency_a)
    assert (location.norm_profile.code, location.capacity) == ("snf-residence", 7)

    _assignment, changed = assign_norm_profile(
        actor=None,
        municipality_code="GM1783",
        location_kind="shared_house",
        profile=profile("snf-2025-new-build"),
    )

    location.refresh_from_db()
    assert changed == 1
    assert (location.norm_profile.code, location.capacity) == ("snf-2025-new-build", 3)

    remove_norm_assignment(
        actor=None, assignment=NormProfileAssignment.objects.get(municipality_code="GM1783")
    )
    location.refresh_from_db()
    assert (location.norm_profile.code, location.capacity) == ("snf-residence", 7)


def test_stored_capacity_equals_the_formula(agency_a):
    location = register(agency_a)
    stored = HousingLocation.objects.get(pk=location.pk).capacity
    assert stored == capacity_of(FIGURES, profile("snf-residence")).persons
