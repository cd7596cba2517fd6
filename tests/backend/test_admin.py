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


def test_organisation_verification_in_the_back_office(staff_client, demo_region):
    from inspections.models import Organisation

    organisation = Organisation.objects.create(
        kvk_number="41234567", name="Flex BV", status="pending", municipality_code="GM1783"
    )
    url = f"/admin/inspections/organisation/{organisation.pk}/change/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"decision": "verify", "reason": "", **_empty_inlines()})
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation.refresh_from_db()
    assert organisation.status == "verified"


def _empty_inlines() -> dict:
    return {
        f"{prefix}-{key}": value
        for prefix in ("members", "credentials")
        for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MAX_NUM_FORMS", "1000"))
    }


def test_location_admin_shows_a_map_and_verifies_through_the_service(staff_client, demo_region):
    from inspections.models import HousingLocation
    from tests.inspections.conftest import make_organisation, register

    location = register(make_organisation("10000001"))
    response = staff_client.get(f"/admin/inspections/housinglocation/{location.pk}/change/")
    assert response.status_code == 200
    assert "OLMapWidget" in response.content.decode()
    staff_client.post(
        "/admin/inspections/housinglocation/",
        {"action": "verify", "_selected_action": [location.pk]},
    )
    assert HousingLocation.objects.get(pk=location.pk).status == "verified"


def test_norm_profile_changes_recompute_capacities(staff_client, demo_region):
    from inspections.models import HousingLocation, NormProfile
    from tests.inspections.conftest import make_organisation, register

    location = register(make_organisation("10000001"))
    profile = NormProfile.objects.get(code="snf-residence")
    data = {
        "code": profile.code,
        "name": profile.name,
        "source": profile.source,
        "floor_area_per_person_m2": "25",
        "bedroom_area_per_person_m2": "3.5",
        "persons_per_bedroom": "",
        "persons_per_toilet": "8",
        "persons_per_shower": "8",
    }
    response = staff_client.post(f"/admin/inspections/normprofile/{profile.pk}/change/", data)
    assert response.status_code == 302
    assert HousingLocation.objects.get(pk=location.pk).capacity == 4  # 100 m² / 25


def test_fieldwork_in_the_back_office_is_read_only(staff_client, demo_region):
    from inspections.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(code="snf-inspection")
    response = staff_client.get(f"/admin/inspections/checklisttemplate/{template.pk}/change/")
    assert response.status_code == 200
    assert "FIRE-02" in response.content.decode()
    for model in ("inspection", "violation", "photo"):
        assert staff_client.get(f"/admin/inspections/{model}/").status_code == 200
    assert staff_client.get("/admin/inspections/inspection/add/").status_code == 403
