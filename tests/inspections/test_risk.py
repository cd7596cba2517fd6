"""Risk scores: exact and explained, reproducible, weighted per municipality, scoped, efficient,
and never computed from a protected attribute."""

import dataclasses
import uuid
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.accounts.roles import Role
from backend.audit.models import AuditEvent
from fixtures.risk_weights import LOCATION_WEIGHTS, ORGANISATION_WEIGHTS
from inspections.models import (
    Credential,
    Finding,
    HousingLocation,
    Inspection,
    OccupancyDeclaration,
    OccupancyObservation,
    Organisation,
    RegisteredOccupancy,
    RegisteredOccupancyImport,
    RiskWeight,
    Violation,
)
from inspections.selectors.risk import (
    location_risk_scores,
    location_risks,
    organisation_risks,
    weights_for,
)
from inspections.services.risk import (
    LOCATION_FACTORS,
    ORGANISATION_FACTORS,
    LocationRiskInputs,
    OrganisationRiskInputs,
    score_location,
    score_organisation,
)

from .conftest import HORST, make_organisation, register
from .fieldwork import submission, template, visit

TODAY = timezone.localdate()
NATIONAL = {k: Decimal(v) for k, v in {**LOCATION_WEIGHTS, **ORGANISATION_WEIGHTS}.items()}


def points(risk) -> dict[str, Decimal]:
    return {f.factor: f.points for f in risk.factors}


# ---------------------------------------------------------------------------------------------
# The pure core


def inputs(**changes) -> LocationRiskInputs:
    facts = {
        "capacity": 7,
        "declared_persons": None,
        "registered_persons": None,
        "observed_persons": None,
        "open_violations_by_severity": {},
        "oldest_open_violation_days": None,
        "overdue_violations": 0,
        "has_valid_certificate": True,
        "had_certificate": False,
        "landlord_permit_valid": None,
        "operator_not_admitted": False,
        "refused_access_count": 0,
        "days_since_last_inspection": 0,
        "found_unregistered": False,
        "landlord_score": None,
        "operator_score": None,
    }
    facts.update(changes)
    return LocationRiskInputs(**facts)


class TestScoreLocation:
    def test_a_crowded_location_with_an_overdue_critical_violation_never_inspected(self):
        risk = score_location(
            inputs(
                registered_persons=12,
                open_violations_by_severity={"critical": 1},
                oldest_open_violation_days=30,
                overdue_violations=1,
                has_valid_certificate=False,
                days_since_last_inspection=None,
            ),
            NATIONAL,
            as_of=TODAY,
        )

        assert risk.score == Decimal("34.0")
        assert risk.max_score == 100
        assert [(f.factor, f.weight, f.value, f.points) for f in risk.factors[:5]] == [
            ("overcrowding_registered", 12, Decimal("1.000"), Decimal("12.00")),
            ("time_since_inspection", 8, Decimal(1), Decimal("8.00")),
            ("open_violations", 12, Decimal("0.500"), Decimal("6.00")),
            ("overdue_violations", 8, Decimal("0.500"), Decimal("4.00")),  # ties: factor order
            ("certificate_missing", 4, Decimal(1), Decimal("4.00")),
        ]
        assert all(f.points == 0 for f in risk.factors[5:])
        explained = {f.factor: f.explanation for f in risk.factors}
        assert explained["overcrowding_registered"] == (
            "12 registered ÷ capacity 7 = 1.714; (ratio − 1) ÷ 0.5 = 1 (full at 50% over capacity)."
        )
        assert explained["open_violations"] == (
            "1 critical, 0 major, 0 minor open (oldest 30 days): (1×1 + 0×0.5 + 0×0.2) ÷ 2 = 0.5."
        )
        assert explained["overdue_violations"] == (
            "1 open violation(s) past the deadline: 1 ÷ 2 = 0.5."
        )
        assert explained["certificate_missing"] == "Never had a valid SNF or AKF certificate."
        assert explained["time_since_inspection"] == "Never inspected."
        assert explained["landlord_permit"] == "No landlord permit number: no permit duty assumed."

    def test_a_calm_location(self):
        risk = score_location(
            inputs(declared_persons=5, registered_persons=4, days_since_last_inspection=100),
            NATIONAL,
            as_of=TODAY,
        )
        assert risk.score == Decimal("1.1")
        assert points(risk)["time_since_inspection"] == Decimal("1.10")  # 8 * 0.137
        assert [f.factor for f in risk.top_factors()] == ["time_since_inspection"]

    @pytest.mark.parametrize(
        ("persons", "capacity", "value"),
        [
            (7, 7, "0"),
            (8, 7, "0.286"),  # (8/7 - 1) ÷ 0.5
            (9, 6, "1"),  # exactly 50% over
            (30, 7, "1"),
            (0, 0, "0"),
            (1, 0, "1"),  # the norm allows nobody
            (None, 7, "0"),
        ],
    )
    def test_overcrowding_values(self, persons, capacity, value):
        risk = score_location(
            inputs(observed_persons=persons, capacity=capacity), NATIONAL, as_of=TODAY
        )
        factor = next(f for f in risk.factors if f.factor == "overcrowding_observed")
        assert factor.value == Decimal(value)

    def test_certificates_permits_and_agencies(self):
        expired = score_location(
            inputs(has_valid_certificate=False, had_certificate=True), NATIONAL, as_of=TODAY
        )
        assert (points(expired)["certificate_expired"], points(expired)["certificate_missing"]) == (
            4,
            0,
        )
        permit = score_location(inputs(landlord_permit_valid=False), NATIONAL, as_of=TODAY)
        assert points(permit)["landlord_permit"] == 3
        valid = score_location(inputs(landlord_permit_valid=True), NATIONAL, as_of=TODAY)
        assert points(valid)["landlord_permit"] == 0
        agency = score_location(
            inputs(operator_not_admitted=True, refused_access_count=1, found_unregistered=True),
            NATIONAL,
            as_of=TODAY,
        )
        assert (
            points(agency)["operator_not_admitted"],
            points(agency)["refused_access"],
            points(agency)["found_unregistered"],
        ) == (6, 4, 6)
        portfolio = score_location(
            inputs(landlord_score=Decimal("47.5"), operator_score=Decimal(100)),
            NATIONAL,
            as_of=TODAY,
        )
        assert points(portfolio)["landlord_portfolio"] == Decimal("1.43")  # 3 * 0.475, half up
        assert points(portfolio)["operator_portfolio"] == 3

    def test_an_unknown_severity_is_refused(self):
        with pytest.raises(ValueError, match="Unknown severities"):
            inputs(open_violations_by_severity={"fatal": 1})


