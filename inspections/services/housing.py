"""Writes about housing locations: registration, changes, status; derives areas and capacity."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import User
from backend.api.problems import Conflict
from backend.audit.services import diff, record_event, snapshot
from geo.coordinates import distance_m
from geo.services.locate import locate_point
from inspections.models import Bedroom, HousingLocation, LocationStatus, Organisation

from .norms import capacity_of, figures_of, profile_for
from .organisations import party_for

ADDRESS_FIELDS = [
    "street",
    "house_number",
    "house_letter",
    "house_number_addition",
    "postcode",
    "place",
]
FIGURE_FIELDS = ["kind", "usable_floor_area_m2", "toilets", "showers", "kitchens"]
SIMPLE_FIELDS = [
    *ADDRESS_FIELDS,
    "bag_verblijfsobject_id",
    "bag_nummeraanduiding_id",
    *FIGURE_FIELDS,
    "landlord_permit_number",
    "landlord_permit_valid_from",
    "landlord_permit_valid_until",
]
AUDITED_FIELDS = [*SIMPLE_FIELDS, "point", "outline", "landlord_id", "operator_id", "capacity"]
# A building outline should be the building at the point, not somewhere else.
MAX_OUTLINE_DISTANCE_M = 100

# status -> statuses staff may move a location to; providers may only close their own.
STAFF_TRANSITIONS = {
    LocationStatus.REGISTERED: {
        LocationStatus.VERIFIED,
        LocationStatus.SUSPENDED,
        LocationStatus.CLOSED,
    },
    LocationStatus.VERIFIED: {LocationStatus.SUSPENDED, LocationStatus.CLOSED},
    LocationStatus.SUSPENDED: {LocationStatus.VERIFIED, LocationStatus.CLOSED},
    LocationStatus.CLOSED: set(),
}
PROVIDER_TRANSITIONS = {
    status: ({LocationStatus.CLOSED} if status != LocationStatus.CLOSED else set())
    for status in LocationStatus
}


def _ensure_unique(location: HousingLocation) -> None:
    others = HousingLocation.objects.exclude(pk=location.pk)
    same_address = others.filter(
        postcode=location.postcode,
        house_number=location.house_number,
        house_letter=location.house_letter,
        house_number_addition=location.house_number_addition,
    ).first()
    if same_address:
        raise Conflict(
            _("This address is registered already, as location %(id)s (%(address)s).")
            % {"id": same_address.pk, "address": same_address.address_line},
            existing={"id": same_address.pk, "address": same_address.address_line},
        )
    if location.bag_verblijfsobject_id:
        same_bag = others.filter(bag_verblijfsobject_id=location.bag_verblijfsobject_id).first()
        if same_bag:
            raise Conflict(
                _(
                    "BAG verblijfsobject %(bag)s is registered already, as location %(id)s "
                    "(%(address)s)."
                )
                % {
                    "bag": location.bag_verblijfsobject_id,
                    "id": same_bag.pk,
                    "address": same_bag.address_line,
                },
                existing={"id": same_bag.pk, "address": same_bag.address_line},
            )


def _derive_areas(location: HousingLocation) -> None:
    match = locate_point(location.point)
    if match.municipality is None:
        raise ValidationError(
            {
                "point": [
                    _(
                        "(%(lon).5f, %(lat).5f) lies in no Dutch municipality: at sea or abroad. "
                        "Check the coordinates (WGS84 lon, lat, or RD New with crs EPSG:28992)."
                    )
                    % {"lon": location.point.x, "lat": location.point.y}
                ]
            }
        )
    location.municipality = match.municipality
    location.district = match.district
    location.neighbourhood = match.neighbourhood


def _check_outline(location: HousingLocation) -> None:
    if location.outline is None:
        return
    distance = distance_m(location.outline, location.point)
    if distance > MAX_OUTLINE_DISTANCE_M:
        raise ValidationError(
            {
                "outline": [
                    _("The building outline lies %(d)d m from the point; it should contain it.")
                    % {"d": distance}
                ]
            }
        )


def _apply(location: HousingLocation, data: dict) -> None:
    for field in SIMPLE_FIELDS:
        if field in data:
            setattr(location, field, data[field])
    if "point" in data:
        location.point = data["point"]
        _derive_areas(location)
    if "outline" in data:
        location.outline = data["outline"]
    for role in ("landlord", "operator"):
        if role in data:
            party = data[role]
            setattr(location, role, party_for(**party) if party else None)
    _check_outline(location)


def _save_related(location: HousingLocation, data: dict) -> None:
    # Forget prefetched rows (selectors prefetch them), or what follows would read stale ones.
    getattr(location, "_prefetched_objects_cache", {}).clear()
    if "bedrooms" in data:
        location.bedrooms.all().delete()
        Bedroom.objects.bulk_create(Bedroom(location=location, **room) for room in data["bedrooms"])
    if "employers" in data:
        location.employers.set([party_for(**party) for party in data["employers"]])


def _derive_capacity(location: HousingLocation) -> None:
    profile = profile_for(municipality_code=location.municipality.code, kind=location.kind)
    capacity = capacity_of(figures_of(location), profile).persons
    if (location.norm_profile_id, location.capacity) != (profile.pk, capacity):
        location.norm_profile, location.capacity = profile, capacity
        location.save(update_fields=["norm_profile", "capacity"])


def _save(location: HousingLocation, data: dict) -> None:
    _ensure_unique(location)
    if location.pk is None:
        # Placeholders until the bedrooms exist; _derive_capacity sets the real values.
        location.norm_profile = profile_for(
            municipality_code=location.municipality.code, kind=location.kind
        )
        location.capacity = 0
    try:
        with transaction.atomic():
            location.save()
    except IntegrityError as exc:  # a concurrent registration of the same address won the race
        raise Conflict(
            _("This address or BAG id was registered at the same moment; reload.")
        ) from exc
    _save_related(location, data)
    _derive_capacity(location)


@transaction.atomic
def register_location(*, actor: User, provider: Organisation, data: dict) -> HousingLocation:
    """A verified employer or agency registers housing it provides."""
    if not provider.may_register_housing:
        raise PermissionDenied(
            _(
                "Your organisation is %(status)s; it may register housing once a municipal "
                "administrator has verified it."
            )
            % {"status": provider.get_status_display().lower()}
        )
    if not data.get("bedrooms"):
        raise ValidationError(
            {"bedrooms": [_("Give at least one bedroom with its floor area and beds.")]}
        )
    location = HousingLocation(provider=provider, created_by=actor)
    _apply(location, data)
    _save(location, data)
    record_event(
        actor=actor,
        action="create",
        target=location,
        municipality_code=location.municipality.code,
        changes=diff({}, snapshot(location, AUDITED_FIELDS)),
    )
    return location


def _bedroom_rows(location: HousingLocation) -> list[list]:
    return [[b.label, b.floor_area_m2, b.beds] for b in location.bedrooms.all()]


@transaction.atomic
def update_location(
    *, actor: User, location: HousingLocation, data: dict, by_staff: bool
) -> HousingLocation:
    """Change a location. A provider's change of figures sends a verified location back to
    'registered', because the municipality verified other figures."""
    if location.status == LocationStatus.CLOSED:
        raise Conflict(_("Location %(id)s is closed; it cannot be changed.") % {"id": location.pk})
    before = snapshot(location, AUDITED_FIELDS)
    before["bedrooms"] = _bedroom_rows(location)
    _apply(location, data)
    _save(location, data)
    changes = diff(
        before, {**snapshot(location, AUDITED_FIELDS), "bedrooms": _bedroom_rows(location)}
    )
    figures_changed = bool({*FIGURE_FIELDS, "bedrooms"} & set(changes))
    if figures_changed and not by_staff and location.status == LocationStatus.VERIFIED:
        location.status = LocationStatus.REGISTERED
        location.status_reason = _("Figures changed by the provider; to be verified again.")
        location.save(update_fields=["status", "status_reason"])
        changes["status"] = [LocationStatus.VERIFIED, LocationStatus.REGISTERED]
    if changes:
        record_event(
            actor=actor,
            action="update",
            target=location,
            municipality_code=location.municipality.code,
            changes=changes,
        )
    return location


@transaction.atomic
def change_location_status(
    *, actor: User, location: HousingLocation, status: str, reason: str, by_staff: bool
) -> HousingLocation:
    transitions = STAFF_TRANSITIONS if by_staff else PROVIDER_TRANSITIONS
    possible = sorted(transitions[location.status])
    if status not in possible:
        raise Conflict(
            _("A location that is %(current)s cannot become %(new)s here; possible: %(possible)s.")
            % {"current": location.status, "new": status, "possible": ", ".join(possible) or "-"},
            possible_statuses=possible,
        )
    if status in (LocationStatus.SUSPENDED, LocationStatus.CLOSED) and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for this change.")]})
    old = location.status
    location.status, location.status_reason = status, reason
    location.save(update_fields=["status", "status_reason", "updated_at"])
    record_event(
        actor=actor,
        action="status_change",
        target=location,
        municipality_code=location.municipality.code,
        changes={"status": [old, status]},
        detail=reason,
    )
    return location
