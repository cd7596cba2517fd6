"""Every error is RFC 9457 problem+json with a message that says how to fix it."""

import pytest

from backend.accounts.models import RoleAssignment
from backend.accounts.roles import Role

from ..conftest import post_role_assignment

pytestmark = pytest.mark.django_db


def assert_problem(response, status, problem_type):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{problem_type}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/v2/", "/nothing-here", "/api/v1/municipalities/x/y/z/"]
)
def test_unknown_path(api_client, path):
    body = assert_problem(api_client.get(path), 404, "not-found")
    assert body["instance"] == path
    assert "The API starts at /api/v1/" in body["detail"]


def test_missing_trailing_slash_gets_a_hint(api_client):
    body = assert_problem(api_client.post("/api/v1/auth/tokens", {}), 404, "not-found")
    assert "Did you mean /api/v1/auth/tokens/ ?" in body["detail"]


def test_wrong_method(api_client):
    response = api_client.put("/healthz", {})
    body = assert_problem(response, 405, "method-not-allowed")
    assert '"PUT"' in body["detail"]
    assert "Allow header" in body["detail"]
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_missing_token(api_client):
    response = api_client.get("/api/v1/me/")
    body = assert_problem(response, 401, "not-authenticated")
    assert "Authorization: Bearer <token>" in body["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer fwi_not-a-real-token")
    body = assert_problem(api_client.get("/api/v1/me/"), 401, "not-authenticated")
    assert "invalid, expired or revoked" in body["detail"]


def test_malformed_json_body(make_user, client_for):
    client = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
    response = client.post(
        "/api/v1/role-assignments/", '{"username": "x",', content_type="application/json"
    )
    body = assert_problem(response, 400, "malformed-request")
    assert "JSON parse error" in body["detail"]
    assert "line 1 column" in body["detail"]


def test_wrong_content_type(make_user, client_for):
    client = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
    response = client.post("/api/v1/role-assignments/", "username=x", content_type="text/plain")
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "text/plain" in body["detail"]


def test_validation_errors_per_field(make_user, client_for):
    client = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
    response = client.post(
        "/api/v1/role-assignments/", {"role": "king", "municipality_code": "1783"}, format="json"
    )
    body = assert_problem(response, 400, "validation-error")
    assert set(body["errors"]) == {"username", "role", "municipality_code"}
    assert body["errors"]["municipality_code"] == [
        "A CBS municipality code is 'GM' followed by 4 digits, e.g. GM1783."
    ]
    assert "3 fields are invalid (username, role, municipality_code)" in body["detail"]


def test_not_acceptable(inspector_client):
    response = inspector_client.get("/api/v1/me/", HTTP_ACCEPT="application/xml")
    assert_problem(response, 406, "not-acceptable")


def test_forbidden_role(inspector_client):
    body = assert_problem(inspector_client.get("/api/v1/role-assignments/"), 403, "forbidden")
    assert body["detail"] == "Only a municipal administrator may do this."


def test_dutch_when_asked(api_client):
    response = api_client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="nl")
    body = assert_problem(response, 401, "not-authenticated")
    assert response["Content-Language"] == "nl"
    assert body["title"] == "Aanmelding vereist"
    assert "Stuur `Authorization: Bearer <token>`" in body["detail"]


def test_server_error_has_no_trace_and_changes_nothing(make_user, client_for, monkeypatch, caplog):
    admin = make_user(Role.MUNICIPAL_ADMIN, ["GM1783"])
    colleague = make_user()
    client = client_for(admin)

    def broken(**kwargs):
        # A write that must not survive the error (save(), as create() is what is patched).
        RoleAssignment(user=colleague, role=Role.INSPECTOR, municipality_code="GM1783").save()
        raise RuntimeError("secret internals")

    monkeypatch.setattr("backend.accounts.services.RoleAssignment.objects.create", broken)
    response = post_role_assignment(client, colleague.username)
    monkeypatch.undo()

    body = assert_problem(response, 500, "server-error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["reference"] in body["detail"]
    assert body["reference"] in caplog.text  # the trace is in the log, under that reference
    assert not RoleAssignment.objects.filter(user=colleague).exists()


def test_problem_types_are_documented(api_client):
    response = api_client.get("/problems/precondition-failed")
    assert response.status_code == 200
    assert "If-Match" in response.content.decode()
    assert_problem(api_client.get("/problems/no-such-problem"), 404, "not-found")


def test_body_too_large(make_user, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
    response = client.post("/api/v1/role-assignments/", {"username": "x" * 5000}, format="json")
    assert_problem(response, 413, "content-too-large")
