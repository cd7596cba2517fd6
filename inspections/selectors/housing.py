"""Reads of housing locations: who may see which, and the figures lists and maps need.

The current declared, registered and observed occupancy are annotated in the database (one
subquery each, on indexed columns), so filtering on overcrowding never loads rows into Python.
"""

from datetime import date

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from backend.accounts.roles import MUNICIPAL_ROLES
from backend.accounts.selectors import grants_for
from geo.models import Municipality
from inspections.models import (
    Credential,
    HousingLocation,
    OccupancyDeclaration,
    OccupancyObservation,
    OrganisationStatus,
    RegisteredOccupancy,
)
from inspections.services.organisations import organisation_of

OCCUPANCY_SOURCES = ("declared", "registered", "observed")


def staff_municipalities(user) -> frozenset[str]:
    return grants_for(user).municipalities(MUNICIPAL_ROLES)


def municipality_ids(codes) -> list[int]:
    """The ids of municipalities (all years) by CBS code.

    Filtering locations on these ids rather than on a join to the code lets PostgreSQL use its
    statistics per municipality: it knows Westland holds far more locations than the average.
    """
    return list(Municipality.objects.filter(code__in=codes).order_by().values_list("pk", flat=True))


def locations_visible_to(user) -> QuerySet[HousingLocation]:
    """Staff: locations in their municipalities. Providers: the locations they registered."""
    condition = Q(pk__in=[])
    codes = staff_municipalities(user)
    if codes:
        condition |= Q(municipality_id__in=municipality_ids(codes))
    organisation = organisation_of(user)
    if organisation and organisation.status in (
        OrganisationStatus.PENDING,
        OrganisationStatus.VERIFIED,
    ):
        condition |= Q(provider=organisation)
    return HousingLocation.objects.filter(condition)


def with_occupancy(queryset: QuerySet[HousingLocation], *, today: date | None = None):
    """Annotate the current declared, the latest registered and the latest observed occupancy."""
    today = today or timezone.localdate()
    declared = OccupancyDeclaration.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        location=OuterRef("pk"),
        valid_from__lte=today,
    ).order_by("-valid_from")
    registered = RegisteredOccupancy.objects.filter(location=OuterRef("pk")).order_by(
        "-reference_date"
    )
    observed = OccupancyObservation.objects.filter(location=OuterRef("pk")).order_by(
        "-observed_on", "-id"
    )
    return queryset.annotate(
        declared_persons=Subquery(declared.values("persons")[:1]),
        declared_from=Subquery(declared.values("valid_from")[:1]),
        declared_until=Subquery(declared.values("valid_until")[:1]),
        registered_persons=Subquery(registered.values("persons")[:1]),
        registered_on=Subquery(registered.values("reference_date")[:1]),
        observed_persons=Subquery(observed.values("persons")[:1]),
        observed_on=Subquery(observed.values("observed_on")[:1]),
    )


def overcrowded(source: str | None = None) -> Q:
    """Locations where (one source of) occupancy exceeds the capacity; use after with_occupancy."""
    sources = [source] if source else OCCUPANCY_SOURCES
    condition = Q(pk__in=[])
    for name in sources:
        condition |= Q(**{f"{name}_persons__gt": F("capacity")})
    return condition


def within_capacity() -> Q:
    """No source exceeds the capacity (a source without figures does not count against it)."""
    condition = Q()
    for name in OCCUPANCY_SOURCES:
        condition &= Q(**{f"{name}_persons__isnull": True}) | Q(
            **{f"{name}_persons__lte": F("capacity")}
        )
    return condition


def certificate_expired(*, today: date | None = None) -> Q:
    """An SNF or AKF certificate of the location has expired and none is valid now."""
    today = today or timezone.localdate()
    expired = Credential.objects.filter(location=OuterRef("pk"), valid_until__lt=today)
    valid = Credential.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        location=OuterRef("pk"),
        valid_from__lte=today,
    )
    return Exists(expired) & ~Exists(valid)


def permit_expired(*, today: date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(landlord_permit_valid_until__lt=today)


def location_details(queryset: QuerySet[HousingLocation]) -> QuerySet[HousingLocation]:
    """Everything a location's representation shows, in a constant number of queries."""
    return with_occupancy(
        queryset.select_related(
            "municipality",
            "district",
            "neighbourhood",
            "provider",
            "landlord",
            "operator",
            "norm_profile",
        ).prefetch_related("bedrooms", "employers", "credentials")
    )
