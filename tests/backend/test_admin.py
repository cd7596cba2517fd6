"""The back office: Django admin with map widgets for boundaries."""

import pytest

from backend.accounts.models import ApiToken
from geo.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw-123456")
    client.force_login(user)
    return client


def test_admin_index_lists_areas_and_accounts(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    for path in (
        "/admin/geo/municipality/",
        "/admin/accounts/roleassignment/",
        "/admin/accounts/apitoken/",
    ):
        assert path in html


def test_area_change_page_has_a_map_widget(staff_client, demo_region):
    westland = Municipality.objects.get(code="GM1783")
    response = staff_client.get(f"/admin/geo/municipality/{westland.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "OLMapWidget" in html
    assert "MultiPolygon" in html


def test_area_lists_search_and_filter(staff_client, demo_region):
    response = staff_client.get("/admin/geo/district/?q=naaldwijk")
    assert response.status_code == 200
    assert "WK178301" in response.content.decode()


def test_token_admin_lists_tokens_but_not_their_secret(staff_client, django_user_model):
    user = django_user_model.objects.get(username="root")
    token, secret = ApiToken.objects.create(user=user, name="phone")
    response = staff_client.get("/admin/accounts/apitoken/")
    assert response.status_code == 200
    html = response.content.decode()
    assert token.token_key in html
    assert secret not in html  # only a hash is stored, so it cannot be shown
