"""Planning and carrying out inspections: only legal transitions, each by the right people."""

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from inspections.models import FeedRemoval, Inspection

from .conftest import register
from .fieldwork import template, visit

pytestmark = pytest.mark.django_db
URL = "/api/v1/inspections/"


@pytest.fixture
def planner(make_user, client_for):
    return client_for(make_user(Role.PLANNER, ["GM1783"]))


@pytest.fixture
def inspector(make_user, client_for):
    return client_for(make_user(Role.INSPECTOR, ["GM1783"]))


@pytest.fixture
def location(agency_a):
    return register(agency_a)


def test_a_planner_plans_and_assigns(planner, inspector, location):
    response = planner.post(
        URL,
        {"location": location.pk, "kind": "complaint", "reason": "melding overlast"},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["status"], created["template"], created["kind"]) == (
        "planned",
        template().pk,
        "complaint",
    )

    response = planner.post(
        f"{URL}{created['id']}/assign/",
        {
            "inspector": inspector.user.username,
            "planned_date": "2026-12-01",
            "window_start": "09:00",
            "window_end": "10:00",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assigned_to"], body["window_start"]) == (
        "assigned",
        inspector.user.username,
        "09:00:00",
    )


def test_only_inspectors_of_the_municipality_are_assigned(planner, make_user, location):
    inspection = planner.post(
        URL, {"location": location.pk, "kind": "periodic"}, format="json"
    ).json()
    horst_inspector = make_user(Role.INSPECTOR, ["GM1507"])
    response = planner.post(
        f"{URL}{inspection['id']}/assign/",
        {"inspector": horst_inspector.username, "planned_date": "2026-12-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "is not an inspector in GM1783" in response.json()["errors"]["inspector"][0]


def test_inspectors_do_not_plan(inspector, location):
    response = inspector.post(URL, {"location": location.pk, "kind": "periodic"}, format="json")
    assert response.status_code == 403
    assert not Inspection.objects.exists()


def test_an_illegal_transition_says_which_are_possible(planner, inspector, location):
    inspection = visit(location, inspector.user, planner.user)
    response = planner.post(f"{URL}{inspection.pk}/transition/", {"to": "closed"}, format="json")
    assert response.status_code == 409
    assert response.json()["possible_transitions"] == ["cancelled", "planned"]
    assert "possible: cancelled, planned" in response.json()["detail"]

    response = inspector.post(f"{URL}{inspection.pk}/transition/", {"to": "closed"}, format="json")
    assert response.json()["possible_transitions"] == ["in_progress", "no_access"]
    inspection.refresh_from_db()
    assert inspection.status == "assigned"


def test_the_inspector_starts_or_reports_no_access_with_a_reason(planner, inspector, location):
    inspection = visit(location, inspector.user, planner.user)
    url = f"{URL}{inspection.pk}/transition/"
    assert (
        inspector.post(url, {"to": "in_progress"}, format="json").json()["status"] == "in_progress"
    )
    response = inspector.post(url, {"to": "no_access"}, format="json")
    assert response.json()["errors"]["reason"]
    response = inspector.post(url, {"to": "no_access", "reason": "niemand thuis"}, format="json")
    assert (response.json()["status"], response.json()["status_reason"]) == (
        "no_access",
        "niemand thuis",
    )
    # The refusal stays on record: no way back to planned, only closing it.
    assert planner.post(url, {"to": "planned"}, format="json").status_code == 409
    assert planner.post(url, {"to": "closed"}, format="json").json()["status"] == "closed"


def test_another_inspector_cannot_act_on_my_visit(
    planner, inspector, make_user, client_for, location
):
    inspection = visit(location, inspector.user, planner.user)
    colleague = client_for(make_user(Role.INSPECTOR, ["GM1783"]))
    response = colleague.post(
        f"{URL}{inspection.pk}/transition/", {"to": "in_progress"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["possible_transitions"] == []


def test_reassigning_leaves_a_removal_marker_for_the_first_inspector(
    planner, inspector, make_user, location
):
    inspection = visit(location, inspector.user, planner.user)
    other = make_user(Role.INSPECTOR, ["GM1783"])
    planner.post(f"{URL}{inspection.pk}/assign/", {"inspector": other.username}, format="json")
    assert FeedRemoval.objects.filter(user=inspector.user, inspection_id=inspection.pk).exists()


def test_rescheduling_with_if_match(planner, inspector, location):
    inspection = visit(location, inspector.user, planner.user)
    url = f"{URL}{inspection.pk}/"
    etag = planner.get(url)["ETag"]
    response = planner.patch(
        url, {"planned_date": "2026-12-24", "route_position": 3}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.json()["planned_date"] == "2026-12-24"
    stale = planner.patch(url, {"route_position": 1}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["current"]["route_position"] == 3


def test_staff_of_other_municipalities_see_nothing(planner, make_user, client_for, location):
    inspection = planner.post(
        URL, {"location": location.pk, "kind": "periodic"}, format="json"
    ).json()
    horst = client_for(make_user(Role.PLANNER, ["GM1507"]))
    assert horst.get(f"{URL}{inspection['id']}/").status_code == 404
    assert horst.get(URL).json()["results"] == []
    assert (
        horst.post(URL, {"location": location.pk, "kind": "periodic"}, format="json").status_code
        == 400
    )


def test_providers_and_national_users_have_no_access(provider_a, make_user, client_for):
    assert provider_a.get(URL).status_code == 403
    assert client_for(make_user(Role.NATIONAL_READONLY)).get(URL).status_code == 403


def test_filters(planner, inspector, location):
    visit(location, inspector.user, planner.user, day=timezone.localdate())
    planner.post(URL, {"location": location.pk, "kind": "complaint"}, format="json")
    assert len(planner.get(f"{URL}?status=planned").json()["results"]) == 1
    assert len(planner.get(f"{URL}?assigned_to={inspector.user.username}").json()["results"]) == 1
    assert len(planner.get(f"{URL}?kind=complaint&kind=periodic").json()["results"]) == 2
