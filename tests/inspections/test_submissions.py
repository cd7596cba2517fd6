"""Submitting an inspection made offline: atomic, replay-safe, and every bad input explained."""

import uuid

import pytest

from backend.accounts.roles import Role
from backend.audit.models import AuditEvent
from inspections.models import (
    Answer,
    Finding,
    Inspection,
    OccupancyObservation,
    PhotoReference,
    Submission,
    Violation,
)

from .conftest import register
from .fieldwork import submission, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(make_user):
    return make_user(Role.PLANNER, ["GM1783"])


@pytest.fixture
def inspector(make_user, client_for):
    return client_for(make_user(Role.INSPECTOR, ["GM1783"]))


@pytest.fixture
def inspection(agency_a, inspector, planner):
    return visit(register(agency_a), inspector.user, planner)


def submit(client, inspection, body, **headers):
    return client.post(
        f"/api/v1/inspections/{inspection.pk}/submission/", body, format="json", **headers
    )


def stored() -> dict:
    return {
        "submissions": Submission.objects.count(),
        "answers": Answer.objects.count(),
        "findings": Finding.objects.count(),
        "violations": Violation.objects.count(),
        "observations": OccupancyObservation.objects.count(),
        "references": PhotoReference.objects.count(),
        "inspections": Inspection.objects.count(),
    }


NOTHING = {
    "submissions": 0,
    "answers": 0,
    "findings": 0,
    "violations": 0,
    "observations": 0,
    "references": 0,
    "inspections": 1,
}


def test_a_clean_inspection(inspector, inspection):
    response = submit(inspector, inspection, submission(persons=6))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["findings"], body["reinspection"]) == ("submitted", [], None)
    assert body["arrival_distance_m"] < 20
    assert body["arrival_far"] is False
    inspection.refresh_from_db()
    assert inspection.status == "submitted"
    assert Answer.objects.filter(inspection=inspection).count() == inspection.template.items.count()
    observation = OccupancyObservation.objects.get(inspection=inspection)
    assert (observation.persons, observation.beds_in_use, observation.bedrooms_in_use) == (6, 6, 3)
    assert AuditEvent.objects.filter(
        action="create", target_id=body["id"], municipality_code="GM1783"
    ).exists()


def test_findings_become_violations_and_a_reinspection_is_proposed(inspector, inspection):
    body = submission(
        failing=["SAN-01", "FIRE-02"],
        findings=[{"item": "SAN-01", "severity": "minor", "note": "1 toilet voor 10 personen"}],
        photos=[{"id": str(uuid.uuid4()), "sha256": "a" * 64, "item": "FIRE-02"}],
    )
    response = submit(inspector, inspection, body)

    assert response.status_code == 201, response.content
    findings = {f["item"]: f for f in response.json()["findings"]}
    assert findings["SAN-01"]["severity"] == "minor"  # the inspector's own judgement
    assert findings["SAN-01"]["from_answer"] is False
    assert findings["FIRE-02"]["severity"] == "critical"  # derived from the failing answer
    assert findings["FIRE-02"]["from_answer"] is True
    deadlines = {v.severity: v.deadline for v in Violation.objects.all()}
    assert (deadlines["critical"] - deadlines["minor"]).days == 2 - 42  # by severity, from one day
    reinspection = Inspection.objects.get(pk=response.json()["reinspection"])
    assert (reinspection.kind, reinspection.status, reinspection.follows_id) == (
        "reinspection",
        "planned",
        inspection.pk,
    )
    assert reinspection.planned_date == deadlines["critical"]
    assert response.json()["missing_photos"] == [body["photos"][0]["id"]]


def test_a_replay_returns_the_stored_result_and_stores_nothing_more(inspector, inspection):
    body = submission(failing=["SAN-01"])
    first = submit(inspector, inspection, body)
    counts = stored()
    again = submit(inspector, inspection, body)
    shuffled = submit(inspector, inspection, dict(reversed(list(body.items()))))

    assert first.status_code == 201
    assert again.status_code == shuffled.status_code == 200
    assert again.json() == shuffled.json() == first.json()
    assert stored() == counts


def test_the_same_id_with_other_content_is_a_conflict(inspector, inspection):
    body = submission()
    submit(inspector, inspection, body)
    response = submit(
        inspector,
        inspection,
        {**body, "observed": {"persons": 9, "beds_in_use": 9, "bedrooms_in_use": 3}},
    )
    assert response.status_code == 409
    assert "received before with other content" in response.json()["detail"]


def test_a_second_submission_of_a_submitted_inspection_is_a_conflict(inspector, inspection):
    submit(inspector, inspection, submission())
    response = submit(inspector, inspection, submission())
    assert response.status_code == 409
    assert "was submitted already" in response.json()["detail"]