class TestScoreOrganisation:
    def test_exact(self):
        risk = score_organisation(
            OrganisationRiskInputs(
                violations_by_severity={"critical": 1},
                locations=3,
                overcrowded_locations=1,
                refused_access_count=1,
                found_unregistered_locations=1,
            ),
            NATIONAL,
            as_of=TODAY,
        )
        assert points(risk) == {
            "org_repeat_violations": Decimal("5.85"),  # 35 * 1 ÷ (2 * 3) = 35 * 0.167
            "org_overcrowded_share": Decimal("9.99"),  # 30 * 0.333
            "org_refused_access": Decimal("6.66"),  # 20 * 0.333
            "org_found_unregistered": Decimal("7.50"),  # 15 * 0.5
        }
        assert risk.score == Decimal("30.0")
        assert risk.max_score == 100

    def test_no_locations(self):
        risk = score_organisation(OrganisationRiskInputs({}, 0, 0, 0, 0), NATIONAL, as_of=TODAY)
        assert risk.score == 0


# ---------------------------------------------------------------------------------------------
# Properties (hypothesis)

counts = st.integers(min_value=0, max_value=50)
maybe_persons = st.none() | st.integers(min_value=0, max_value=200)
org_scores = st.none() | st.decimals(min_value=0, max_value=100, places=1)
weight_values = st.decimals(min_value=0, max_value=100, places=2)
location_weights = st.fixed_dictionaries(dict.fromkeys(LOCATION_FACTORS, weight_values))
organisation_weights = st.fixed_dictionaries(dict.fromkeys(ORGANISATION_FACTORS, weight_values))
location_inputs = st.builds(
    LocationRiskInputs,
    capacity=st.integers(min_value=0, max_value=100),
    declared_persons=maybe_persons,
    registered_persons=maybe_persons,
    observed_persons=maybe_persons,
    open_violations_by_severity=st.fixed_dictionaries(
        {"critical": counts, "major": counts, "minor": counts}
    ),
    oldest_open_violation_days=st.none() | st.integers(min_value=0, max_value=3000),
    overdue_violations=counts,
    has_valid_certificate=st.booleans(),
    had_certificate=st.booleans(),
    landlord_permit_valid=st.none() | st.booleans(),
    operator_not_admitted=st.booleans(),
    refused_access_count=counts,
    days_since_last_inspection=st.none() | st.integers(min_value=0, max_value=5000),
    found_unregistered=st.booleans(),
    landlord_score=org_scores,
    operator_score=org_scores,
)
organisation_inputs = st.builds(
    OrganisationRiskInputs,
    violations_by_severity=st.fixed_dictionaries(
        {"critical": counts, "major": counts, "minor": counts}
    ),
    locations=counts,
    overcrowded_locations=counts,
    refused_access_count=counts,
    found_unregistered_locations=counts,
)


def _consistent(risk, weights) -> None:
    total = sum(weights.values(), Decimal(0))
    assert Decimal(0) <= risk.score <= total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert sum(f.points for f in risk.factors) <= total == risk.max_score
    for factor in risk.factors:
        assert Decimal(0) <= factor.value <= 1
        expected = (factor.weight * factor.value).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert factor.points == expected
        assert factor.explanation
    assert risk.score == sum(f.points for f in risk.factors).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert [f.points for f in risk.factors] == sorted(
        (f.points for f in risk.factors), reverse=True
    )


