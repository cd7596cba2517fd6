"""Default deny, declared permissions, and what each role may do with the foundation's endpoints."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from backend.accounts.models import RoleAssignment
from backend.accounts.roles import Role
from backend.api.idempotency import IdempotencyMixin
from backend.api.permissions import DenyAll

from ..conftest import post_role_assignment

pytestmark = pytest.mark.django_db

THIRD_PARTY_VIEWS = {"SpectacularAPIView", "SpectacularSwaggerView"}


def api_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                if view is not None and issubclass(view, APIView):
                    yield prefix + str(pattern.pattern), view

    return list(walk(get_resolver().url_patterns))


def test_the_default_is_deny_all():
    assert len(api_settings.DEFAULT_PERMISSION_CLASSES) == 1
    assert api_settings.DEFAULT_PERMISSION_CLASSES[0] is DenyAll


@pytest.mark.parametrize(("route", "view"), api_views(), ids=lambda v: getattr(v, "__name__", v))
def test_every_api_view_declares_its_permission(route, view):
    declares = view.permission_classes != [DenyAll] or "get_permissions" in vars(view)
    assert declares, f"{route}: {view.__name__} relies on the default permission"
    if view.__name__ not in THIRD_PARTY_VIEWS:
        assert issubclass(view, IdempotencyMixin), f"{view.__name__} must use backend.api.base"


def test_deny_all_denies():
    assert DenyAll().has_permission(None, None) is False


ROLES = {
    "anonymous": None,
    "employer": (Role.EMPLOYER, []),
    "inspector": (Role.INSPECTOR, ["GM1783"]),
    "planner": (Role.PLANNER, ["GM1783", "GM1842"]),
    "enforcement_officer": (Role.ENFORCEMENT_OFFICER, ["GM1783"]),
    "municipal_admin": (Role.MUNICIPAL_ADMIN, ["GM1783"]),
    "other_admin": (Role.MUNICIPAL_ADMIN, ["GM0362"]),
    "national_readonly": (Role.NATIONAL_READONLY, []),
}
AUTHENTICATED = 200
# (method, path) -> expected status per role; anything not listed for a role answers `default`.
MATRIX = [
    ("get", "/api/v1/", {}, 200),
    ("get", "/healthz", {}, 200),
    ("get", "/api/schema/", {}, 200),
    ("get", "/api/v1/me/", {"anonymous": 401}, 200),
    ("get", "/api/v1/auth/tokens/", {"anonymous": 401}, 200),
    ("get", "/api/v1/municipalities/", {"anonymous": 401}, 200),
    ("get", "/api/v1/districts/", {"anonymous": 401}, 200),
    ("get", "/api/v1/neighbourhoods/", {"anonymous": 401}, 200),
    ("get", "/api/v1/locate/?lon=4.2&lat=52", {"anonymous": 401}, 200),
    (
        "get",
        "/api/v1/role-assignments/",
        {"anonymous": 401, "municipal_admin": 200, "other_admin": 200},
        403,
    ),
    (
        "post",
        "/api/v1/role-assignments/",
        {"anonymous": 401, "municipal_admin": 201, "other_admin": 403},
        403,
    ),
]


@pytest.fixture
def as_role(make_user, client_for, api_client):
    def make(name):
        spec = ROLES[name]
        return api_client if spec is None else client_for(make_user(*spec))

    return make


@pytest.mark.parametrize("role", list(ROLES))
def test_role_matrix(as_role, make_user, role):
    client = as_role(role)
    colleague = make_user()
    for method, path, expected, default in MATRIX:
        data = None
        if method == "post":
            data = {
                "username": colleague.username,
                "role": "inspector",
                "municipality_code": "GM1783",
            }
        response = getattr(client, method)(path, data, format="json")
        assert response.status_code == expected.get(role, default), f"{role} {method} {path}"


class TestRoleAssignmentsAreScopedToTheAdministratorsMunicipalities:
    @pytest.fixture
    def westland_staff(self, make_user):
        return make_user(Role.INSPECTOR, ["GM1783"])

    @pytest.fixture
    def other_admin(self, make_user, client_for):
        return client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM0362"]))

    def test_list_shows_only_own_municipalities(self, other_admin, westland_staff):
        rows = other_admin.get("/api/v1/role-assignments/").json()["results"]
        assert {r["municipality_code"] for r in rows} == {"GM0362"}

    def test_others_by_id_are_404_and_unchanged(self, other_admin, westland_staff):
        assignment = RoleAssignment.objects.get(user=westland_staff)
        assert other_admin.get(f"/api/v1/role-assignments/{assignment.pk}/").status_code == 404
        assert other_admin.delete(f"/api/v1/role-assignments/{assignment.pk}/").status_code == 404
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()

    def test_filter_cannot_widen_the_scope(self, other_admin, westland_staff):
        rows = other_admin.get("/api/v1/role-assignments/?municipality_code=GM1783").json()
        assert rows["results"] == []

    def test_granting_elsewhere_is_forbidden_and_writes_nothing(self, other_admin, make_user):
        user = make_user()
        response = post_role_assignment(other_admin, user.username)
        assert response.status_code == 403
        assert response.json()["detail"] == "You administer GM0362, not GM1783."
        assert not RoleAssignment.objects.filter(user=user).exists()

    def test_admin_grants_and_revokes_in_own_municipality(self, make_user, client_for):
        admin = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
        user = make_user()
        created = post_role_assignment(admin, user.username, "planner")
        assert created.status_code == 201
        assert created.json()["granted_by"] == admin.user.username
        assert admin.delete(f"/api/v1/role-assignments/{created.json()['id']}/").status_code == 204
        assert not RoleAssignment.objects.filter(user=user).exists()

    def test_admin_cannot_revoke_own_admin_role(self, make_user, client_for):
        admin = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
        own = RoleAssignment.objects.get(user=admin.user)
        response = admin.delete(f"/api/v1/role-assignments/{own.pk}/")
        assert response.status_code == 403
        assert RoleAssignment.objects.filter(pk=own.pk).exists()

    @pytest.mark.parametrize(
        ("role", "field"), [("employer", "role"), ("national_readonly", "role")]
    )
    def test_only_municipal_roles_can_be_granted(self, make_user, client_for, role, field):
        admin = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
        response = post_role_assignment(admin, make_user().username, role)
        assert response.status_code == 400
        assert field in response.json()["errors"]

    def test_employers_cannot_become_municipal_staff(self, make_user, client_for):
        admin = client_for(make_user(Role.MUNICIPAL_ADMIN, ["GM1783"]))
        employer = make_user(Role.EMPLOYER)
        response = post_role_assignment(admin, employer.username)
        assert response.status_code == 400
        assert "acts for an employer" in response.json()["errors"]["username"][0]


def test_database_refuses_a_municipal_role_without_municipality(make_user):
    from django.db import IntegrityError, transaction

    user = make_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.INSPECTOR, municipality_code=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.EMPLOYER, municipality_code="GM1783")
    RoleAssignment.objects.create(user=user, role=Role.EMPLOYER)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.EMPLOYER)
