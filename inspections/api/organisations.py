"""Organisations: sign-up, their own data, and verification by the municipality."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from backend.api.base import APIView, GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response, require_fresh
from backend.api.permissions import IsMunicipalAdmin
from backend.api.throttling import AuthRateThrottle
from backend.audit.services import record_event
from inspections.models import Organisation
from inspections.selectors.organisations import audit_municipality, organisations_visible_to
from inspections.services import organisations as services
from inspections.services.organisations import organisation_of
from inspections.validators import validate_kvk_number

from .permissions import UsesRegistry, is_staff
from .serializers import AddressInputSerializer, PostcodeField, as_drf

ROLE_FLAGS = ["is_employer", "is_temp_agency", "is_landlord", "is_housing_provider"]


class OrganisationInputSerializer(AddressInputSerializer):
    kvk_number = serializers.CharField(validators=[as_drf(validate_kvk_number)])
    name = serializers.CharField(max_length=200)
    is_employer = serializers.BooleanField(default=False)
    is_temp_agency = serializers.BooleanField(default=False)
    is_landlord = serializers.BooleanField(default=False)
    is_housing_provider = serializers.BooleanField(default=False)
    contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.RegexField(
        r"^\+?[0-9 ()-]{6,20}$", required=False, allow_blank=True, max_length=30
    )
    municipality_code = serializers.RegexField(
        r"^GM\d{4}$",
        help_text="The municipality that verifies you: where you provide housing (CBS code, e.g. GM1783).",
    )

    def validate(self, attrs):
        if not self.partial and not any(attrs.get(flag) for flag in ROLE_FLAGS):
            raise serializers.ValidationError(
                _(
                    "Say what the organisation is: employer, temp agency, landlord and/or housing provider."
                )
            )
        return attrs


class OrganisationUpdateSerializer(OrganisationInputSerializer):
    """What members may change: everything but the KvK number and the verifying municipality."""

    kvk_number = None
    municipality_code = None


class UserSignUpSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$")
    password = serializers.CharField(
        min_length=8, max_length=128, write_only=True, trim_whitespace=False
    )
    email = serializers.EmailField()


class SignUpSerializer(serializers.Serializer):
    user = UserSignUpSerializer()
    organisation = OrganisationInputSerializer()


class OrganisationSerializer(serializers.ModelSerializer):
    postcode = PostcodeField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "kvk_number",
            "name",
            *ROLE_FLAGS,
            "street",
            "house_number",
            "house_letter",
            "house_number_addition",
            "postcode",
            "place",
            "contact_name",
            "contact_email",
            "contact_phone",
            "status",
            "status_reason",
            "municipality_code",
            "verified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(services.DECISIONS))
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SignUpView(APIView):
    """An employer or temp agency signs up: an account and its organisation, pending verification."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        summary="Sign up an organisation (employer, agency) and its first account",
        request=SignUpSerializer,
        responses={201: OrganisationSerializer},
        auth=[],
    )
    def post(self, request):
        payload = SignUpSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = payload.validated_data["user"]
        result = services.sign_up(
            username=user["username"],
            password=user["password"],
            email=user["email"],
            organisation=payload.validated_data["organisation"],
        )
        return Response(
            OrganisationSerializer(result.organisation).data, status=status.HTTP_201_CREATED
        )


class OrganisationFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Organisation
        fields = ["status", "kvk_number", "municipality_code", "name"]


@extend_schema_view(
    list=extend_schema(summary="Organisations you may see"),
    retrieve=extend_schema(summary="One organisation"),
)
class OrganisationViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """Members see and edit their own organisation; staff see those active in their municipalities."""

    permission_classes = [UsesRegistry]
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter

    def get_queryset(self):
        return organisations_visible_to(self.request.user).order_by("id")

    def retrieve(self, request, *args, **kwargs):
        organisation = self.get_object()
        if is_staff(request.user):  # contact persons are personal data: staff reads are logged
            record_event(
                actor=request.user,
                action="view",
                target=organisation,
                municipality_code=audit_municipality(request.user, organisation),
            )
        return conditional_response(request, self.get_serializer(organisation).data)

    @extend_schema(
        summary="Change your organisation (send If-Match)",
        request=OrganisationUpdateSerializer,
        responses=OrganisationSerializer,
    )
    def partial_update(self, request, pk=None):
        organisation = self.get_object()
        if organisation_of(request.user) != organisation:
            raise PermissionDenied(_("Only an organisation's own members change its details."))
        require_fresh(request, self.get_serializer(organisation).data)
        data = OrganisationUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_organisation(
            actor=request.user, organisation=organisation, data=data.validated_data
        )
        return conditional_response(request, self.get_serializer(organisation).data)

    @extend_schema(
        summary="Verify, reject, suspend or reinstate an organisation (municipal administrator)",
        request=DecisionSerializer,
        responses=OrganisationSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsMunicipalAdmin])
    def decision(self, request, pk=None):
        organisation = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.decide_on_organisation(
            actor=request.user, organisation=organisation, **data.validated_data
        )
        return Response(self.get_serializer(organisation).data)