@settings(max_examples=200, deadline=None)
@given(location_inputs, location_weights)
def test_location_scores_stay_within_the_weights_and_add_up(facts, weights):
    risk = score_location(facts, weights, as_of=date(2026, 6, 1))
    _consistent(risk, weights)
    assert {f.factor for f in risk.factors} == set(LOCATION_FACTORS)


@settings(max_examples=200, deadline=None)
@given(
    location_inputs,
    location_weights,
    st.sampled_from(["declared_persons", "registered_persons", "observed_persons"]),
    st.integers(min_value=1, max_value=50),
)
def test_location_scores_grow_with_each_overcrowding_ratio(facts, weights, source, more):
    before = score_location(facts, weights, as_of=date(2026, 6, 1))
    crowded = dataclasses.replace(facts, **{source: (getattr(facts, source) or 0) + more})
    after = score_location(crowded, weights, as_of=date(2026, 6, 1))
    assert after.score >= before.score
    factor = source.replace("_persons", "")
    assert points(after)[f"overcrowding_{factor}"] >= points(before)[f"overcrowding_{factor}"]


@settings(max_examples=100, deadline=None)
@given(location_inputs, location_weights)
def test_location_scores_are_reproducible(facts, weights):
    first = score_location(facts, weights, as_of=date(2026, 6, 1))
    again = score_location(dataclasses.replace(facts), dict(weights), as_of=date(2026, 6, 1))
    assert first == again


@settings(max_examples=200, deadline=None)
@given(organisation_inputs, organisation_weights, st.integers(min_value=1, max_value=20))
def test_organisation_scores_stay_within_the_weights_and_grow_with_findings(facts, weights, more):
    risk = score_organisation(facts, weights, as_of=date(2026, 6, 1))
    _consistent(risk, weights)
    assert risk == score_organisation(dataclasses.replace(facts), weights, as_of=date(2026, 6, 1))
    worse = dataclasses.replace(
        facts,
        refused_access_count=facts.refused_access_count + more,
        found_unregistered_locations=facts.found_unregistered_locations + more,
    )
    assert score_organisation(worse, weights, as_of=date(2026, 6, 1)).score >= risk.score


# ---------------------------------------------------------------------------------------------
# No protected attribute

LOCATION_INPUTS = {
    "capacity",
    "declared_persons",
    "registered_persons",
    "observed_persons",
    "open_violations_by_severity",
    "oldest_open_violation_days",
    "overdue_violations",
    "has_valid_certificate",
    "had_certificate",
    "landlord_permit_valid",
    "operator_not_admitted",
    "refused_access_count",
    "days_since_last_inspection",
    "found_unregistered",
    "landlord_score",
    "operator_score",
}
ORGANISATION_INPUTS = {
    "violations_by_severity",
    "locations",
    "overcrowded_locations",
    "refused_access_count",
    "found_unregistered_locations",
}
PROTECTED = (
    "nationality",
    "nationaliteit",
    "origin",
    "herkomst",
    "ethnic",
    "religion",
    "country_of_birth",
    "geboorteland",
    "bsn",
    "race",
)
# Names that contain a protected word by accident, with what they really are.
INNOCENT = {("inspections.photo", "original"): "the photo file as taken, kept as evidence"}


def test_no_protected_attribute_enters_a_score_or_exists_in_the_model():
    assert {f.name for f in dataclasses.fields(LocationRiskInputs)} == LOCATION_INPUTS
    assert {f.name for f in dataclasses.fields(OrganisationRiskInputs)} == ORGANISATION_INPUTS
    for name in LOCATION_INPUTS | ORGANISATION_INPUTS:
        assert not [word for word in PROTECTED if word in name.lower()], name

    offending = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields(include_hidden=True):
            names = {field.name, getattr(field, "attname", None) or field.name}
            if getattr(field, "column", None):
                names.add(field.column)
            for name in names:
                if (model._meta.label_lower, name) in INNOCENT:
                    continue
                if any(word in name.lower() for word in PROTECTED):
                    offending.append(f"{model._meta.label}.{name}")
    assert offending == []


# ---------------------------------------------------------------------------------------------
# From the database


def registered(location, persons, day=TODAY):
    source = RegisteredOccupancyImport.objects.create(
        municipality_code=location.municipality.code,
        reference_date=day,
        file_name="brp.csv",
        file_sha256=f"{location.pk}-{day}",
        rows=1,
        matched=1,
    )
    RegisteredOccupancy.objects.create(
        location=location, reference_date=day, persons=persons, source=source
    )


def noon(days_ago: int) -> datetime:
    return timezone.make_aware(datetime.combine(TODAY - timedelta(days=days_ago), time(12)))


def inspect(location, inspector, planner, *, days_ago, persons=6, failing=()):
    """A visit carried out `days_ago` days ago, submitted through the API as the app would."""
    inspection = visit(location, inspector.user, planner)
    ended = noon(days_ago)
    body = submission(
        failing=failing,
        photos=[{"id": str(uuid.uuid4()), "sha256": "a" * 64, "item": code} for code in failing],
        persons=persons,
        started_at=(ended - timedelta(hours=1)).isoformat(),
        ended_at=ended.isoformat(),
    )
    response = inspector.post(
        f"/api/v1/inspections/{inspection.pk}/submission/", body, format="json"
    )
    assert response.status_code == 201, response.content
    return inspection


