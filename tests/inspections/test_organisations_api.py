"""Sign-up, verification by the municipality, and organisations keeping their own details."""

import pytest

from backend.accounts.models import RoleAssignment, User
from backend.audit.models import AuditEvent
from inspections.models import Organisation, OrganisationStatus

from .conftest import make_member, make_organisation, register

pytestmark = pytest.mark.django_db

SIGNUP = {
    "user": {
        "username": "jan.agency",
        "password": "Tomaten-Kas-2026!",
        "email": "jan@agency.example",
    },
    "organisation": {
        "kvk_number": "41234567",
        "name": "Flex Uitzend BV",
        "is_temp_agency": True,
        "is_housing_provider": True,
        "street": "Zuidweg",
        "house_number": 3,
        "postcode": "2671 mn",
        "place": "Naaldwijk",
        "contact_name": "J. Jansen",
        "contact_email": "planning@agency.example",
        "municipality_code": "GM1783",
    },
}


def signup(client, **organisation):
    return client.post(
        "/api/v1/signup/",
        {**SIGNUP, "organisation": {**SIGNUP["organisation"], **organisation}},
        format="json",
    )


def test_sign_up_creates_a_pending_organisation_and_its_account(api_client, demo_region):
    response = signup(api_client)

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["kvk_number"], body["postcode"]) == (
        "pending",
        "41234567",
        "2671 MN",
    )
    user = User.objects.get(username="jan.agency")
    assert user.organisation_membership.organisation.pk == body["id"]
    assert RoleAssignment.objects.filter(user=user, role="employer").exists()
    assert AuditEvent.objects.filter(
        action="create", target_id=str(body["id"]), municipality_code="GM1783"
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kvk_number": "1234567"}, "organisation.kvk_number", "exactly 8 digits"),
        ({"kvk_number": "1234567A"}, "organisation.kvk_number", "exactly 8 digits"),
        ({"kvk_number": "00000000"}, "organisation.kvk_number", "exactly 8 digits"),
        ({"postcode": "26710AB"}, "organisation.postcode", "A postcode is 4 digits"),
        ({"municipality_code": "1783"}, "organisation.municipality_code", ""),
        (
            {"is_temp_agency": False, "is_housing_provider": False},
            "organisation",
            "Say what the organisation is",
        ),
        ({"contact_email": "no-email"}, "organisation.contact_email", "valid email"),
    ],
)
def test_bad_sign_ups_are_explained_and_store_nothing(
    api_client, demo_region, changes, field, message
):
    response = signup(api_client, **changes)
    assert response.status_code == 400
    assert message in response.json()["errors"][field][0]
    assert not User.objects.filter(username="jan.agency").exists()
    assert not Organisation.objects.exists()


def test_a_weak_password_is_refused(api_client, demo_region):
    payload = {**SIGNUP, "user": {**SIGNUP["user"], "password": "12345678"}}
    response = api_client.post("/api/v1/signup/", payload, format="json")
    assert response.status_code == 400
    assert "user.password" in response.json()["errors"]
    assert not Organisation.objects.exists()


def test_a_kvk_number_with_an_account_is_a_conflict(api_client, demo_region):
    make_organisation("41234567")
    response = signup(api_client)
    assert response.status_code == 409
    assert "has an account already" in response.json()["detail"]
    assert not User.objects.filter(username="jan.agency").exists()


def test_an_organisation_named_by_others_is_claimed_not_duplicated(api_client, demo_region):
    named = Organisation.objects.create(
        kvk_number="41234567", name="Flex?", status=OrganisationStatus.UNREGISTERED
    )
    response = signup(api_client)
    assert response.json()["id"] == named.pk
    named.refresh_from_db()
    assert (named.status, named.name) == ("pending", "Flex Uitzend BV")


