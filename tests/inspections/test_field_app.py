"""The field app's day: my work in one request, and a change feed that syncs only deltas."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from inspections.services.inspections import assign_inspection, transition_inspection

from .conftest import register
from .fieldwork import submission, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(make_user):
    return make_user(Role.PLANNER, ["GM1783"])


@pytest.fixture
def inspector(make_user, client_for):
    return client_for(make_user(Role.INSPECTOR, ["GM1783"]))


def test_my_work_is_the_days_visits_in_route_order(
    inspector, planner, agency_a, django_assert_max_num_queries
):
    today = timezone.localdate()
    visits = []
    for number, position in ((10, 3), (12, 1), (14, 2)):
        inspection = visit(
            register(agency_a, house_number=number), inspector.user, planner, day=today
        )
        inspection.route_position = position
        inspection.save()
        visits.append(inspection)
    visit(
        register(agency_a, house_number=16), inspector.user, planner, day=today + timedelta(days=1)
    )

    with django_assert_max_num_queries(12):
        response = inspector.get("/api/v1/field/my-work/")

    body = response.json()
    assert [v["inspection"]["route_position"] for v in body["visits"]] == [1, 2, 3]
    first = body["visits"][0]
    assert first["location"]["address_line"] == "Havenstraat 12, 2671 AB Naaldwijk"
    assert first["location"]["capacity"] == 7
    assert first["location"]["capacity_binding"] == ["bedrooms"]
    assert first["inspection"]["etag"].startswith('"')
    assert [t["id"] for t in body["templates"]] == [first["template"]]
    assert len(body["templates"][0]["items"]) == 41


def test_my_work_takes_a_constant_number_of_queries(
    inspector, planner, agency_a, django_assert_max_num_queries
):
    for number in range(20):
        visit(register(agency_a, house_number=100 + number), inspector.user, planner)
    with django_assert_max_num_queries(12):
        response = inspector.get("/api/v1/field/my-work/")
    assert len(response.json()["visits"]) == 20


def test_my_work_shows_the_last_findings_of_each_location(inspector, planner, agency_a):
    location = register(agency_a)
    first = visit(location, inspector.user, planner, day=timezone.localdate() - timedelta(days=30))
    inspector.post(
        f"/api/v1/inspections/{first.pk}/submission/",
        submission(
            failing=["SAN-01"],
            findings=[{"item": "SAN-01", "severity": "major", "note": "te weinig toiletten"}],
        ),
        format="json",
    )
    visit(location, inspector.user, planner)
    body = inspector.get("/api/v1/field/my-work/").json()
    assert [(f["item"], f["note"]) for f in body["visits"][0]["last_findings"]] == [
        ("SAN-01", "te weinig toiletten")
    ]


def test_only_inspectors_use_the_field_app(make_user, client_for, api_client):
    planner = client_for(make_user(Role.PLANNER, ["GM1783"]))
    assert planner.get("/api/v1/field/my-work/").status_code == 403
    assert api_client.get("/api/v1/field/changes/").status_code == 401


def test_bad_date_and_cursor(inspector):
    assert (
        "YYYY-MM-DD"
        in inspector.get("/api/v1/field/my-work/?date=gisteren").json()["errors"]["date"][0]
    )
    response = inspector.get("/api/v1/field/changes/?since=not-a-cursor")
    assert response.status_code == 400
    assert "sync without `since`" in response.json()["errors"]["since"][0]


class TestChangeFeed:
    def test_first_sync_then_only_deltas(self, inspector, planner, agency_a, make_user):
        a = visit(register(agency_a, house_number=1), inspector.user, planner)
        b = visit(register(agency_a, house_number=2), inspector.user, planner)
        first = inspector.get("/api/v1/field/changes/").json()
        assert {i["id"] for i in first["inspections"]} == {a.pk, b.pk}
        assert {loc["id"] for loc in first["locations"]} == {a.location_id, b.location_id}
        assert len(first["templates"]) == 1
        assert first["removed"] == []

        # Later: b moves to a colleague, a's location changes, c is new.
        past = timezone.now() - timedelta(minutes=5)
        type(a).objects.update(updated_at=past)
        type(a.location).objects.update(updated_at=past)
        from inspections.models import ChecklistTemplate, FeedRemoval

        ChecklistTemplate.objects.update(updated_at=past)
        FeedRemoval.objects.update(removed_at=past)
        cursor = inspector.get("/api/v1/field/changes/").json()["cursor"]

        colleague = make_user(Role.INSPECTOR, ["GM1783"])
        assign_inspection(actor=planner, inspection=b, inspector=colleague)
        a.location.kitchens = 2
        a.location.save()
        c = visit(register(agency_a, house_number=3), inspector.user, planner)

        delta = inspector.get(f"/api/v1/field/changes/?since={cursor}").json()
        assert {i["id"] for i in delta["inspections"]} == {c.pk}
        assert {loc["id"] for loc in delta["locations"]} == {a.location_id, c.location_id}
        assert delta["removed"] == [{"type": "inspection", "id": b.pk}]
        assert delta["templates"] == [] or [t["id"] for t in delta["templates"]] == [c.template_id]

    def test_cancelled_visits_are_removed(self, inspector, planner, agency_a):
        inspection = visit(register(agency_a), inspector.user, planner)
        cursor = inspector.get("/api/v1/field/changes/").json()["cursor"]
        transition_inspection(
            actor=planner, inspection=inspection, to="cancelled", reason="verhuisd"
        )
        delta = inspector.get(f"/api/v1/field/changes/?since={cursor}").json()
        assert delta["removed"] == [{"type": "inspection", "id": inspection.pk}]
        assert delta["inspections"] == []

    def test_a_submitted_visit_comes_back_with_its_new_state(self, inspector, planner, agency_a):
        inspection = visit(register(agency_a), inspector.user, planner)
        cursor = inspector.get("/api/v1/field/changes/").json()["cursor"]
        inspector.post(
            f"/api/v1/inspections/{inspection.pk}/submission/", submission(), format="json"
        )
        delta = inspector.get(f"/api/v1/field/changes/?since={cursor}").json()
        assert [(i["id"], i["status"]) for i in delta["inspections"]] == [
            (inspection.pk, "submitted")
        ]