def refused(location, inspector_user, *, days_ago=10):
    return Inspection.objects.create(
        location=location,
        kind="periodic",
        status="no_access",
        template=template(),
        planned_date=TODAY - timedelta(days=days_ago),
        assigned_to=inspector_user,
        status_reason="niemand thuis",
    )


@pytest.fixture
def planner(make_user):
    return make_user(Role.PLANNER, ["GM1783"])


@pytest.fixture
def horst_inspector(make_user, client_for):
    return client_for(make_user(Role.INSPECTOR, ["GM1507"]))


@pytest.fixture
def crowded(agency_a, westland_inspector, planner):
    """Capacity 7, 12 registered, one critical violation found 30 days ago (overdue), no
    certificate, inspected 30 days ago (6 counted)."""
    location = register(agency_a)
    registered(location, 12)
    inspect(location, westland_inspector, planner, days_ago=30, failing=["FIRE-02"])
    return location


@pytest.fixture
def calm(agency_b, westland_inspector, planner):
    location = register(agency_b, house_number=14)
    OccupancyDeclaration.objects.create(location=location, persons=5, valid_from=TODAY)
    registered(location, 4)
    Credential.objects.create(
        kind="snf",
        location=location,
        number="SNF-1",
        issuer="SNF",
        valid_from=TODAY - timedelta(days=200),
        valid_until=TODAY + timedelta(days=200),
    )
    inspect(location, westland_inspector, planner, days_ago=100, persons=5)
    return location


CROWDED_POINTS = {
    "overcrowding_registered": Decimal("12.00"),
    "open_violations": Decimal("6.00"),  # 12 * (1 critical ÷ 2)
    "overdue_violations": Decimal("4.00"),  # 8 * (1 ÷ 2)
    "certificate_missing": Decimal("4.00"),
    "operator_portfolio": Decimal("1.43"),  # 3 * the provider's 47.5 ÷ 100
    "time_since_inspection": Decimal("0.33"),  # 8 * 30 ÷ 730 = 8 * 0.041
}


