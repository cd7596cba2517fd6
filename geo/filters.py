import django_filters
from rest_framework_gis.filters import InBBoxFilter

from .models import District, Municipality, Neighbourhood


class BBoxFilter(InBBoxFilter):
    """`bbox=minLon,minLat,maxLon,maxLat` (WGS84), as in OGC API Features."""

    bbox_param = "bbox"


class AreaFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        fields = ["code", "year", "name"]


class MunicipalityFilter(AreaFilter):
    class Meta(AreaFilter.Meta):
        model = Municipality


class DistrictFilter(AreaFilter):
    municipality = django_filters.CharFilter(
        field_name="municipality__code", help_text="CBS code of the municipality, e.g. GM1783."
    )

    class Meta(AreaFilter.Meta):
        model = District


class NeighbourhoodFilter(DistrictFilter):
    district = django_filters.CharFilter(
        field_name="district__code", help_text="CBS code of the district, e.g. WK178301."
    )

    class Meta(AreaFilter.Meta):
        model = Neighbourhood
