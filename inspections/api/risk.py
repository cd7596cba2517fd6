"""Risk scores of locations and organisations, the network behind them, and the weights.

Municipal staff only, scoped to their municipalities: a location's score is read for the
locations they may see; an organisation's score spans all its locations, but only those in the
caller's municipalities are shown in detail. Every score comes with its factors, the weights
and the inputs it was computed from, and `as_of`, so anyone can recompute it.
"""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from backend.accounts.selectors import administered_municipalities
from backend.api.base import APIView
from backend.api.permissions import IsMunicipalStaff
from backend.audit.services import record_event
from inspections.models import HousingLocation, LocationStatus, RiskFactor
from inspections.selectors.housing import (
    locations_visible_to,
    municipality_ids,
    staff_municipalities,
)
from inspections.selectors.organisations import audit_municipality, organisations_visible_to
from inspections.selectors.risk import (
    NETWORK_MAX_DEPTH,
    NETWORK_MAX_NODES,
    ROLES,
    location_risks,
    organisation_network,
    organisation_risk,
    own_weights,
    ranked_location_risks,
    weights_for,
)
from inspections.services.risk import (
    ALL_FACTORS,
    LOCATION_FACTORS,
    MAX_WEIGHT,
    ORGANISATION_FACTORS,
    set_risk_weights,
)

# ---------------------------------------------------------------------------------------------
# Query parameters


def _not_in_future(day):
    if day > timezone.localdate():
        raise serializers.ValidationError(_("Lies in the future; give today or an earlier day."))
    return day


AS_OF = OpenApiParameter(
    "as_of",
    str,
    description="YYYY-MM-DD (Europe/Amsterdam): score the facts as they stood that day; default today.",
)


class AsOfQuery(serializers.Serializer):
    as_of = serializers.DateField(required=False, validators=[_not_in_future])

    def day(self):
        return self.validated_data.get("as_of") or timezone.localdate()


def _query(serializer_class, request):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query


class RankingQuery(AsOfQuery):
    municipality = serializers.RegexField(r"^GM\d{4}$", required=False)
    min_score = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=Decimal(0), required=False
    )


class NetworkQuery(AsOfQuery):
    depth = serializers.IntegerField(min_value=1, max_value=NETWORK_MAX_DEPTH, default=2)


class WeightsQuery(serializers.Serializer):
    municipality = serializers.RegexField(r"^GM\d{4}$", required=False)


# ---------------------------------------------------------------------------------------------
# Representations


class FactorScoreSerializer(serializers.Serializer):
    factor = serializers.ChoiceField(choices=RiskFactor.choices)
    label = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    value = serializers.DecimalField(
        max_digits=4, decimal_places=3, help_text="Between 0 and 1; see the README for its formula."
    )
    points = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text="weight × value, to 0.01"
    )
    explanation = serializers.CharField()


class SeverityCountsSerializer(serializers.Serializer):
    critical = serializers.IntegerField()
    major = serializers.IntegerField()
    minor = serializers.IntegerField()


class LocationRiskInputsSerializer(serializers.Serializer):
    """The facts the score was computed from: all of them, and nothing else."""

    capacity = serializers.IntegerField()
    declared_persons = serializers.IntegerField(allow_null=True)
    registered_persons = serializers.IntegerField(allow_null=True)
    observed_persons = serializers.IntegerField(allow_null=True)
    open_violations_by_severity = SeverityCountsSerializer()
    oldest_open_violation_days = serializers.IntegerField(allow_null=True)
    overdue_violations = serializers.IntegerField()
    has_valid_certificate = serializers.BooleanField()
    had_certificate = serializers.BooleanField(help_text="An SNF or AKF certificate that expired.")
    landlord_permit_valid = serializers.BooleanField(
        allow_null=True, help_text="null: the location has no permit number."
    )
    operator_not_admitted = serializers.BooleanField()
    refused_access_count = serializers.IntegerField()
    days_since_last_inspection = serializers.IntegerField(
        allow_null=True, help_text="null: never inspected."
    )
    found_unregistered = serializers.BooleanField()
    landlord_score = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    operator_score = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class OrganisationRiskInputsSerializer(serializers.Serializer):
    violations_by_severity = SeverityCountsSerializer(help_text="Found in the last 730 days.")
    locations = serializers.IntegerField()
    overcrowded_locations = serializers.IntegerField()
    refused_access_count = serializers.IntegerField(help_text="In the last 730 days.")
    found_unregistered_locations = serializers.IntegerField()


class PartyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kvk_number = serializers.CharField()


class RiskLocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField(source="address_line")
    municipality_code = serializers.CharField(source="municipality.code")
    status = serializers.ChoiceField(choices=LocationStatus.choices)
    provider = PartyRefSerializer()
    landlord = PartyRefSerializer(allow_null=True)
    operator = PartyRefSerializer(allow_null=True)


class LocationRiskSerializer(serializers.Serializer):
    location = RiskLocationSerializer()
    as_of = serializers.DateField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    max_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text="The sum of the weights."
    )
    factors = FactorScoreSerializer(many=True, help_text="By points, highest first.")
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2),
        help_text="The weight of each factor, by code (the municipality's, else national).",
    )
    inputs = LocationRiskInputsSerializer()


class RankedLocationSerializer(serializers.Serializer):
    location = RiskLocationSerializer()
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    top_factors = FactorScoreSerializer(many=True, help_text="At most three, adding most first.")


class RankedPageSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    count = serializers.IntegerField(help_text="Locations at or above min_score.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RankedLocationSerializer(many=True)


class DrivingLocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField()
    municipality_code = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLES))
    violations = SeverityCountsSerializer(help_text="Found in the last 730 days.")
    overcrowded = serializers.BooleanField()
    refused_access = serializers.IntegerField(help_text="Visits without access, 730 days.")
    found_unregistered = serializers.BooleanField()


class RiskFindingSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The violation.")
    location = serializers.IntegerField(source="location_id")
    severity = serializers.CharField()
    status = serializers.CharField()
    deadline = serializers.DateField()
    found_at = serializers.DateTimeField()
    item = serializers.CharField(source="finding.item.code", allow_null=True, default=None)
    question = serializers.CharField(source="finding.item.question", allow_null=True, default=None)


class OrganisationRiskSerializer(serializers.Serializer):
    organisation = PartyRefSerializer()
    as_of = serializers.DateField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    factors = FactorScoreSerializer(many=True)
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2),
        help_text="The national weights (an organisation spans municipalities).",
    )
    inputs = OrganisationRiskInputsSerializer()
    locations = DrivingLocationSerializer(
        many=True,
        help_text="Its locations with findings in your municipalities, most serious first.",
    )
    findings = RiskFindingSerializer(
        many=True, help_text="Violations at those locations, 730 days."
    )
    locations_total = serializers.IntegerField()
    locations_elsewhere = serializers.IntegerField(
        help_text="Its locations outside your municipalities (not shown)."
    )


class NetworkNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kvk_number = serializers.CharField()
    status = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLES))
    depth = serializers.IntegerField(help_text="Hops from the organisation asked about.")
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    visible = serializers.BooleanField(help_text="Whether you may open the organisation itself.")


class NetworkEdgeSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    location_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Shared locations in your municipalities."
    )
    other_locations = serializers.IntegerField(help_text="Shared locations elsewhere (a count).")


class NetworkSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    as_of = serializers.DateField()
    depth = serializers.IntegerField()
    max_nodes = serializers.IntegerField()
    truncated = serializers.BooleanField(help_text="More organisations than max_nodes were linked.")
    nodes = NetworkNodeSerializer(many=True)
    edges = NetworkEdgeSerializer(many=True)


class WeightRowSerializer(serializers.Serializer):
    factor = serializers.ChoiceField(choices=RiskFactor.choices)
    label = serializers.CharField()
    applies_to = serializers.ChoiceField(choices=["location", "organisation"])
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="What applies.")
    national_weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    set_by_municipality = serializers.BooleanField()


class RiskWeightsSerializer(serializers.Serializer):
    municipality_code = serializers.CharField(allow_null=True)
    weights = WeightRowSerializer(many=True)
    location_max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    organisation_max_score = serializers.DecimalField(max_digits=6, decimal_places=2)