class TestFromTheDatabase:
    def test_a_crowded_location_scores_exactly(self, crowded, westland_inspector):
        response = westland_inspector.get(f"/api/v1/locations/{crowded.pk}/risk/")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["score"] == 27.8
        scored = {f["factor"]: Decimal(str(f["points"])) for f in body["factors"] if f["points"]}
        assert scored == CROWDED_POINTS
        assert [f["factor"] for f in body["factors"][:6]] == list(CROWDED_POINTS)
        assert body["inputs"] == {
            "capacity": 7,
            "declared_persons": None,
            "registered_persons": 12,
            "observed_persons": 6,
            "open_violations_by_severity": {"critical": 1, "major": 0, "minor": 0},
            "oldest_open_violation_days": 30,
            "overdue_violations": 1,
            "has_valid_certificate": False,
            "had_certificate": False,
            "landlord_permit_valid": None,
            "operator_not_admitted": False,
            "refused_access_count": 0,
            "days_since_last_inspection": 30,
            "found_unregistered": False,
            "landlord_score": None,
            "operator_score": 47.5,  # the provider: 17.5 (1 critical at 1 location) + 30
        }
        assert body["as_of"] == TODAY.isoformat()
        assert body["weights"]["overcrowding_registered"] == 12
        assert body["location"]["provider"]["kvk_number"] == "10000001"
        assert AuditEvent.objects.filter(
            action="view", target_id=str(crowded.pk), municipality_code="GM1783"
        ).exists()

        # Anyone can recompute it: the inputs and weights of the response give the same score.
        again = score_location(
            LocationRiskInputs(
                **{
                    **body["inputs"],
                    "operator_score": Decimal(str(body["inputs"]["operator_score"])),
                }
            ),
            {k: Decimal(str(v)) for k, v in body["weights"].items()},
            as_of=TODAY,
        )
        assert again.score == Decimal("27.8")

    def test_a_calm_location_scores_low(self, calm, westland_inspector):
        body = westland_inspector.get(f"/api/v1/locations/{calm.pk}/risk/").json()
        assert body["score"] == 1.1
        assert [(f["factor"], f["points"]) for f in body["factors"] if f["points"]] == [
            ("time_since_inspection", 1.1)  # 8 * 100 ÷ 730 = 8 * 0.137
        ]
        assert body["inputs"]["has_valid_certificate"] is True
        assert body["inputs"]["days_since_last_inspection"] == 100

    def test_the_same_data_and_day_give_the_same_score(self, crowded, westland_inspector):
        url = f"/api/v1/locations/{crowded.pk}/risk/?as_of={TODAY.isoformat()}"
        first, second = westland_inspector.get(url).json(), westland_inspector.get(url).json()
        assert first == second

    def test_as_of_reads_the_facts_as_they_stood(self, crowded, westland_inspector):
        before = (TODAY - timedelta(days=40)).isoformat()
        body = westland_inspector.get(f"/api/v1/locations/{crowded.pk}/risk/?as_of={before}").json()
        inputs = body["inputs"]
        assert (inputs["registered_persons"], inputs["observed_persons"]) == (None, None)
        assert inputs["open_violations_by_severity"] == {"critical": 0, "major": 0, "minor": 0}
        assert inputs["days_since_last_inspection"] is None
        assert body["as_of"] == before
        assert body["score"] == 12.0  # never inspected (8) and no certificate (4)

        future = (TODAY + timedelta(days=1)).isoformat()
        response = westland_inspector.get(f"/api/v1/locations/{crowded.pk}/risk/?as_of={future}")
        assert response.status_code == 400
        assert "as_of" in response.json()["errors"]

    def test_a_resolved_violation_no_longer_counts(self, crowded):
        Violation.objects.update(status="resolved", resolved_at=timezone.now())
        risk = location_risks(HousingLocation.objects.filter(pk=crowded.pk), as_of=TODAY)[
            crowded.pk
        ]
        assert risk.inputs.open_violations_by_severity["critical"] == 0
        yesterday = TODAY - timedelta(days=1)
        risk = location_risks(HousingLocation.objects.filter(pk=crowded.pk), as_of=yesterday)[
            crowded.pk
        ]
        assert risk.inputs.open_violations_by_severity["critical"] == 1

    def test_refused_access_agencies_permits_and_found_unregistered(
        self, agency_a, westland_inspector
    ):
        agency = make_organisation("10000009", name="Snel Uitzend", is_temp_agency=True)
        location = register(
            agency_a,
            operator={"kvk_number": "10000009", "name": "Snel Uitzend"},
            landlord_permit_number="VV-1",
        )
        HousingLocation.objects.filter(pk=location.pk).update(
            found_unregistered=True, landlord_permit_valid_until=TODAY - timedelta(days=1)
        )
        refused(location, westland_inspector.user, days_ago=10)
        refused(location, westland_inspector.user, days_ago=400)  # too long ago
        # No access, then closed by staff: still a refusal.
        closed = refused(location, westland_inspector.user, days_ago=20)
        Inspection.objects.filter(pk=closed.pk).update(status="closed")

        risk = location_risks(HousingLocation.objects.filter(pk=location.pk), as_of=TODAY)[
            location.pk
        ]
        facts = risk.inputs
        assert facts.refused_access_count == 2
        assert facts.operator_not_admitted is True
        assert facts.landlord_permit_valid is False
        assert facts.found_unregistered is True
        assert points(risk)["refused_access"] == 8  # min(1, 2 ÷ 2)
        assert points(risk)["operator_not_admitted"] == 6

        Credential.objects.create(
            kind="sna_nen4400",
            organisation=agency,
            number="SNA-1",
            issuer="SNA",
            valid_from=TODAY - timedelta(days=10),
        )
        risk = location_risks(HousingLocation.objects.filter(pk=location.pk), as_of=TODAY)[
            location.pk
        ]
        assert risk.inputs.operator_not_admitted is False

    def test_the_planner_gets_the_same_scores(self, crowded, calm):
        scores = location_risk_scores([crowded.pk, calm.pk, 999999], as_of=TODAY)
        assert scores == {crowded.pk: Decimal("27.8"), calm.pk: Decimal("1.1")}


