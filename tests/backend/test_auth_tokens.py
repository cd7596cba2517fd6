"""Tokens for the field app: obtain with a password, use, list, expire, revoke; throttled."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def obtain(client, user, **extra):
    return client.post(
        "/api/v1/auth/tokens/",
        {"username": user.username, "password": PASSWORD, **extra},
        format="json",
    )


def test_obtain_and_use_a_token(api_client, make_user):
    user = make_user("inspector", ["GM1783"])

    response = obtain(api_client, user, name="Pixel 7")

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("fwi_")
    assert body["name"] == "Pixel 7"
    assert timezone.now() + timedelta(days=6) < timezone.datetime.fromisoformat(body["expires_at"])
    stored = ApiToken.objects.get(user=user)
    assert body["token"] not in (stored.digest, stored.token_key)  # only a hash is kept

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    me = api_client.get("/api/v1/me/").json()
    assert me["username"] == user.username
    assert me["roles"] == [{"role": "inspector", "municipality_code": "GM1783"}]


def test_wrong_password_is_a_clear_400(api_client, make_user):
    user = make_user()
    response = api_client.post(
        "/api/v1/auth/tokens/", {"username": user.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown username or wrong password."
    assert not ApiToken.objects.exists()


def test_inactive_users_get_no_token(api_client, make_user):
    user = make_user(is_active=False)
    assert obtain(api_client, user).status_code == 400


def test_expired_token_is_refused(api_client, make_user):
    user = make_user()
    secret = obtain(api_client, user).json()["token"]
    ApiToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_list_and_revoke_tokens(api_client, make_user):
    user = make_user()
    lost_phone = obtain(api_client, user, name="lost phone").json()
    tablet = obtain(api_client, user, name="tablet").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tablet['token']}")

    listed = api_client.get("/api/v1/auth/tokens/").json()["results"]
    assert [(t["name"], t["current"]) for t in listed] == [("tablet", True), ("lost phone", False)]
    assert all("token" not in t for t in listed)

    assert api_client.delete(f"/api/v1/auth/tokens/{lost_phone['id']}/").status_code == 204
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {lost_phone['token']}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_revoking_the_current_token_signs_out(api_client, make_user):
    user = make_user()
    token = obtain(api_client, user).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['token']}")
    assert api_client.delete(f"/api/v1/auth/tokens/{token['id']}/").status_code == 204
    assert api_client.get("/api/v1/me/").status_code == 401


def test_nobody_revokes_another_users_token(api_client, make_user, client_for):
    victim = make_user()
    token = obtain(api_client, victim).json()
    attacker = client_for(make_user("municipal_admin", ["GM1783"]))

    assert attacker.delete(f"/api/v1/auth/tokens/{token['id']}/").status_code == 404
    assert ApiToken.objects.filter(user=victim).count() == 1


def test_token_limit_per_user(api_client, make_user, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    user = make_user()
    assert obtain(api_client, user).status_code == 201
    assert obtain(api_client, user).status_code == 201
    response = obtain(api_client, user)
    assert response.status_code == 409
    assert "Revoke one" in response.json()["detail"]


def test_password_guessing_is_throttled(api_client, make_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "1000/minute",
            "user": "1000/minute",
            "auth": "3/minute",
        },
    }
    user = make_user()
    payload = {"username": user.username, "password": "guess"}
    codes = [
        api_client.post("/api/v1/auth/tokens/", payload, format="json").status_code
        for _ in range(4)
    ]

    assert codes == [400, 400, 400, 429]
    response = api_client.post("/api/v1/auth/tokens/", payload, format="json")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/too-many-requests"
    assert int(response["Retry-After"]) > 0
    assert response.json()["retry_after"] > 0


def test_session_users_need_csrf_for_writes(make_user):
    from rest_framework.test import APIClient

    user = make_user("municipal_admin", ["GM1783"])
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me/").status_code == 200  # session works for reading
    response = client.patch("/api/v1/me/", {"first_name": "X"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
