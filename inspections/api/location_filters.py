"""Filters of the location list: areas, status, kind, overcrowding, expired papers, parties."""

from django.db.models import Q
from django_filters import rest_framework as filters

from inspections.models import HousingLocation, LocationKind, LocationStatus
from inspections.selectors.housing import (
    OCCUPANCY_SOURCES,
    certificate_expired,
    municipality_ids,
    overcrowded,
    permit_expired,
    within_capacity,
)


class LocationFilter(filters.FilterSet):
    municipality = filters.CharFilter(
        method="filter_municipality", help_text="CBS code, e.g. GM1783."
    )
    district = filters.CharFilter(field_name="district__code", help_text="CBS code, e.g. WK178301.")
    neighbourhood = filters.CharFilter(field_name="neighbourhood__code")
    # distinct=False: they filter the location's own columns, and DISTINCT would make the database
    # evaluate every row's occupancy before it could stop at one page.
    status = filters.MultipleChoiceFilter(choices=LocationStatus.choices, distinct=False)
    kind = filters.MultipleChoiceFilter(choices=LocationKind.choices, distinct=False)
    postcode = filters.CharFilter(method="filter_postcode", help_text="e.g. 2671AB or 2671 AB")
    organisation = filters.NumberFilter(
        method="filter_organisation",
        help_text="Organisation id as provider, landlord, operator or employer.",
    )
    overcrowded = filters.BooleanFilter(
        method="filter_overcrowded", help_text="By any occupancy source."
    )
    overcrowded_by = filters.ChoiceFilter(
        choices=[(s, s) for s in OCCUPANCY_SOURCES], method="filter_overcrowded_by"
    )
    certificate_expired = filters.BooleanFilter(method="filter_certificate_expired")
    permit_expired = filters.BooleanFilter(method="filter_permit_expired")

    class Meta:
        model = HousingLocation
        fields = []

    def filter_municipality(self, queryset, name, value):
        return queryset.filter(municipality_id__in=municipality_ids([value]))

    def filter_postcode(self, queryset, name, value):
        return queryset.filter(postcode=value.replace(" ", "").upper())

    def filter_organisation(self, queryset, name, value):
        return queryset.filter(
            Q(provider=value) | Q(landlord=value) | Q(operator=value) | Q(employers=value)
        ).distinct()

    def filter_overcrowded(self, queryset, name, value):
        # Not exclude(): a missing count (NULL) would make the comparison unknown, not false.
        return queryset.filter(overcrowded() if value else within_capacity())

    def filter_overcrowded_by(self, queryset, name, value):
        return queryset.filter(overcrowded(value))

    def filter_certificate_expired(self, queryset, name, value):
        condition = certificate_expired()
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_permit_expired(self, queryset, name, value):
        condition = permit_expired()
        return queryset.filter(condition) if value else queryset.exclude(condition)
