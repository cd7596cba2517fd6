"""Aggregates per municipality: what national read-only users may see, and staff for their own."""

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from backend.accounts.roles import Role
from backend.accounts.selectors import grants_for
from backend.api.base import APIView
from inspections.models import Bedroom, HousingLocation, LocationStatus
from inspections.selectors.housing import overcrowded, staff_municipalities, with_occupancy


class SeesAggregates(BasePermission):
    message = "National read-only users and municipal staff see these aggregates."

    def has_permission(self, request, view):
        return bool(
            grants_for(request.user).has_any([Role.NATIONAL_READONLY])
            or staff_municipalities(request.user)
        )


class MunicipalityStatisticsSerializer(serializers.Serializer):
    municipality_code = serializers.CharField()
    municipality_name = serializers.CharField()
    locations = serializers.IntegerField()
    beds = serializers.IntegerField()
    capacity = serializers.IntegerField()
    declared_persons = serializers.IntegerField()
    registered_persons = serializers.IntegerField()
    observed_persons = serializers.IntegerField()
    overcrowded_locations = serializers.IntegerField()


def municipality_statistics(user) -> list[dict]:
    """One row per municipality, aggregated in the database (one query for beds, one for the rest)."""
    locations = HousingLocation.objects.exclude(status=LocationStatus.CLOSED)
    if not grants_for(user).has_any([Role.NATIONAL_READONLY]):
        locations = locations.filter(municipality__code__in=staff_municipalities(user))
    beds = dict(
        Bedroom.objects.filter(location__in=locations)
        .values_list("location__municipality__code")
        .annotate(total=Sum("beds"))
    )
    rows = (
        with_occupancy(locations)
        .values("municipality__code", "municipality__name")
        .annotate(
            locations=Count("id"),
            # Other names than the per-location fields they sum, which overcrowded() compares.
            capacity_total=Coalesce(Sum("capacity"), 0),
            declared_total=Coalesce(Sum("declared_persons"), 0),
            registered_total=Coalesce(Sum("registered_persons"), 0),
            observed_total=Coalesce(Sum("observed_persons"), 0),
            overcrowded_locations=Count("id", filter=overcrowded()),
        )
        .order_by("municipality__code")
    )
    return [
        {
            "municipality_code": row["municipality__code"],
            "municipality_name": row["municipality__name"],
            "locations": row["locations"],
            "beds": beds.get(row["municipality__code"], 0),
            "capacity": row["capacity_total"],
            "declared_persons": row["declared_total"],
            "registered_persons": row["registered_total"],
            "observed_persons": row["observed_total"],
            "overcrowded_locations": row["overcrowded_locations"],
        }
        for row in rows
    ]


class MunicipalityStatisticsView(APIView):
    """Totals per municipality of open locations: beds, capacity, occupancy, overcrowded count."""

    permission_classes = [SeesAggregates]

    @extend_schema(
        summary="Totals per municipality", responses=MunicipalityStatisticsSerializer(many=True)
    )
    def get(self, request):
        rows = municipality_statistics(request.user)
        return Response(MunicipalityStatisticsSerializer(rows, many=True).data)
