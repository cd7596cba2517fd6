"""Capacity and overcrowding: the only place where norms are applied to a location.

capacity_of() is a pure function of a location's figures and a norm profile, so every figure
it returns can be checked by hand; each limit comes back as a term with its arithmetic.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.api.problems import Conflict
from backend.audit.services import record_event
from inspections.models import HousingLocation, NormProfile, NormProfileAssignment

# How limits and occupancy sources are named to people (the codes stay English in the API).
LIMIT_LABELS = {
    "floor_area": gettext_lazy("floor area"),
    "bedrooms": gettext_lazy("bedrooms"),
    "toilets": gettext_lazy("toilets"),
    "showers": gettext_lazy("showers"),
}
SOURCE_LABELS = {
    "declared": gettext_lazy("declared"),
    "registered": gettext_lazy("registered"),
    "observed": gettext_lazy("observed"),
}


@dataclass(frozen=True)
class BedroomFigures:
    label: str
    floor_area_m2: Decimal
    beds: int


@dataclass(frozen=True)
class LocationFigures:
    usable_floor_area_m2: Decimal
    bedrooms: Sequence[BedroomFigures]
    toilets: int
    showers: int

    @property
    def beds(self) -> int:
        return sum(b.beds for b in self.bedrooms)


@dataclass(frozen=True)
class CapacityTerm:
    limit: str  # floor_area, bedrooms, toilets, showers
    persons: int
    explanation: str


@dataclass(frozen=True)
class Capacity:
    persons: int
    profile: NormProfile
    terms: tuple[CapacityTerm, ...]

    @property
    def binding(self) -> list[str]:
        """The limits that set the capacity (several when they tie)."""
        return [t.limit for t in self.terms if t.persons == self.persons]


def _whole_persons(area: Decimal, per_person: Decimal) -> int:
    return int((Decimal(area) / Decimal(per_person)).to_integral_value(rounding=ROUND_FLOOR))


def _m2(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _bedroom_persons(bedroom: BedroomFigures, profile: NormProfile) -> tuple[int, str]:
    parts, limits = [], []
    if profile.bedroom_area_per_person_m2:
        by_area = _whole_persons(bedroom.floor_area_m2, profile.bedroom_area_per_person_m2)
        limits.append(by_area)
        parts.append(
            f"{_m2(bedroom.floor_area_m2)} m² ÷ "
            f"{_m2(profile.bedroom_area_per_person_m2)} m² = {by_area}"
        )
    if profile.persons_per_bedroom:
        limits.append(profile.persons_per_bedroom)
        parts.append(_("at most %(n)d per bedroom") % {"n": profile.persons_per_bedroom})
    persons = min(limits)
    return persons, f"{bedroom.label}: {', '.join(parts)} → {persons}"


def capacity_of(figures: LocationFigures, profile: NormProfile) -> Capacity:
    """How many persons the norm allows: the smallest of its limits, each explained."""
    by_floor = _whole_persons(figures.usable_floor_area_m2, profile.floor_area_per_person_m2)
    terms = [
        CapacityTerm(
            "floor_area",
            by_floor,
            _("%(area)s m² usable floor area ÷ %(pp)s m² per person = %(persons)d (rounded down)")
            % {
                "area": _m2(figures.usable_floor_area_m2),
                "pp": _m2(profile.floor_area_per_person_m2),
                "persons": by_floor,
            },
        )
    ]
    if profile.persons_per_bedroom or profile.bedroom_area_per_person_m2:
        rooms = [_bedroom_persons(b, profile) for b in figures.bedrooms]
        by_rooms = sum(persons for persons, _line in rooms)
        lines = "; ".join(line for _persons, line in rooms) or _("no bedrooms")
        total = _("total %(persons)d") % {"persons": by_rooms}
        terms.append(CapacityTerm("bedrooms", by_rooms, f"{lines}; {total}"))
    for limit, count, per, text in (
        (
            "toilets",
            figures.toilets,
            profile.persons_per_toilet,
            _("%(count)d × %(per)d persons per toilet = %(persons)d"),
        ),
        (
            "showers",
            figures.showers,
            profile.persons_per_shower,
            _("%(count)d × %(per)d persons per shower = %(persons)d"),
        ),
    ):
        if per:
            values = {"count": count, "per": per, "persons": count * per}
            terms.append(CapacityTerm(limit, count * per, text % values))
    return Capacity(min(t.persons for t in terms), profile, tuple(terms))


@dataclass(frozen=True)
class Overcrowding:
    source: str  # declared, registered, observed
    persons: int
    capacity: int

    @property
    def ratio(self) -> Decimal | None:
        """Occupants ÷ capacity, to 3 decimals; None when the capacity is 0."""
        if self.capacity == 0:
            return None
        return (Decimal(self.persons) / Decimal(self.capacity)).quantize(Decimal("0.001"))

    @property
    def excess(self) -> int:
        return max(0, self.persons - self.capacity)

    @property
    def overcrowded(self) -> bool:
        return self.persons > self.capacity

    def explain(self, binding: list[str]) -> str:
        """E.g. '12 registered ÷ capacity 7 = 1.714: 5 over the bedrooms limit.'"""
        values = {
            "persons": self.persons,
            "source": SOURCE_LABELS[self.source],
            "capacity": self.capacity,
            "ratio": self.ratio,
            "excess": self.excess,
            "binding": ", ".join(str(LIMIT_LABELS[limit]) for limit in binding),
        }
        if self.capacity == 0:
            return _("%(persons)d %(source)s, but the norm allows nobody (capacity 0).") % values
        if self.overcrowded:
            return (
                _(
                    "%(persons)d %(source)s ÷ capacity %(capacity)d = %(ratio)s: "
                    "%(excess)d over the %(binding)s limit."
                )
                % values
            )
        return (
            _("%(persons)d %(source)s ÷ capacity %(capacity)d = %(ratio)s: within the norm.")
            % values
        )


def figures_of(location: HousingLocation) -> LocationFigures:
    """The figures of a saved location (use prefetch_related('bedrooms') for lists)."""
    return LocationFigures(
        usable_floor_area_m2=location.usable_floor_area_m2,
        bedrooms=[
            BedroomFigures(b.label, b.floor_area_m2, b.beds) for b in location.bedrooms.all()
        ],
        toilets=location.toilets,
        showers=location.showers,
    )


def profile_for(*, municipality_code: str, kind: str) -> NormProfile:
    """The most specific assignment: municipality+kind, municipality, national+kind, national."""
    specificity = Case(
        When(Q(municipality_code=municipality_code, location_kind=kind), then=Value(0)),
        When(Q(municipality_code=municipality_code), then=Value(1)),
        When(Q(location_kind=kind), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    assignment = (
        NormProfileAssignment.objects.filter(
            municipality_code__in=[municipality_code, ""], location_kind__in=[kind, ""]
        )
        .select_related("profile")
        .order_by(specificity)
        .first()
    )
    if assignment is None:
        # The national defaults are seeded by a migration; their absence is a broken install.
        raise LookupError("No norm profile applies: the national default assignments are missing.")
    return assignment.profile


def recompute_capacities(*, locations) -> int:
    """Re-derive norm profile and capacity for these locations (after a norm changed)."""
    changed = []
    for location in locations.select_related("municipality").prefetch_related("bedrooms"):
        profile = profile_for(municipality_code=location.municipality.code, kind=location.kind)
        persons = capacity_of(figures_of(location), profile).persons
        if (location.norm_profile_id, location.capacity) != (profile.pk, persons):
            location.norm_profile, location.capacity = profile, persons
            changed.append(location)
    HousingLocation.objects.bulk_update(changed, ["norm_profile", "capacity"], batch_size=1000)
    return len(changed)


def _affected(municipality_code: str, kind: str):
    locations = HousingLocation.objects.all()
    if municipality_code:
        locations = locations.filter(municipality__code=municipality_code)
    if kind:
        locations = locations.filter(kind=kind)
    return locations


@transaction.atomic
def assign_norm_profile(
    *, actor, municipality_code: str, location_kind: str, profile: NormProfile
) -> tuple[NormProfileAssignment, int]:
    """Set which norm applies in a municipality (to one kind or all); returns the assignment and
    how many locations changed capacity."""
    assignment, created = NormProfileAssignment.objects.get_or_create(
        municipality_code=municipality_code,
        location_kind=location_kind,
        defaults={"profile": profile},
    )
    old_profile = None if created else assignment.profile.code
    if not created and assignment.profile_id != profile.pk:
        assignment.profile = profile
        assignment.save(update_fields=["profile", "updated_at"])
    changed = recompute_capacities(locations=_affected(municipality_code, location_kind))
    record_event(
        actor=actor,
        action="create" if created else "update",
        target=assignment,
        municipality_code=municipality_code or None,
        changes={"profile": [old_profile, profile.code]},
        detail=f"{changed} location(s) changed capacity",
    )
    return assignment, changed


@transaction.atomic
def remove_norm_assignment(*, actor, assignment: NormProfileAssignment) -> int:
    if not assignment.municipality_code:
        raise Conflict(_("National default norms are changed, not removed."))
    record_event(
        actor=actor,
        action="delete",
        target=assignment,
        municipality_code=assignment.municipality_code,
        changes={"profile": [assignment.profile.code, None]},
    )
    municipality_code, kind = assignment.municipality_code, assignment.location_kind
    assignment.delete()
    return recompute_capacities(locations=_affected(municipality_code, kind))