class TestWeights:
    def test_a_municipality_weight_changes_its_scores_exactly(
        self, crowded, westland_admin, westland_inspector, agency_b
    ):
        horst = register(agency_b, house_number=50, postcode="5961AA", place="Horst", point=HORST)
        registered(horst, 12)
        before = location_risk_scores([crowded.pk, horst.pk], as_of=TODAY)

        response = westland_admin.put(
            "/api/v1/risk-weights/?municipality=GM1783",
            {"overcrowding_registered": 24},
            format="json",
        )

        assert response.status_code == 200, response.content
        rows = {row["factor"]: row for row in response.json()["weights"]}
        assert rows["overcrowding_registered"]["weight"] == 24
        assert rows["overcrowding_registered"]["national_weight"] == 12
        assert rows["overcrowding_registered"]["set_by_municipality"] is True
        assert rows["open_violations"]["set_by_municipality"] is False
        assert response.json()["location_max_score"] == 112
        body = westland_inspector.get(f"/api/v1/locations/{crowded.pk}/risk/").json()
        factor = next(f for f in body["factors"] if f["factor"] == "overcrowding_registered")
        assert (factor["weight"], factor["points"]) == (24, 24)  # doubled
        assert Decimal(str(body["score"])) == before[crowded.pk] + 12
        after = location_risk_scores([crowded.pk, horst.pk], as_of=TODAY)
        assert after[horst.pk] == before[horst.pk]  # Horst keeps the national weight
        assert weights_for("GM1507")["overcrowding_registered"] == 12
        event = AuditEvent.objects.get(target_type="inspections.riskweight")
        assert (event.action, event.municipality_code) == ("update", "GM1783")
        assert event.changes == {"overcrowding_registered": [None, "24.00"]}

        # null gives the national weight back
        westland_admin.put(
            "/api/v1/risk-weights/?municipality=GM1783",
            {"overcrowding_registered": None},
            format="json",
        )
        assert location_risk_scores([crowded.pk], as_of=TODAY) == {crowded.pk: before[crowded.pk]}

    def test_reading_and_validation(
        self, westland_admin, westland_inspector, make_user, client_for
    ):
        body = westland_inspector.get("/api/v1/risk-weights/").json()
        assert body["municipality_code"] is None
        assert {row["factor"]: row["weight"] for row in body["weights"]} == {
            k: int(v) for k, v in NATIONAL.items()
        }
        assert (body["location_max_score"], body["organisation_max_score"]) == (100, 100)

        url = "/api/v1/risk-weights/?municipality=GM1783"
        response = westland_admin.put(
            url, {"nationality": 5, "open_violations": 101}, format="json"
        )
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"open_violations"}  # fields are checked first
        response = westland_admin.put(url, {"nationality": 5}, format="json")
        assert response.status_code == 400
        assert "Unknown risk factor" in response.json()["errors"]["nationality"][0]
        assert westland_admin.put(url, {"refused_access": -1}, format="json").status_code == 400
        assert westland_admin.put(url, {}, format="json").status_code == 400
        assert westland_admin.put(url, [1], format="json").status_code == 400
        assert RiskWeight.objects.filter(municipality_code="GM1783").count() == 0

        assert westland_inspector.put(url, {"refused_access": 9}, format="json").status_code == 403
        other = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1507"]))
        assert other.put(url, {"refused_access": 9}, format="json").status_code == 403
        response = westland_admin.put("/api/v1/risk-weights/", {"refused_access": 9}, format="json")
        assert response.status_code == 400

        response = westland_admin.put(url, {"refused_access": "12.5"}, format="json")
        assert response.status_code == 200
        assert weights_for("GM1783")["refused_access"] == Decimal("12.5")
        assert weights_for("")["refused_access"] == 8


# ---------------------------------------------------------------------------------------------
# Organisations and their network


@pytest.fixture
def rogue(agency_a, agency_b, westland_inspector, planner):
    """A landlord behind two agencies: one crowded house of each in Westland, one found
    unregistered in Horst, where access was refused."""
    landlord = {"kvk_number": "66666666", "name": "Huisjesmelker BV"}
    first = register(agency_a, landlord=landlord)
    registered(first, 12)
    second = register(agency_b, house_number=14, landlord=landlord)
    inspect(second, westland_inspector, planner, days_ago=30, failing=["FIRE-02"])
    horst = register(
        agency_b, house_number=50, postcode="5961AA", place="Horst", point=HORST, landlord=landlord
    )
    HousingLocation.objects.filter(pk=horst.pk).update(found_unregistered=True)
    refused(horst, westland_inspector.user, days_ago=10)
    return {"landlord": first.landlord, "first": first, "second": second, "horst": horst}


