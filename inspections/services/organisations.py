"""Writes about organisations: sign-up, verification decisions, edits, parties named by others."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import RoleAssignment, User
from backend.accounts.roles import Role
from backend.accounts.selectors import administered_municipalities
from backend.api.problems import Conflict
from backend.audit.services import diff, record_event, snapshot
from inspections.models import Organisation, OrganisationMembership, OrganisationStatus

# Fields an organisation's own members may change (the KvK number identifies it: never).
EDITABLE_FIELDS = [
    "name",
    "is_employer",
    "is_temp_agency",
    "is_landlord",
    "is_housing_provider",
    "street",
    "house_number",
    "house_letter",
    "house_number_addition",
    "postcode",
    "place",
    "contact_name",
    "contact_email",
    "contact_phone",
]

# decision -> (statuses it may be taken from, status it leads to)
DECISIONS = {
    "verify": ({OrganisationStatus.PENDING}, OrganisationStatus.VERIFIED),
    "reject": ({OrganisationStatus.PENDING}, OrganisationStatus.REJECTED),
    "suspend": ({OrganisationStatus.VERIFIED}, OrganisationStatus.SUSPENDED),
    "reinstate": ({OrganisationStatus.SUSPENDED}, OrganisationStatus.VERIFIED),
}


@dataclass(frozen=True)
class SignUp:
    user: User
    organisation: Organisation


@transaction.atomic
def sign_up(*, username: str, password: str, email: str, organisation: dict) -> SignUp:
    """An employer or agency signs up: an account and its organisation, pending verification.

    An organisation that others already named (as landlord, operator or employer) is claimed
    rather than duplicated; one that signed up before is a conflict.
    """
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("The username %(name)s is taken; choose another.") % {"name": username})
    user = User(username=username, email=email)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({"user.password": list(exc.messages)}) from exc
    existing = (
        Organisation.objects.select_for_update()
        .filter(kvk_number=organisation["kvk_number"])
        .first()
    )
    if existing and existing.status != OrganisationStatus.UNREGISTERED:
        raise Conflict(
            _(
                "An organisation with KvK number %(kvk)s has an account already. Ask one of its "
                "members to add you, or contact the municipality."
            )
            % {"kvk": organisation["kvk_number"]}
        )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same username signed up at the same moment
        raise Conflict(
            _("The username %(name)s is taken; choose another.") % {"name": username}
        ) from exc
    org = existing or Organisation()
    for field, value in organisation.items():
        setattr(org, field, value)
    org.status = OrganisationStatus.PENDING
    org.save()
    OrganisationMembership.objects.create(user=user, organisation=org)
    RoleAssignment.objects.create(user=user, role=Role.EMPLOYER)
    record_event(
        actor=user,
        action="create",
        target=org,
        municipality_code=org.municipality_code,
        detail="signed up" + (" (claimed an organisation named by others)" if existing else ""),
    )
    return SignUp(user=user, organisation=org)


def party_for(*, kvk_number: str, name: str) -> Organisation:
    """The organisation with this KvK number, or a new 'unregistered' one named by the caller."""
    organisation, _created = Organisation.objects.get_or_create(
        kvk_number=kvk_number,
        defaults={"name": name, "status": OrganisationStatus.UNREGISTERED},
    )
    return organisation


def organisation_of(user: User) -> Organisation | None:
    membership = getattr(user, "organisation_membership", None) if user.is_authenticated else None
    return membership.organisation if membership else None


def require_active_organisation(user: User) -> Organisation:
    """The user's organisation, if it may act at all (not rejected or suspended)."""
    organisation = organisation_of(user)
    if organisation is None:
        raise PermissionDenied(_("Your account does not belong to an organisation."))
    if organisation.status in (OrganisationStatus.REJECTED, OrganisationStatus.SUSPENDED):
        raise PermissionDenied(
            _("Your organisation is %(status)s (%(reason)s); contact the municipality.")
            % {
                "status": organisation.get_status_display().lower(),
                "reason": organisation.status_reason or "-",
            }
        )
    return organisation


@transaction.atomic
def update_organisation(*, actor: User, organisation: Organisation, data: dict) -> Organisation:
    before = snapshot(organisation, EDITABLE_FIELDS)
    for field, value in data.items():
        if field not in EDITABLE_FIELDS:
            raise ValidationError({field: [_("This field cannot be changed.")]})
        setattr(organisation, field, value)
    organisation.save()
    changes = diff(before, snapshot(organisation, EDITABLE_FIELDS))
    if changes:
        record_event(
            actor=actor,
            action="update",
            target=organisation,
            municipality_code=organisation.municipality_code,
            changes=changes,
        )
    return organisation


@transaction.atomic
def decide_on_organisation(
    *, actor: User, organisation: Organisation, decision: str, reason: str = ""
) -> Organisation:
    """A municipal administrator verifies, rejects, suspends or reinstates an organisation
    (or a superuser, in the back office)."""
    if not actor.is_superuser and organisation.municipality_code not in administered_municipalities(
        actor
    ):
        raise PermissionDenied(
            _("Organisations that signed up in %(code)s are verified by that municipality.")
            % {"code": organisation.municipality_code or "-"}
        )
    allowed_from, new_status = DECISIONS[decision]
    if organisation.status not in allowed_from:
        possible = [d for d, (sources, _s) in DECISIONS.items() if organisation.status in sources]
        raise Conflict(
            _("Cannot %(decision)s an organisation that is %(status)s; possible: %(possible)s.")
            % {
                "decision": decision,
                "status": organisation.status,
                "possible": ", ".join(possible) or "-",
            },
            possible_decisions=possible,
        )
    if decision in ("reject", "suspend") and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason; the organisation will see it.")]})
    old_status = organisation.status
    organisation.status = new_status
    organisation.status_reason = reason
    if new_status == OrganisationStatus.VERIFIED:
        organisation.verified_by, organisation.verified_at = actor, timezone.now()
    organisation.save()
    record_event(
        actor=actor,
        action="verify" if decision == "verify" else "status_change",
        target=organisation,
        municipality_code=organisation.municipality_code,
        changes={"status": [old_status, new_status]},
        detail=reason,
    )
    return organisation