class RiskWeightsInputSerializer(serializers.Serializer):
    """{factor: weight} for any of the factors; null drops the municipality's own weight."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for factor in ALL_FACTORS:
            self.fields[factor] = serializers.DecimalField(
                max_digits=5,
                decimal_places=2,
                min_value=Decimal(0),
                max_value=MAX_WEIGHT,
                required=False,
                allow_null=True,
            )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(ALL_FACTORS))
        if unknown:
            raise ValidationError(
                {
                    name: [
                        _("Unknown risk factor; known are: %(known)s.")
                        % {"known": ", ".join(ALL_FACTORS)}
                    ]
                    for name in unknown
                }
            )
        if not attrs:
            raise ValidationError(_("Give at least one factor and its weight."))
        return attrs


# ---------------------------------------------------------------------------------------------
# Views


def _score_data(risk) -> dict:
    return {
        "as_of": risk.as_of,
        "score": risk.score,
        "max_score": risk.max_score,
        "factors": [vars(f) for f in risk.factors],
        "weights": dict(risk.weights),
        "inputs": vars(risk.inputs),
    }


class LocationRiskView(APIView):
    """A location's risk score with every factor, its weight, value and explanation."""

    permission_classes = [IsMunicipalStaff]

    @extend_schema(
        summary="The risk score of a location, explained (municipal staff)",
        parameters=[AS_OF],
        responses=LocationRiskSerializer,
    )
    def get(self, request, pk: int):
        as_of = _query(AsOfQuery, request).day()
        location = get_object_or_404(
            locations_visible_to(request.user).select_related(
                "municipality", "provider", "landlord", "operator"
            ),
            pk=pk,
        )
        risk = location_risks(HousingLocation.objects.filter(pk=pk), as_of=as_of)[pk]
        record_event(
            actor=request.user,
            action="view",
            target=location,
            municipality_code=location.municipality.code,
            detail=f"risk score as of {as_of.isoformat()}",
        )
        data = {"location": location, **_score_data(risk)}
        return Response(LocationRiskSerializer(data).data)


class RankedLocationRisksView(APIView):
    """Locations in your municipalities ranked by risk score, highest first (closed ones left out)."""

    permission_classes = [IsMunicipalStaff]

    class Pagination(LimitOffsetPagination):
        default_limit = 50
        max_limit = 500

    @extend_schema(
        summary="Locations ranked by risk score (municipal staff)",
        parameters=[
            OpenApiParameter(
                "municipality", str, description="CBS code, one of yours; default all of yours."
            ),
            OpenApiParameter("min_score", float, description="Only scores at least this."),
            OpenApiParameter("limit", int, description="Page size: default 50, at most 500."),
            OpenApiParameter("offset", int, description="Skip this many (limit-offset pages)."),
            AS_OF,
        ],
        responses=RankedPageSerializer,
    )
    def get(self, request):
        query = _query(RankingQuery, request)
        as_of = query.day()
        codes = staff_municipalities(request.user)
        wanted = query.validated_data.get("municipality")
        if wanted and wanted not in codes:
            raise PermissionDenied(
                _("You serve %(codes)s, not %(code)s.")
                % {"codes": ", ".join(sorted(codes)), "code": wanted}
            )
        locations = HousingLocation.objects.filter(
            municipality_id__in=municipality_ids([wanted] if wanted else codes)
        ).exclude(status=LocationStatus.CLOSED)
        ranked = ranked_location_risks(
            locations, as_of=as_of, min_score=query.validated_data.get("min_score")
        )
        paginator = self.Pagination()
        page = paginator.paginate_queryset(ranked, request, view=self)
        shown = HousingLocation.objects.filter(pk__in=[pk for pk, _risk in page]).select_related(
            "municipality", "provider", "landlord", "operator"
        )
        by_id = {location.pk: location for location in shown}
        results = [
            {
                "location": by_id[pk],
                "score": risk.score,
                "max_score": risk.max_score,
                "top_factors": [vars(f) for f in risk.top_factors()],
            }
            for pk, risk in page
        ]
        data = {
            "as_of": as_of,
            "count": paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": results,
        }
        return Response(RankedPageSerializer(data).data)