class TestVerification:
    @pytest.fixture
    def pending(self, demo_region):
        return make_organisation("41234567", status="pending")

    def decide(self, client, organisation, decision, reason=""):
        return client.post(
            f"/api/v1/organisations/{organisation.pk}/decision/",
            {"decision": decision, "reason": reason},
            format="json",
        )

    def test_the_municipal_admin_verifies_and_the_organisation_may_then_register(
        self, westland_admin, pending, client_for
    ):
        member = client_for(make_member(pending))
        response = self.decide(westland_admin, pending, "verify")
        assert response.status_code == 200
        assert response.json()["status"] == "verified"
        pending.refresh_from_db()
        assert pending.verified_by == westland_admin.user
        assert AuditEvent.objects.filter(action="verify", target_id=str(pending.pk)).exists()
        from .conftest import location_payload

        assert (
            member.post("/api/v1/locations/", location_payload(), format="json").status_code == 201
        )

    def test_rejection_needs_a_reason(self, westland_admin, pending):
        response = self.decide(westland_admin, pending, "reject")
        assert response.json()["errors"]["reason"] == [
            "Give the reason; the organisation will see it."
        ]
        assert (
            self.decide(westland_admin, pending, "reject", "KvK klopt niet").json()["status"]
            == "rejected"
        )

    def test_illegal_decisions_say_which_are_possible(self, westland_admin, pending):
        response = self.decide(westland_admin, pending, "reinstate")
        assert response.status_code == 409
        assert response.json()["possible_decisions"] == ["verify", "reject"]

    def test_only_the_municipality_where_it_signed_up_decides(self, make_user, client_for, pending):
        horst_admin = client_for(make_user("municipal_admin", ["GM1507"]))
        # Not visible at all to Horst: it signed up in Westland and has no housing in Horst.
        assert self.decide(horst_admin, pending, "verify").status_code == 404
        pending.refresh_from_db()
        assert pending.status == "pending"

    def test_suspension_locks_the_members_out(self, westland_admin, client_for, demo_region):
        organisation = make_organisation("41234567")
        member = client_for(make_member(organisation))
        assert member.get("/api/v1/locations/").status_code == 200
        self.decide(westland_admin, organisation, "suspend", "overbewoning op 3 adressen")
        response = member.get("/api/v1/organisations/")
        assert response.status_code == 403
        assert "suspended (overbewoning op 3 adressen)" in response.json()["detail"]
        self.decide(westland_admin, organisation, "reinstate")
        assert member.get("/api/v1/organisations/").status_code == 200


class TestOwnDetails:
    def test_members_edit_their_organisation_with_if_match(self, provider_a, agency_a):
        url = f"/api/v1/organisations/{agency_a.pk}/"
        etag = provider_a.get(url)["ETag"]
        response = provider_a.patch(
            url, {"contact_phone": "+31 174 123456"}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 200
        assert response.json()["contact_phone"] == "+31 174 123456"
        event = AuditEvent.objects.get(action="update", target_id=str(agency_a.pk))
        assert event.changes == {"contact_phone": ["", "+31 174 123456"]}

    def test_kvk_number_and_municipality_cannot_be_changed(self, provider_a, agency_a):
        url = f"/api/v1/organisations/{agency_a.pk}/"
        provider_a.patch(
            url, {"kvk_number": "99999999", "municipality_code": "GM1507"}, format="json"
        )
        agency_a.refresh_from_db()
        assert (agency_a.kvk_number, agency_a.municipality_code) == ("10000001", "GM1783")

    def test_staff_cannot_edit_an_organisation(self, westland_admin, agency_a):
        response = westland_admin.patch(
            f"/api/v1/organisations/{agency_a.pk}/", {"name": "X"}, format="json"
        )
        assert response.status_code == 403

    def test_staff_read_an_organisation_named_by_others(self, westland_inspector, agency_a):
        # Named as landlord: no account and no municipality of its own, so the read is logged
        # under the reader's municipality.
        location = register(agency_a, landlord={"kvk_number": "41234567", "name": "Verhuur BV"})
        landlord = location.landlord
        assert landlord.municipality_code == ""
        response = westland_inspector.get(f"/api/v1/organisations/{landlord.pk}/")
        assert response.status_code == 200
        assert response.json()["status"] == "unregistered"
        event = AuditEvent.objects.get(action="view", target_id=str(landlord.pk))
        assert event.municipality_code == "GM1783"

    def test_staff_reads_of_contact_details_are_logged(
        self, westland_inspector, provider_a, agency_a
    ):
        provider_a.get(f"/api/v1/organisations/{agency_a.pk}/")
        assert not AuditEvent.objects.filter(action="view").exists()  # members reading their own
        westland_inspector.get(f"/api/v1/organisations/{agency_a.pk}/")
        event = AuditEvent.objects.get(action="view")
        assert (event.actor, event.target_id, event.municipality_code) == (
            westland_inspector.user,
            str(agency_a.pk),
            "GM1783",
        )
