"""Writes about occupancy: what providers declare and what inspectors count. Counts only."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.api.problems import Conflict
from backend.audit.services import record_event
from inspections.models import HousingLocation, OccupancyDeclaration, OccupancyObservation


@transaction.atomic
def declare_occupancy(
    *,
    actor: User,
    location: HousingLocation,
    persons: int,
    valid_from: date,
    valid_until: date | None = None,
) -> OccupancyDeclaration:
    """The provider declares how many persons live at the location from a date (until a date)."""
    existing = location.declarations.filter(valid_from=valid_from).first()
    if existing:
        raise Conflict(
            _(
                "A declaration from %(date)s exists already (declaration %(id)s); declare from "
                "another date, or close that one first."
            )
            % {"date": valid_from.isoformat(), "id": existing.pk},
            existing={"id": existing.pk},
        )
    try:
        with transaction.atomic():
            declaration = OccupancyDeclaration.objects.create(
                location=location,
                persons=persons,
                valid_from=valid_from,
                valid_until=valid_until,
                declared_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("A declaration from this date was made at the same moment.")) from exc
    record_event(
        actor=actor,
        action="create",
        target=declaration,
        municipality_code=location.municipality.code,
        changes={"persons": [None, persons]},
        detail=f"location {location.pk}",
    )
    return declaration


@transaction.atomic
def record_observation(
    *,
    actor: User,
    location: HousingLocation,
    observed_on: date,
    persons: int,
    beds_in_use: int | None = None,
    bedrooms_in_use: int | None = None,
    note: str = "",
) -> OccupancyObservation:
    """What an inspector counted on site."""
    observation = OccupancyObservation.objects.create(
        location=location,
        observed_on=observed_on,
        persons=persons,
        beds_in_use=beds_in_use,
        bedrooms_in_use=bedrooms_in_use,
        note=note,
        observed_by=actor,
    )
    record_event(
        actor=actor,
        action="create",
        target=observation,
        municipality_code=location.municipality.code,
        changes={"persons": [None, persons]},
        detail=f"location {location.pk}",
    )
    return observation