class OrganisationRiskView(APIView):
    """An organisation's score over all its locations, and the locations and findings behind it."""

    permission_classes = [IsMunicipalStaff]

    @extend_schema(
        summary="The risk score of an organisation, with what drives it (municipal staff)",
        parameters=[AS_OF],
        responses=OrganisationRiskSerializer,
    )
    def get(self, request, pk: int):
        as_of = _query(AsOfQuery, request).day()
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=pk)
        result = organisation_risk(organisation, user=request.user, as_of=as_of)
        record_event(
            actor=request.user,
            action="view",
            target=organisation,
            municipality_code=audit_municipality(request.user, organisation),
            detail=f"risk score as of {as_of.isoformat()}",
        )
        data = {
            "organisation": organisation,
            **_score_data(result.risk),
            "locations": result.locations,
            "findings": result.findings,
            "locations_total": result.locations_total,
            "locations_elsewhere": result.locations_elsewhere,
        }
        return Response(OrganisationRiskSerializer(data).data)


class OrganisationNetworkView(APIView):
    """Organisations linked through shared locations: a landlord behind several agencies."""

    permission_classes = [IsMunicipalStaff]

    @extend_schema(
        summary="The network of organisations sharing locations with this one (municipal staff)",
        parameters=[
            OpenApiParameter(
                "depth", int, description=f"Hops, 1 to {NETWORK_MAX_DEPTH}; default 2."
            ),
            AS_OF,
        ],
        responses=NetworkSerializer,
    )
    def get(self, request, pk: int):
        query = _query(NetworkQuery, request)
        as_of = query.day()
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=pk)
        network = organisation_network(
            organisation,
            user=request.user,
            depth=query.validated_data["depth"],
            as_of=as_of,
            max_nodes=NETWORK_MAX_NODES,
        )
        record_event(
            actor=request.user,
            action="view",
            target=organisation,
            municipality_code=audit_municipality(request.user, organisation),
            detail=f"network depth {network.depth} as of {as_of.isoformat()}",
        )
        data = {
            "organisation": organisation.pk,
            "as_of": as_of,
            "depth": network.depth,
            "max_nodes": network.max_nodes,
            "truncated": network.truncated,
            "nodes": network.nodes,
            "edges": network.edges,
        }
        return Response(NetworkSerializer(data).data)


def _weights_data(municipality_code: str | None) -> dict:
    applied = weights_for(municipality_code or "")
    national = weights_for("") if municipality_code else applied
    own = own_weights(municipality_code) if municipality_code else {}
    labels = dict(RiskFactor.choices)
    rows = [
        {
            "factor": factor,
            "label": str(labels[factor]),
            "applies_to": "location" if factor in LOCATION_FACTORS else "organisation",
            "weight": applied[factor],
            "national_weight": national[factor],
            "set_by_municipality": factor in own,
        }
        for factor in ALL_FACTORS
    ]
    return {
        "municipality_code": municipality_code,
        "weights": rows,
        "location_max_score": sum(applied[f] for f in LOCATION_FACTORS),
        "organisation_max_score": sum(national[f] for f in ORGANISATION_FACTORS),
    }


class RiskWeightsView(APIView):
    """The weights of the risk factors; a municipal administrator sets their municipality's."""

    permission_classes = [IsMunicipalStaff]

    @extend_schema(
        summary="The risk weights that apply (national, or a municipality's)",
        parameters=[
            OpenApiParameter(
                "municipality", str, description="CBS code; without it the national weights."
            )
        ],
        responses=RiskWeightsSerializer,
    )
    def get(self, request):
        code = _query(WeightsQuery, request).validated_data.get("municipality")
        return Response(RiskWeightsSerializer(_weights_data(code)).data)

    @extend_schema(
        summary="Set your municipality's risk weights (municipal administrator)",
        parameters=[
            OpenApiParameter(
                "municipality", str, required=True, description="CBS code of your municipality."
            )
        ],
        request=RiskWeightsInputSerializer,
        responses=RiskWeightsSerializer,
    )
    def put(self, request):
        code = _query(WeightsQuery, request).validated_data.get("municipality")
        if not code:
            raise ValidationError(
                {"municipality": [_("Name your municipality: ?municipality=GM1783.")]}
            )
        if code not in administered_municipalities(request.user):
            raise PermissionDenied(
                _("Only a municipal administrator of %(code)s sets its weights.") % {"code": code}
            )
        data = RiskWeightsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        set_risk_weights(actor=request.user, municipality_code=code, weights=data.validated_data)
        return Response(RiskWeightsSerializer(_weights_data(code)).data)
