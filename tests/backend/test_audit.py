"""The audit log: recording events, diffs that survive JSON, and the read-only API."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.utils import timezone

from backend.accounts.models import RoleAssignment
from backend.accounts.roles import Role
from backend.audit.models import Action, AuditEvent
from backend.audit.services import diff, record_event, snapshot
from tests.factories import MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"


def event(municipality_code="GM1783", **fields) -> AuditEvent:
    defaults = {
        "action": Action.UPDATE,
        "target_type": "inspections.housinglocation",
        "target_id": "1",
        "target_repr": "Lange Broekweg 1",
        "actor_username": "someone",
    }
    return AuditEvent.objects.create(municipality_code=municipality_code, **{**defaults, **fields})


@pytest.fixture
def admin_client(make_user, client_for):
    return client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


# record_event, diff, snapshot


def test_record_event_fills_the_target_from_a_model_instance():
    actor = UserFactory(username="beheer")
    municipality = MunicipalityFactory(code="GM1783", name="Westland")

    recorded = record_event(
        actor=actor,
        action=Action.UPDATE,
        target=municipality,
        municipality_code="GM1783",
        changes={"name": ["Westlând", "Westland"]},
        detail="Name corrected",
    )

    recorded.refresh_from_db()
    assert recorded.actor == actor
    assert recorded.actor_username == "beheer"
    assert recorded.action == "update"
    assert recorded.target_type == "geo.municipality"
    assert recorded.target_id == str(municipality.pk)
    assert recorded.target_repr == str(municipality)
    assert recorded.municipality_code == "GM1783"
    assert recorded.changes == {"name": ["Westlând", "Westland"]}
    assert recorded.detail == "Name corrected"
    assert recorded.occurred_at <= timezone.now()


def test_record_event_uses_the_targets_municipality_code_when_not_given():
    actor = UserFactory()
    target = UserFactory()
    target.municipality_code = "GM1842"  # what domain records (housing locations) carry
    recorded = record_event(actor=actor, action=Action.VIEW, target=target)
    assert recorded.target_type == "accounts.user"
    assert recorded.municipality_code == "GM1842"


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_anonymous_or_system_actors_are_stored_as_no_actor(actor):
    recorded = record_event(actor=actor, action=Action.IMPORT, target_type="geo.municipality")
    recorded.refresh_from_db()
    assert recorded.actor is None
    assert recorded.actor_username == ""
    assert recorded.target_id == ""
    assert recorded.municipality_code is None
    assert recorded.changes == {}


def test_record_event_refuses_what_would_make_a_useless_event():
    with pytest.raises(ValueError, match="Unknown audit action"):
        record_event(actor=None, action="touched", target_type="geo.municipality")
    with pytest.raises(ValueError, match="target"):
        record_event(actor=None, action=Action.VIEW)
    with pytest.raises(ValueError, match="municipality code"):
        record_event(actor=None, action=Action.VIEW, target_type="x.y", municipality_code="1783")
    with pytest.raises(ValueError, match="primary key"):
        record_event(actor=None, action=Action.CREATE, target=MunicipalityFactory.build())
    assert not AuditEvent.objects.exists()


def test_long_representations_are_truncated():
    recorded = record_event(
        actor=None,
        action=Action.VIEW,
        target_type="x.y",
        target_repr="a" * 300,
        detail="b" * 600,
    )
    recorded.refresh_from_db()
    assert len(recorded.target_repr) == 200
    assert len(recorded.detail) == 500


def test_events_are_append_only():
    recorded = event()
    recorded.detail = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        recorded.save()
    with pytest.raises(TypeError, match="append-only"):
        recorded.delete()
    assert AuditEvent.objects.get().detail == ""


def test_diff_lists_only_changed_keys_and_is_json_safe():
    before = {
        "name": "Broekweg 1",
        "beds": 12,
        "rent": Decimal("450.00"),
        "valid_from": dt.date(2025, 1, 1),
        "location": Point(4.2, 52.0, srid=4326),
        "removed": "x",
    }
    after = {
        "name": "Broekweg 1",
        "beds": 14,
        "rent": Decimal("475.50"),
        "valid_from": dt.date(2025, 2, 1),
        "location": Point(4.3, 52.0, srid=4326),
        "added": True,
    }

    changes = diff(before, after)

    assert changes == {
        "beds": [12, 14],
        "rent": ["450.00", "475.50"],
        "valid_from": ["2025-01-01", "2025-02-01"],
        "location": ["SRID=4326;POINT (4.2 52)", "SRID=4326;POINT (4.3 52)"],
        "removed": ["x", None],
        "added": [None, True],
    }
    assert json.loads(json.dumps(changes)) == changes
    recorded = record_event(actor=None, action=Action.UPDATE, target_type="x.y", changes=changes)
    recorded.refresh_from_db()
    assert recorded.changes == changes


def test_diff_sees_no_change_in_equal_values_of_another_type():
    point = Point(4.2, 52.0, srid=4326)
    before = {"rent": Decimal("450.0"), "location": point, "beds": 12}
    after = {"rent": Decimal("450.00"), "location": point.clone(), "beds": 12}
    assert diff(before, after) == {}
    assert diff({"rent": "450.00"}, {"rent": Decimal("450.00")}) == {}
    assert diff({"flag": 1}, {"flag": True}) == {"flag": [1, True]}


def test_snapshot_copies_values_and_reads_foreign_keys_as_ids(django_assert_num_queries):
    municipality = MunicipalityFactory(name="Westland")
    grant = record_event(actor=UserFactory(), action=Action.VIEW, target=municipality)
    grant = AuditEvent.objects.get(pk=grant.pk)

    with django_assert_num_queries(0):
        before = snapshot(grant, ["actor", "action"])
    assert before == {"actor": grant.actor_id, "action": "view"}

    before = snapshot(municipality, ["name", "geom"])
    municipality.name = "Westland-Zuid"
    municipality.geom.transform(28992)  # in place: the snapshot must keep its own copy
    changes = diff(before, snapshot(municipality, ["name", "geom"]))
    assert changes["name"] == ["Westland", "Westland-Zuid"]
    assert changes["geom"][0].startswith("SRID=4326;MULTIPOLYGON")
    assert changes["geom"][1].startswith("SRID=28992;MULTIPOLYGON")


def test_events_outlive_their_actor():
    actor = UserFactory(username="vertrokken")
    recorded = record_event(actor=actor, action=Action.DELETE, target_type="x.y", target_id=7)
    actor.delete()
    recorded.refresh_from_db()
    assert recorded.actor is None
    assert recorded.actor_username == "vertrokken"
    assert recorded.target_id == "7"


# The API


def test_a_municipal_admin_sees_the_events_of_their_municipality_only(admin_client):
    ours = event("GM1783")
    theirs = event("GM0362")
    event(None)  # no municipality: superusers only, in the admin

    assert ids(admin_client.get(URL)) == [ours.pk]
    assert ids(admin_client.get(URL, {"municipality_code": "GM0362"})) == []
    assert ids(admin_client.get(URL, {"municipality_code": "GM1783"})) == [ours.pk]

    response = admin_client.get(f"{URL}{theirs.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"

    detail = admin_client.get(f"{URL}{ours.pk}/")
    assert detail.status_code == 200
    assert "ETag" in detail
    assert detail.json() == {
        "id": ours.pk,
        "occurred_at": detail.json()["occurred_at"],
        "actor": "someone",
        "action": "update",
        "target_type": "inspections.housinglocation",
        "target_id": "1",
        "target_repr": "Lange Broekweg 1",
        "municipality_code": "GM1783",
        "changes": {},
        "detail": "",
    }


def test_an_admin_of_several_municipalities_sees_them_all(make_user, client_for):
    client = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783", "GM1842"]))
    westland, midden_delfland = event("GM1783"), event("GM1842")
    event("GM0362")
    assert sorted(ids(client.get(URL))) == sorted([westland.pk, midden_delfland.pk])


def test_other_roles_do_not_widen_an_admins_scope(make_user, client_for):
    # An inspector of GM0362 who administers GM1783 still reads only GM1783's events.
    user = make_user(Role.MUNICIPAL_ADMIN, ["GM1783"])
    RoleAssignment.objects.create(user=user, role=Role.INSPECTOR, municipality_code="GM0362")
    event("GM0362")
    assert ids(client_for(user).get(URL)) == []


@pytest.mark.parametrize(
    ("role", "municipalities"),
    [
        (Role.INSPECTOR, ["GM1783"]),
        (Role.PLANNER, ["GM1783"]),
        (Role.ENFORCEMENT_OFFICER, ["GM1783"]),
        (Role.EMPLOYER, []),
        (Role.NATIONAL_READONLY, []),
    ],
)
def test_other_roles_are_forbidden(make_user, client_for, role, municipalities):
    recorded = event()
    client = client_for(make_user(role, municipalities))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{recorded.pk}/").status_code == 403


def test_anonymous_is_not_authenticated(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_the_log_is_read_only(admin_client):
    recorded = event()
    assert admin_client.post(URL, {"action": "view"}, format="json").status_code == 405
    assert admin_client.patch(f"{URL}{recorded.pk}/", {}, format="json").status_code == 405
    assert admin_client.delete(f"{URL}{recorded.pk}/").status_code == 405


def test_reading_the_log_is_not_audited(admin_client):
    recorded = event()
    admin_client.get(URL)
    admin_client.get(f"{URL}{recorded.pk}/")
    assert AuditEvent.objects.count() == 1


def test_filters(admin_client):
    now = timezone.now()
    viewed = event(action=Action.VIEW, actor_username="inspecteur", occurred_at=now)
    created = event(
        action=Action.CREATE,
        target_type="inspections.organisation",
        target_id="42",
        actor_username="beheer",
        occurred_at=now - dt.timedelta(days=2),
    )
    older = event(action=Action.UPDATE, occurred_at=now - dt.timedelta(days=10))

    assert ids(admin_client.get(URL, {"action": "view"})) == [viewed.pk]
    assert ids(admin_client.get(URL, {"target_type": "inspections.organisation"})) == [created.pk]
    assert ids(admin_client.get(URL, {"target_id": "42"})) == [created.pk]
    assert ids(admin_client.get(URL, {"actor": "beheer"})) == [created.pk]
    week_ago = (now - dt.timedelta(days=7)).isoformat()
    day_ago = (now - dt.timedelta(days=1)).isoformat()
    assert ids(admin_client.get(URL, {"occurred_after": week_ago})) == [viewed.pk, created.pk]
    assert ids(admin_client.get(URL, {"occurred_before": day_ago})) == [created.pk, older.pk]
    assert ids(admin_client.get(URL, {"occurred_after": week_ago, "occurred_before": day_ago})) == [
        created.pk
    ]
    assert ids(admin_client.get(URL, {"occurred_after": "2020-01-01T00:00:00Z"})) == [
        viewed.pk,
        created.pk,
        older.pk,
    ]


def test_invalid_filters_are_a_validation_problem(admin_client):
    response = admin_client.get(URL, {"action": "touched", "occurred_after": "yesterday"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/problems/validation-error"
    assert {"action", "occurred_after"} <= set(body["errors"])


def test_newest_first_with_a_cursor_through_equal_times(admin_client):
    moment = timezone.now()
    events = [event(occurred_at=moment - dt.timedelta(minutes=i // 2)) for i in range(7)]
    expected = [e.pk for e in sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)]

    seen, url = [], f"{URL}?limit=3"
    while url:
        response = admin_client.get(url)
        seen += ids(response)
        url = response.json()["next"]
    assert seen == expected


def test_listing_runs_a_constant_number_of_queries(admin_client, django_assert_max_num_queries):
    actors = UserFactory.create_batch(5)
    for i in range(50):
        record_event(
            actor=actors[i % 5],
            action=Action.UPDATE,
            target_type="inspections.housinglocation",
            target_id=i,
            municipality_code="GM1783",
            changes={"beds": [i, i + 1]},
        )
    # Savepoint, token (2), the user's roles, the page, release: no query per event.
    with django_assert_max_num_queries(6):
        response = admin_client.get(URL, {"limit": 50})
    assert len(ids(response)) == 50


def test_the_api_root_links_to_the_log(api_client):
    links = api_client.get("/api/v1/").json()["links"]
    assert links["audit_events"].endswith(URL)


def test_the_admin_shows_the_log_read_only(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw-123456")
    client.force_login(root)
    recorded = event(target_repr="Broekweg 1")

    listing = client.get("/admin/audit/auditevent/?q=broekweg")
    assert listing.status_code == 200
    assert "Broekweg 1" in listing.content.decode()
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.get(f"/admin/audit/auditevent/{recorded.pk}/delete/").status_code == 403
    change = client.get(f"/admin/audit/auditevent/{recorded.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