def test_if_match_protects_against_a_changed_visit(inspector, inspection, planner, client_for):
    etag = inspector.get(f"/api/v1/inspections/{inspection.pk}/")["ETag"]
    client_for(planner).patch(
        f"/api/v1/inspections/{inspection.pk}/", {"route_position": 9}, format="json"
    )
    body = submission()
    response = submit(inspector, inspection, body, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["current"]["route_position"] == 9
    assert stored() == NOTHING
    fresh = inspector.get(f"/api/v1/inspections/{inspection.pk}/")["ETag"]
    assert submit(inspector, inspection, body, HTTP_IF_MATCH=fresh).status_code == 201
    # a replay with the old ETag still gets the stored result
    assert submit(inspector, inspection, body, HTTP_IF_MATCH=etag).status_code == 200


def test_idempotency_key_works_too(inspector, inspection):
    body = submission()
    first = submit(inspector, inspection, body, HTTP_IDEMPOTENCY_KEY="sub-1")
    again = submit(inspector, inspection, body, HTTP_IDEMPOTENCY_KEY="sub-1")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = submit(inspector, inspection, submission(), HTTP_IDEMPOTENCY_KEY="sub-1")
    assert other.status_code == 422


def test_another_inspectors_visit(inspection, make_user, client_for):
    colleague = client_for(make_user(Role.INSPECTOR, ["GM1783"]))
    response = submit(colleague, inspection, submission())
    assert response.status_code == 403
    assert "assigned to someone else" in response.json()["detail"]
    assert stored() == NOTHING
    stranger = client_for(make_user(Role.INSPECTOR, ["GM1507"]))
    assert submit(stranger, inspection, submission()).status_code == 404


def test_a_visit_in_the_wrong_state(inspector, inspection, planner):
    from inspections.services.inspections import transition_inspection

    transition_inspection(actor=planner, inspection=inspection, to="cancelled", reason="dubbel")
    response = submit(inspector, inspection, submission())
    assert response.status_code == 409
    assert "is cancelled; it cannot be submitted" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda b: b["answers"].pop(5), "answers", "missing: "),
        (
            lambda b: b["answers"].append({"item": "NOPE-01", "value": True}),
            "answers[41].item",
            "not an item",
        ),
        (
            lambda b: b["answers"].append(dict(b["answers"][4])),
            "answers[41].item",
            "answered twice",
        ),
        (lambda b: b["answers"][4].update(value="maybe"), "answers[4].value", "expects yes or no"),
        (lambda b: b["answers"][0].update(value=99), "answers[0].value", "observed.persons says 6"),
        (
            lambda b: b.update(ended_at="2020-01-01T10:00:00+01:00"),
            "ended_at",
            "ends before it starts",
        ),
        (lambda b: b.update(ended_at="2099-01-01T10:00:00+01:00"), "ended_at", "future"),
        (lambda b: b.update(id="not-a-uuid"), "id", "valid UUID"),
        (
            lambda b: b["observed"].update(persons=-1),
            "observed.persons",
            "greater than or equal to 0",
        ),
        (
            lambda b: b.update(arrival={"point": {"type": "Point", "coordinates": [51.99, 4.2]}}),
            "arrival.point",
            "swapped",
        ),
        (
            lambda b: b.update(photos=[{"id": str(uuid.uuid4()), "sha256": "xyz"}]),
            "photos[0].sha256",
            "",
        ),
        (
            lambda b: b.update(
                findings=[{"item": None, "severity": "minor", "photos": [str(uuid.uuid4())]}]
            ),
            "findings[0].photos",
            "Name these photos in `photos` too",
        ),
        (
            lambda b: b.update(findings=[{"severity": "fatal"}]),
            "findings[0].severity",
            "not a valid choice",
        ),
    ],
)
def test_bad_submissions_are_explained_and_store_nothing(
    inspector, inspection, change, field, message
):
    body = submission()
    change(body)
    response = submit(inspector, inspection, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert message in response.json()["errors"][field][0]
    assert stored() == NOTHING
    inspection.refresh_from_db()
    assert inspection.status == "assigned"


def test_a_failing_item_that_needs_a_photo(inspector, inspection):
    response = submit(inspector, inspection, submission(failing=["FIRE-02"]))
    assert response.status_code == 400
    assert "FIRE-02 failed and needs a photo" in response.json()["errors"]["photos"][0]
    assert stored() == NOTHING


def test_a_photo_of_another_inspection_is_unknown_here(inspector, inspection, agency_a, planner):
    from .fieldwork import stored_photo

    other = visit(register(agency_a, house_number=99), inspector.user, planner)
    photo = stored_photo(other, inspector.user)
    body = submission(photos=[{"id": str(photo.pk), "sha256": photo.sha256}])
    response = submit(inspector, inspection, body)
    assert response.status_code == 400
    assert "belongs to another inspection" in response.json()["errors"]["photos[0].id"][0]
    assert stored() == {**NOTHING, "inspections": 2}


def test_arriving_far_away_is_flagged(inspector, inspection):
    body = submission(
        arrival={"point": {"type": "Point", "coordinates": [4.215, 51.995]}, "accuracy_m": 5}
    )
    response = submit(inspector, inspection, body)
    assert response.json()["arrival_far"] is True
    assert 650 < response.json()["arrival_distance_m"] < 750  # 0.01° of longitude at 52° N


def test_reviewers_read_the_stored_submission(inspector, inspection, make_user, client_for):
    body = submission()
    submit(inspector, inspection, body)
    officer = client_for(make_user(Role.ENFORCEMENT_OFFICER, ["GM1783"]))
    response = officer.get(f"/api/v1/inspections/{inspection.pk}/submission/")
    assert response.status_code == 200
    assert response.json()["payload"]["id"] == body["id"]
    assert (
        officer.post(
            f"/api/v1/inspections/{inspection.pk}/transition/", {"to": "reviewed"}, format="json"
        ).status_code
        == 200
    )