class TestOrganisations:
    def test_the_score_and_the_locations_behind_it(self, rogue, westland_inspector):
        landlord = rogue["landlord"]
        response = westland_inspector.get(f"/api/v1/organisations/{landlord.pk}/risk/")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["score"] == 30.0  # 5.85 + 9.99 + 6.66 + 7.5, see TestScoreOrganisation
        assert body["inputs"] == {
            "violations_by_severity": {"critical": 1, "major": 0, "minor": 0},
            "locations": 3,
            "overcrowded_locations": 1,
            "refused_access_count": 1,
            "found_unregistered_locations": 1,
        }
        assert [row["id"] for row in body["locations"]] == [
            rogue["second"].pk,  # a critical violation
            rogue["first"].pk,  # overcrowded
        ]
        assert body["locations"][0]["roles"] == ["landlord"]
        assert body["locations"][1]["overcrowded"] is True
        assert [f["location"] for f in body["findings"]] == [rogue["second"].pk]
        assert body["findings"][0]["severity"] == "critical"
        assert (body["locations_total"], body["locations_elsewhere"]) == (3, 1)
        assert AuditEvent.objects.filter(
            action="view", target_id=str(landlord.pk), municipality_code="GM1783"
        ).exists()

    def test_staff_elsewhere_see_the_score_not_the_locations_here(self, rogue, horst_inspector):
        body = horst_inspector.get(f"/api/v1/organisations/{rogue['landlord'].pk}/risk/").json()
        assert body["score"] == 30.0
        assert [row["id"] for row in body["locations"]] == [rogue["horst"].pk]
        assert body["findings"] == []  # the violation is in Westland
        assert body["locations_elsewhere"] == 2
        assert horst_inspector.get(f"/api/v1/locations/{rogue['first'].pk}/risk/").status_code == (
            404
        )

    def test_a_landlord_behind_two_agencies_is_in_the_network_of_each(
        self, rogue, westland_inspector, agency_a, agency_b
    ):
        landlord = rogue["landlord"]
        for agency, other, shared in (
            (agency_a, agency_b, rogue["first"]),
            (agency_b, agency_a, rogue["second"]),
        ):
            near = westland_inspector.get(
                f"/api/v1/organisations/{agency.pk}/network/?depth=1"
            ).json()
            assert [n["id"] for n in near["nodes"]] == [agency.pk, landlord.pk]
            assert near["truncated"] is False
            node = near["nodes"][1]
            assert (node["kvk_number"], node["roles"], node["depth"]) == (
                "66666666",
                ["landlord"],
                1,
            )
            assert node["score"] == 30.0
            edge = next(
                e for e in near["edges"] if {e["source"], e["target"]} == {agency.pk, landlord.pk}
            )
            assert shared.pk in edge["location_ids"]

            far = westland_inspector.get(
                f"/api/v1/organisations/{agency.pk}/network/?depth=2"
            ).json()
            assert {n["id"]: n["depth"] for n in far["nodes"]} == {
                agency.pk: 0,
                landlord.pk: 1,
                other.pk: 2,
            }
        # agency B and the landlord share two locations, one in Horst: Westland sees one of them.
        edge = next(
            e for e in far["edges"] if {e["source"], e["target"]} == {agency_a.pk, landlord.pk}
        )
        assert (edge["location_ids"], edge["other_locations"]) == ([rogue["first"].pk], 0)
        edge = next(
            e for e in far["edges"] if {e["source"], e["target"]} == {agency_b.pk, landlord.pk}
        )
        assert (edge["location_ids"], edge["other_locations"]) == ([rogue["second"].pk], 1)

        assert (
            westland_inspector.get(
                f"/api/v1/organisations/{agency_a.pk}/network/?depth=4"
            ).status_code
            == 400
        )

    def test_the_network_stops_at_its_cap(self, agency_a, westland_inspector):
        from inspections.selectors.risk import organisation_network

        for number in range(5):
            register(
                agency_a,
                house_number=100 + number,
                employers=[{"kvk_number": f"2000000{number}", "name": f"Kweker {number}"}],
            )
        network = organisation_network(
            agency_a, user=westland_inspector.user, depth=2, as_of=TODAY, max_nodes=3
        )
        assert network.truncated is True
        assert len(network.nodes) == 3
        assert network.nodes[1]["roles"] == ["employer"]


class TestAccess:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/locations/{loc}/risk/",
            "/api/v1/risk/locations/",
            "/api/v1/organisations/{org}/risk/",
            "/api/v1/organisations/{org}/network/",
            "/api/v1/risk-weights/",
        ],
    )
    def test_municipal_staff_only(
        self, path, agency_a, provider_a, make_user, client_for, api_client, westland_inspector
    ):  # employers (provider_a), national users and anonymous callers
        location = register(agency_a)
        url = path.format(loc=location.pk, org=agency_a.pk)
        national = client_for(make_user(Role.NATIONAL_READONLY))
        assert api_client.get(url).status_code == 401
        assert provider_a.get(url).status_code == 403
        assert national.get(url).status_code == 403
        assert provider_a.get(url).json()["type"] == "/problems/forbidden"
        response = westland_inspector.get(url)
        assert response.status_code == 200, response.content

    def test_other_municipalities_and_unknown_ids(self, crowded, agency_a, make_user, client_for):
        other = client_for(make_user(Role.PLANNER, ["GM0362"]))
        assert other.get(f"/api/v1/locations/{crowded.pk}/risk/").status_code == 404
        assert other.get(f"/api/v1/organisations/{agency_a.pk}/risk/").status_code == 404
        assert other.get(f"/api/v1/organisations/{agency_a.pk}/network/").status_code == 404
        assert other.get("/api/v1/risk/locations/?municipality=GM1783").status_code == 403
        assert other.get("/api/v1/risk/locations/").json()["results"] == []


# ---------------------------------------------------------------------------------------------
# The ranked list, and constant numbers of queries


