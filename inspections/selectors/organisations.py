"""Reads of organisations: staff see those in or active in their municipalities; members their own."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from inspections.models import HousingLocation, Organisation
from inspections.services.organisations import organisation_of

from .housing import staff_municipalities


def organisations_visible_to(user) -> QuerySet[Organisation]:
    condition = Q(pk__in=[])
    codes = staff_municipalities(user)
    if codes:
        in_municipality = HousingLocation.objects.filter(municipality__code__in=codes)
        condition |= (
            Q(municipality_code__in=codes)
            | Exists(in_municipality.filter(provider=OuterRef("pk")))
            | Exists(in_municipality.filter(landlord=OuterRef("pk")))
            | Exists(in_municipality.filter(operator=OuterRef("pk")))
            | Exists(in_municipality.filter(employers=OuterRef("pk")))
        )
    own = organisation_of(user)
    if own:
        condition |= Q(pk=own.pk)
    return Organisation.objects.filter(condition)


def audit_municipality(user, organisation: Organisation) -> str:
    """Where a staff member's read of an organisation is logged: its municipality if the reader
    serves it, else the reader's first municipality (whose administrators see what staff read).
    Organisations named by others have no municipality of their own."""
    codes = sorted(staff_municipalities(user))
    return organisation.municipality_code if organisation.municipality_code in codes else codes[0]
