"""Writes about credentials: certificates and admissions of organisations and locations."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.api.problems import Conflict
from backend.audit.services import diff, record_event, snapshot
from inspections.models import Credential, CredentialKind

# The Wtta (Wet toelating terbeschikkingstelling arbeidskrachten) applies from this date.
WTTA_IN_FORCE = date(2027, 1, 1)
FIELDS = ["kind", "number", "issuer", "valid_from", "valid_until", "organisation_id", "location_id"]


def _municipality_code(credential: Credential) -> str:
    if credential.location_id:
        return credential.location.municipality.code
    return credential.organisation.municipality_code or None


def _check(credential: Credential) -> None:
    if credential.kind == CredentialKind.WTTA_ADMISSION and credential.valid_from < WTTA_IN_FORCE:
        raise ValidationError(
            {"valid_from": [_("Wtta admissions exist from 1 January 2027; check the date.")]}
        )
    if credential.valid_until and credential.valid_until < credential.valid_from:
        raise ValidationError({"valid_until": [_("Ends before it starts.")]})


def _save(credential: Credential) -> None:
    _check(credential)
    try:
        with transaction.atomic():
            credential.save()
    except IntegrityError as exc:
        raise Conflict(
            _("%(kind)s number %(number)s from %(issuer)s is registered already.")
            % {
                "kind": credential.get_kind_display(),
                "number": credential.number,
                "issuer": credential.issuer,
            }
        ) from exc


@transaction.atomic
def add_credential(*, actor: User, data: dict) -> Credential:
    credential = Credential(**data)
    _save(credential)
    record_event(
        actor=actor,
        action="create",
        target=credential,
        municipality_code=_municipality_code(credential),
        changes=diff({}, snapshot(credential, FIELDS)),
    )
    return credential


@transaction.atomic
def update_credential(*, actor: User, credential: Credential, data: dict) -> Credential:
    before = snapshot(credential, FIELDS)
    for field, value in data.items():
        setattr(credential, field, value)
    _save(credential)
    changes = diff(before, snapshot(credential, FIELDS))
    if changes:
        record_event(
            actor=actor,
            action="update",
            target=credential,
            municipality_code=_municipality_code(credential),
            changes=changes,
        )
    return credential


@transaction.atomic
def remove_credential(*, actor: User, credential: Credential) -> None:
    record_event(
        actor=actor,
        action="delete",
        target=credential,
        municipality_code=_municipality_code(credential),
        changes=diff(snapshot(credential, FIELDS), {}),
    )
    credential.delete()
