"""ETags, If-None-Match (304) and If-Match (412 with the current state) on /me/."""

import pytest

pytestmark = pytest.mark.django_db


def test_get_has_an_etag_and_304_when_unchanged(inspector_client):
    first = inspector_client.get("/api/v1/me/")
    etag = first["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')

    again = inspector_client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag


def test_patch_with_current_etag_succeeds_and_returns_the_new_one(inspector_client):
    etag = inspector_client.get("/api/v1/me/")["ETag"]

    response = inspector_client.patch(
        "/api/v1/me/", {"first_name": "Ana"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "Ana"
    assert response["ETag"] != etag
    assert inspector_client.get("/api/v1/me/")["ETag"] == response["ETag"]


def test_stale_if_match_is_412_with_the_current_state_and_saves_nothing(inspector_client):
    stale = inspector_client.get("/api/v1/me/")["ETag"]
    inspector_client.patch("/api/v1/me/", {"first_name": "First"}, format="json")

    response = inspector_client.patch(
        "/api/v1/me/", {"last_name": "Second"}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    problem = response.json()
    assert problem["type"] == "/problems/precondition-failed"
    assert problem["current"]["first_name"] == "First"
    assert response["ETag"] == problem["current_etag"]
    inspector_client.user.refresh_from_db()
    assert inspector_client.user.last_name == ""


def test_if_match_star_and_lists(inspector_client):
    etag = inspector_client.get("/api/v1/me/")["ETag"]
    assert (
        inspector_client.patch("/api/v1/me/", {}, format="json", HTTP_IF_MATCH="*").status_code
        == 200
    )
    listed = f'"other", {etag}'
    assert (
        inspector_client.patch("/api/v1/me/", {}, format="json", HTTP_IF_MATCH=listed).status_code
        == 200
    )


def test_read_only_fields_cannot_be_changed(inspector_client):
    username = inspector_client.user.username
    response = inspector_client.patch("/api/v1/me/", {"username": "someone-else"}, format="json")
    assert response.json()["username"] == username


def test_invalid_email_is_rejected(inspector_client):
    response = inspector_client.patch("/api/v1/me/", {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
