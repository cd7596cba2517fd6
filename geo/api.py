"""Read-only API over the reference geography, and point lookup."""

from django.db.models import Max
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from backend.api.base import APIView, GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response
from backend.api.pagination import GeoJSONCursorPagination
from backend.api.renderers import GeoJSONRenderer

from .coordinates import parse_crs, point_in_netherlands
from .filters import BBoxFilter, DistrictFilter, MunicipalityFilter, NeighbourhoodFilter
from .models import District, Municipality, Neighbourhood
from .serializers import (
    DistrictSerializer,
    LocateQuerySerializer,
    LocationAreasSerializer,
    MunicipalitySerializer,
    NeighbourhoodSerializer,
)
from .services.locate import locate_point

YEAR_PARAMETER = OpenApiParameter(
    "year", int, description="Boundary year; the latest imported year by default."
)


class AreaPagination(GeoJSONCursorPagination):
    ordering = ("code", "-year")
    page_size = 100


class AreaViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """Areas as GeoJSON features; `/{code}/` is the latest year unless `?year=` says otherwise."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [GeoJSONRenderer, JSONRenderer]
    pagination_class = AreaPagination
    filter_backends = [DjangoFilterBackend, BBoxFilter]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True
    lookup_field = "code"
    related = ()

    def get_queryset(self):
        return self.queryset.select_related(*self.related)

    def get_object(self):
        code = self.kwargs["code"]
        queryset = self.get_queryset().filter(code=code)
        year = self.request.query_params.get("year")
        if year is not None:
            if not year.isdigit():
                raise NotFound(_("Year must be a number, e.g. 2024."))
            queryset = queryset.filter(year=int(year))
        area = queryset.order_by("-year").first()
        if area is None:
            kind = self.queryset.model._meta.verbose_name
            if year:
                message = _("No %(kind)s with code %(code)s in %(year)s.")
            else:
                message = _("No %(kind)s with code %(code)s.")
            raise NotFound(message % {"kind": kind, "code": code, "year": year})
        return area

    @extend_schema(parameters=[YEAR_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="Municipalities (gemeenten) as GeoJSON", tags=["areas"]),
    retrieve=extend_schema(summary="One municipality", tags=["areas"]),
)
class MunicipalityViewSet(AreaViewSet):
    queryset = Municipality.objects.all()
    serializer_class = MunicipalitySerializer
    filterset_class = MunicipalityFilter


@extend_schema_view(
    list=extend_schema(summary="Districts (wijken) as GeoJSON", tags=["areas"]),
    retrieve=extend_schema(summary="One district", tags=["areas"]),
)
class DistrictViewSet(AreaViewSet):
    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilter
    related = ("municipality",)


@extend_schema_view(
    list=extend_schema(summary="Neighbourhoods (buurten) as GeoJSON", tags=["areas"]),
    retrieve=extend_schema(summary="One neighbourhood", tags=["areas"]),
)
class NeighbourhoodViewSet(AreaViewSet):
    queryset = Neighbourhood.objects.all()
    serializer_class = NeighbourhoodSerializer
    filterset_class = NeighbourhoodFilter
    related = ("municipality", "district")


class LocateView(APIView):
    """The municipality, district and neighbourhood of a point (null where it lies in none)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Which municipality, district and neighbourhood a point lies in",
        tags=["areas"],
        parameters=[LocateQuerySerializer],
        responses=LocationAreasSerializer,
    )
    def get(self, request):
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        srid = parse_crs(query.validated_data.get("crs"))
        point = point_in_netherlands(*query.validated_data["coordinates"], srid=srid)
        year = query.validated_data.get("year")
        if year is not None and not Municipality.objects.filter(year=year).exists():
            latest = Municipality.objects.aggregate(latest=Max("year"))["latest"]
            raise ValidationError(
                {
                    "year": [
                        _("No boundaries of %(year)s are imported; the latest are of %(latest)s.")
                        % {"year": year, "latest": latest}
                    ]
                }
            )
        match = locate_point(point, year=year)
        data = LocationAreasSerializer(
            {
                "point": point,
                "municipality": match.municipality,
                "district": match.district,
                "neighbourhood": match.neighbourhood,
            }
        ).data
        return conditional_response(request, data)
