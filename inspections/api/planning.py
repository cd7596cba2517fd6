"""Planning API: inspectors' hours and absences, planning bases, plans (propose, change,
publish), their routes as GeoJSON, and each inspector's calendar feed."""

from collections import defaultdict

from django.contrib.gis.geos import LineString
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.accounts.selectors import grants_for
from backend.api.base import APIView, GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin
from backend.api.permissions import IsMunicipalStaff
from backend.api.renderers import GeoJSONRenderer
from geo.coordinates import RD_NEW, transformed
from geo.fields import PointInputField
from inspections.models import (
    Absence,
    Plan,
    PlannedVisit,
    PlanningBase,
    WorkingHours,
)
from inspections.selectors.housing import staff_municipalities
from inspections.services import calendar
from inspections.services import planning as services
from inspections.services.inspections import PLANNING_ROLES

from .location_serializers import point_geojson


def _inspectors_visible_to(user):
    codes = staff_municipalities(user)
    return User.objects.filter(
        role_assignments__role=Role.INSPECTOR, role_assignments__municipality_code__in=codes
    ).distinct()


@extend_schema_field({"type": "string", "description": "Username of an inspector."})
class _InspectorField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self):
        return _inspectors_visible_to(self.context["request"].user)


class _PlanningWrites(IsMunicipalStaff):
    """Staff read; planners, officers and administrators change."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or grants_for(request.user).has_any(
            PLANNING_ROLES
        )


def _in_order(attrs: dict, first: str, last: str, message: str, *, strict=False) -> dict:
    """A clear error on `last` when it comes before `first` (or equals it, when strict)."""
    if attrs[last] < attrs[first] or (strict and attrs[last] == attrs[first]):
        raise serializers.ValidationError({last: [message]})
    return attrs


class WorkingHoursSerializer(serializers.ModelSerializer):
    inspector = _InspectorField()

    class Meta:
        model = WorkingHours
        fields = ["id", "inspector", "weekday", "start", "end"]

    def validate(self, attrs):
        return _in_order(attrs, "start", "end", _("The day ends before it starts."), strict=True)


class AbsenceSerializer(serializers.ModelSerializer):
    inspector = _InspectorField()

    class Meta:
        model = Absence
        fields = ["id", "inspector", "first_day", "last_day", "label"]

    def validate(self, attrs):
        return _in_order(attrs, "first_day", "last_day", _("The absence ends before it starts."))


class _InspectorScheduleViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    permission_classes = [_PlanningWrites]
    filterset_fields = ["inspector__username"]

    def get_queryset(self):
        return (
            self.serializer_class.Meta.model.objects.filter(
                inspector__in=_inspectors_visible_to(self.request.user)
            )
            .select_related("inspector")
            .order_by("id")
        )


@extend_schema_view(
    list=extend_schema(summary="Inspectors' working hours per weekday (0 = Monday)")
)
class WorkingHoursViewSet(_InspectorScheduleViewSet):
    serializer_class = WorkingHoursSerializer


@extend_schema_view(list=extend_schema(summary="Inspectors' absences"))
class AbsenceViewSet(_InspectorScheduleViewSet):
    serializer_class = AbsenceSerializer


class PlanningBaseSerializer(serializers.ModelSerializer):
    point = PointInputField()

    class Meta:
        model = PlanningBase
        fields = [
            "id",
            "municipality_code",
            "name",
            "point",
            "speed_kmh",
            "detour_factor",
            "visit_minutes",
            "periodic_interval_days",
        ]

    def validate_municipality_code(self, value):
        if value not in grants_for(self.context["request"].user).municipalities(PLANNING_ROLES):
            raise serializers.ValidationError(_("You do not plan for %(code)s.") % {"code": value})
        return value


@extend_schema_view(
    list=extend_schema(summary="Where each municipality's inspectors start their day")
)
class PlanningBaseViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    permission_classes = [_PlanningWrites]
    serializer_class = PlanningBaseSerializer

    def get_queryset(self):
        return PlanningBase.objects.filter(
            municipality_code__in=staff_municipalities(self.request.user)
        ).order_by("id")


class PlanRequestSerializer(serializers.Serializer):
    municipality_codes = serializers.ListField(
        child=serializers.RegexField(r"^GM\d{4}$"),
        min_length=1,
        max_length=10,
        help_text="Municipalities sharing inspectors.",
    )
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    seconds = serializers.FloatField(
        min_value=1,
        max_value=60,
        required=False,
        help_text="Search time of the route optimisation; by default it grows with the visits, to 6 s.",
    )


class PlannedVisitSerializer(serializers.ModelSerializer):
    inspector = serializers.CharField(source="inspector.username")
    address = serializers.CharField(source="location.address_line")
    point = serializers.SerializerMethodField()

    class Meta:
        model = PlannedVisit
        fields = [
            "id",
            "inspector",
            "day",
            "position",
            "arrival",
            "location",
            "address",
            "point",
            "reason",
            "priority",
            "inspection",
            "window_start",
            "window_end",
        ]

    def get_point(self, visit) -> dict:
        return point_geojson(visit.location.point)


class PlanSerializer(serializers.ModelSerializer):
    visits = PlannedVisitSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "municipality_codes",
            "first_day",
            "last_day",
            "status",
            "solver",
            "visits",
            "carried_over",
            "created_at",
            "published_at",
        ]


class MoveVisitSerializer(serializers.Serializer):
    inspector = _InspectorField()
    day = serializers.DateField()
    position = serializers.IntegerField(min_value=1, max_value=999)


@extend_schema_view(
    list=extend_schema(summary="Plans of your municipalities"),
    retrieve=extend_schema(summary="One plan: its visits in route order and what was carried over"),
)
class PlanViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    permission_classes = [_PlanningWrites]
    serializer_class = PlanSerializer

    def get_queryset(self):
        codes = staff_municipalities(self.request.user)
        # Plans are few (a handful a month); a JSON lookup would differ between the databases.
        plans = [
            p.pk
            for p in Plan.objects.only("municipality_codes")
            if set(p.municipality_codes) & codes
        ]
        return (
            Plan.objects.filter(pk__in=plans)
            .prefetch_related("visits__location", "visits__inspector")
            .order_by("-id")
        )

    def _respond(self, plan, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data, status=code)

    @extend_schema(
        summary="Propose the visits of a period",
        request=PlanRequestSerializer,
        responses={201: PlanSerializer},
    )
    def create(self, request):
        data = PlanRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.propose_plan(actor=request.user, **data.validated_data)
        return self._respond(plan, status.HTTP_201_CREATED)

    def _visit(self, plan, visit_id) -> PlannedVisit:
        visit = plan.visits.select_related("plan", "location").filter(pk=visit_id).first()
        if visit is None:
            raise NotFound(
                _("Plan %(plan)s has no visit %(visit)s.") % {"plan": plan.pk, "visit": visit_id}
            )
        return visit

    @extend_schema(
        summary="Move a visit (another inspector, day or position)",
        request=MoveVisitSerializer,
        responses=PlanSerializer,
    )
    @action(detail=True, methods=["patch"], url_path=r"visits/(?P<visit_id>\d+)")
    def move_visit(self, request, pk=None, visit_id=None):
        plan = self.get_object()
        data = MoveVisitSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        services.move_visit(
            actor=request.user, visit=self._visit(plan, visit_id), **data.validated_data
        )
        return self._respond(plan)

    @extend_schema(
        summary="Take a visit out (it is carried over)", request=None, responses=PlanSerializer
    )
    @move_visit.mapping.delete
    def remove_visit(self, request, pk=None, visit_id=None):
        plan = self.get_object()
        services.remove_visit(actor=request.user, visit=self._visit(plan, visit_id))
        return self._respond(plan)

    @extend_schema(
        summary="Publish: every visit becomes an assigned inspection",
        request=None,
        responses=PlanSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        plan = services.publish_plan(actor=request.user, plan=self.get_object())
        return self._respond(plan)

    @extend_schema(
        summary="The routes: a GeoJSON line per inspector-day, from the base past every visit and back",
        responses={200: OpenApiResponse(description="GeoJSON FeatureCollection of LineStrings")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[GeoJSONRenderer, JSONRenderer])
    def routes(self, request, pk=None):
        plan = self.get_object()
        bases = services.bases_for(plan.municipality_codes)
        homes = services.home_municipalities(plan.municipality_codes)
        days = defaultdict(list)
        for visit in plan.visits.all():
            days[(visit.inspector.username, visit.day)].append(visit)
        features = []
        for (inspector, day), visits in sorted(days.items()):
            visits.sort(key=lambda v: v.position)
            # An inspector who lost the role since still drove from the first base.
            base = bases[homes.get(visits[0].inspector_id, plan.municipality_codes[0])]
            points = [base.point, *(v.location.point for v in visits), base.point]
            line = LineString([(p.x, p.y) for p in points], srid=4326)
            length = transformed(line, RD_NEW).length * float(base.detour_factor)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[round(x, 6), round(y, 6)] for x, y in line.coords],
                    },
                    "properties": {
                        "inspector": inspector,
                        "day": day.isoformat(),
                        "visits": len(visits),
                        "length_km": round(length / 1000, 2),
                        "first_arrival": visits[0].arrival.isoformat(timespec="minutes"),
                    },
                }
            )
        return Response({"type": "FeatureCollection", "features": features})


class CalendarFeedView(APIView):
    """An inspector's calendar address. POST makes a new one (the old address stops working)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Get a new address for your calendar app",
        request=None,
        responses={201: inline_serializer("CalendarFeed", {"url": serializers.URLField()})},
    )
    def post(self, request):
        secret = calendar.new_feed_secret(request.user)
        url = request.build_absolute_uri(reverse("calendar", kwargs={"secret": secret}))
        return Response({"url": url}, status=status.HTTP_201_CREATED)


class CalendarView(APIView):
    """The inspector's published visits as iCalendar (RFC 5545); the secret in the address is the
    credential, as calendar apps cannot send a token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Calendar feed (iCalendar)",
        auth=[],
        responses={(200, "text/calendar"): OpenApiResponse(description="iCalendar")},
    )
    def get(self, request, secret: str):
        body = calendar.ical(calendar.inspector_of(secret))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, max-age=300"
        return response
