"""Idempotency-Key on POST and PATCH: a retry replays, a different body is 422, nothing doubles."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.accounts.models import RoleAssignment
from backend.accounts.roles import Role
from backend.api.idempotency import purge_expired
from backend.api.models import IdempotencyRecord

from ..conftest import post_role_assignment

pytestmark = pytest.mark.django_db

URL = "/api/v1/role-assignments/"


@pytest.fixture
def admin_client(make_user, client_for):
    return client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))


@pytest.fixture
def colleague(make_user):
    return make_user()


def grant(client, colleague, key=None, role="inspector"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return post_role_assignment(client, colleague.username, role, **headers)


def test_retry_with_the_same_key_replays_the_stored_response(admin_client, colleague):
    first = grant(admin_client, colleague, key="4f1c6c55-9a4e-4a70-8d9e-0d5b0f6f2a11")
    second = grant(admin_client, colleague, key="4f1c6c55-9a4e-4a70-8d9e-0d5b0f6f2a11")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert RoleAssignment.objects.filter(user=colleague).count() == 1


def test_structured_field_quoting_is_the_same_key(admin_client, colleague):
    grant(admin_client, colleague, key="abc-123")
    assert grant(admin_client, colleague, key='"abc-123"')["Idempotent-Replayed"] == "true"


def test_same_key_different_body_is_422(admin_client, colleague):
    grant(admin_client, colleague, key="k-1")
    response = grant(admin_client, colleague, key="k-1", role="planner")

    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert not RoleAssignment.objects.filter(user=colleague, role="planner").exists()


def test_without_a_key_a_repeat_is_a_conflict_not_a_duplicate(admin_client, colleague):
    first = grant(admin_client, colleague)
    second = grant(admin_client, colleague)
    assert second.status_code == 409
    assert f"(assignment {first.json()['id']})" in second.json()["detail"]
    assert second.json()["existing"] == first.json()["id"]


def test_failed_requests_are_not_stored_so_a_fixed_retry_runs(admin_client, make_user):
    response = post_role_assignment(admin_client, "nobody", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    make_user(username="nobody")
    retry = post_role_assignment(admin_client, "nobody", HTTP_IDEMPOTENCY_KEY="k-2")
    assert retry.status_code == 201


def test_keys_are_per_user(make_user, client_for, colleague):
    alice = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
    bob = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
    other = make_user()
    assert grant(alice, colleague, key="same").status_code == 201
    response = grant(bob, other, key="same")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "x" * 256, "spaces in key", "ünïcode"])
def test_invalid_keys_are_rejected(admin_client, colleague, key):
    response = admin_client.post(
        URL,
        {"username": colleague.username, "role": "inspector", "municipality_code": "GM1783"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-idempotency-key"
    assert not RoleAssignment.objects.filter(user=colleague).exists()


def test_patch_is_idempotent_too(inspector_client):
    first = inspector_client.patch(
        "/api/v1/me/", {"first_name": "Ana"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    inspector_client.user.refresh_from_db()
    inspector_client.user.first_name = "Changed meanwhile"
    inspector_client.user.save()
    replay = inspector_client.patch(
        "/api/v1/me/", {"first_name": "Ana"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert replay["ETag"] == first["ETag"]
    inspector_client.user.refresh_from_db()
    assert inspector_client.user.first_name == "Changed meanwhile"  # not applied twice


def test_expired_keys_run_again_and_are_purged(admin_client, colleague, make_user, capsys):
    grant(admin_client, colleague, key="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))

    response = grant(admin_client, colleague, key="old")
    assert response.status_code == 409  # ran again: the assignment exists, so a conflict
    assert "Idempotent-Replayed" not in response

    grant(admin_client, make_user(), key="new")
    IdempotencyRecord.objects.filter(key="new").update(
        created_at=timezone.now() - timedelta(days=2)
    )
    # "old" is still there: the failed retry rolled back its clean-up along with everything else.
    call_command("purge_idempotency_keys")
    assert "Deleted 2 expired" in capsys.readouterr().out
    assert not IdempotencyRecord.objects.exists()
    assert purge_expired() == 0


def test_token_responses_are_never_stored(api_client, make_user):
    user = make_user()
    payload = {"username": user.username, "password": "correct horse battery"}
    first = api_client.post(
        "/api/v1/auth/tokens/", payload, format="json", HTTP_IDEMPOTENCY_KEY="t"
    )
    second = api_client.post(
        "/api/v1/auth/tokens/", payload, format="json", HTTP_IDEMPOTENCY_KEY="t"
    )
    assert first.json()["token"] != second.json()["token"]
    assert not IdempotencyRecord.objects.exists()