def build_locations(template_location, count, inspector, *, start=1000):
    """`count` copies of a location, each with facts for every factor (bulk, a few queries)."""
    landlords = [make_organisation(f"3{start + i:07d}", name=f"Verhuurder {i}") for i in range(3)]
    clones = []
    for number in range(count):
        clone = HousingLocation.objects.get(pk=template_location.pk)
        clone.pk = None
        clone.house_number = start + number
        clone.landlord = landlords[number % 3]
        clone.operator = landlords[(number + 1) % 3] if number % 2 else None
        clone.landlord_permit_number = f"VV-{number}" if number % 4 == 0 else ""
        clones.append(clone)
    created = HousingLocation.objects.bulk_create(clones)
    source = RegisteredOccupancyImport.objects.create(
        municipality_code="GM1783",
        reference_date=TODAY,
        file_name="brp.csv",
        file_sha256=f"bulk-{start}",
        rows=count,
        matched=count,
    )
    RegisteredOccupancy.objects.bulk_create(
        RegisteredOccupancy(location=loc, reference_date=TODAY, persons=i % 15, source=source)
        for i, loc in enumerate(created)
    )
    OccupancyObservation.objects.bulk_create(
        OccupancyObservation(location=loc, observed_on=TODAY, persons=i % 11)
        for i, loc in enumerate(created)
    )
    Credential.objects.bulk_create(
        Credential(
            kind="snf",
            location=loc,
            number=f"SNF-{start}-{i}",
            issuer="SNF",
            valid_from=TODAY - timedelta(days=400),
            valid_until=TODAY + timedelta(days=(i % 3 - 1) * 100),
        )
        for i, loc in enumerate(created)
    )
    visits = Inspection.objects.bulk_create(
        Inspection(
            location=loc,
            kind="periodic",
            status="no_access",
            template=template(),
            planned_date=TODAY - timedelta(days=i % 30),
            assigned_to=inspector,
        )
        for i, loc in enumerate(created)
    )
    findings = Finding.objects.bulk_create(
        Finding(inspection=v, severity=["minor", "major", "critical"][i % 3])
        for i, v in enumerate(visits)
    )
    Violation.objects.bulk_create(
        Violation(
            finding=f,
            location_id=v.location_id,
            severity=f.severity,
            deadline=TODAY - timedelta(days=i % 5 - 2),
        )
        for i, (f, v) in enumerate(zip(findings, visits, strict=True))
    )
    return created


def queries_for(client, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def test_the_ranked_list_is_ordered_and_takes_a_constant_number_of_queries(
    crowded, calm, westland_inspector, django_assert_max_num_queries
):
    few, body = queries_for(westland_inspector, "/api/v1/risk/locations/")
    assert [row["location"]["id"] for row in body["results"]] == [crowded.pk, calm.pk]
    assert [row["score"] for row in body["results"]] == [27.8, 1.1]
    assert [f["factor"] for f in body["results"][0]["top_factors"]] == [
        "overcrowding_registered",
        "open_violations",
        "overdue_violations",
    ]

    build_locations(crowded, 60, westland_inspector.user)
    many, body = queries_for(westland_inspector, "/api/v1/risk/locations/?limit=50")
    assert len(body["results"]) == 50
    assert body["count"] == 62
    assert many == few
    scores = [row["score"] for row in body["results"]]
    assert scores == sorted(scores, reverse=True)
    with django_assert_max_num_queries(25):
        westland_inspector.get("/api/v1/risk/locations/?limit=50&offset=50")

    page = westland_inspector.get("/api/v1/risk/locations/?limit=1000").json()
    assert len(page["results"]) == 62  # capped at 500, fewer here
    high = westland_inspector.get(
        "/api/v1/risk/locations/?min_score=20&municipality=GM1783&limit=500"
    ).json()
    assert high["results"]
    assert all(row["score"] >= 20 for row in high["results"])
    assert high["count"] == len(high["results"])
    assert westland_inspector.get("/api/v1/risk/locations/?min_score=-1").status_code == 400

    # The list and the detail agree.
    top = body["results"][0]
    detail = westland_inspector.get(f"/api/v1/locations/{top['location']['id']}/risk/").json()
    assert detail["score"] == top["score"]


def test_scores_in_bulk_match_one_by_one(crowded, calm, westland_inspector):
    created = build_locations(crowded, 12, westland_inspector.user)
    everything = location_risks(HousingLocation.objects.all(), as_of=TODAY)
    for location in [crowded, calm, *created[:6]]:
        alone = location_risks(HousingLocation.objects.filter(pk=location.pk), as_of=TODAY)
        assert alone[location.pk] == everything[location.pk]
    landlords = {loc.landlord_id for loc in created}
    by_org = organisation_risks(Organisation.objects.filter(pk__in=landlords), as_of=TODAY)
    assert set(by_org) == landlords
    for pk, risk in by_org.items():
        linked = [loc for loc in created if pk in (loc.landlord_id, loc.operator_id)]
        assert risk.inputs.locations == len(linked)


def test_the_network_takes_a_constant_number_of_queries(rogue, westland_inspector, agency_a):
    url = f"/api/v1/organisations/{agency_a.pk}/network/?depth=3"
    few, body = queries_for(westland_inspector, url)
    small = len(body["nodes"])
    for number in range(30):
        register(
            agency_a,
            house_number=200 + number,
            landlord={"kvk_number": f"4000{number:04d}", "name": f"Verhuurder {number}"},
            employers=[{"kvk_number": f"5000{number:04d}", "name": f"Kweker {number}"}],
        )
    many, body = queries_for(westland_inspector, url)
    assert len(body["nodes"]) == small + 60
    assert many == few


def test_many_organisations_are_read_through_a_subquery_with_the_same_result(rogue, monkeypatch):
    from inspections.selectors import risk as selectors

    listed = location_risks(HousingLocation.objects.all(), as_of=TODAY)
    monkeypatch.setattr(selectors, "MAX_LISTED_IDS", 0)
    assert location_risks(HousingLocation.objects.all(), as_of=TODAY) == listed
