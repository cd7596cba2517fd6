"""Credentials: SNA/NEN 4400 and Wtta of organisations, SNF and AKF of locations."""

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response, require_fresh
from inspections.models import Credential, HousingLocation, Organisation
from inspections.models.credentials import LOCATION_CREDENTIALS, ORGANISATION_CREDENTIALS
from inspections.selectors.housing import locations_visible_to
from inspections.selectors.organisations import organisations_visible_to
from inspections.services import credentials as services
from inspections.services.organisations import organisation_of

from .permissions import StaffReadsProviderWrites, is_provider


class CredentialSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(), required=False, allow_null=True
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=HousingLocation.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Credential
        fields = [
            "id",
            "kind",
            "organisation",
            "location",
            "number",
            "issuer",
            "valid_from",
            "valid_until",
        ]
        read_only_fields = ["id"]
        validators = []  # uniqueness is the service's 409, with a message

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only what the caller may see can be referenced; anything else is "does not exist".
            self.fields["organisation"].queryset = organisations_visible_to(request.user)
            self.fields["location"].queryset = locations_visible_to(request.user)

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        organisation = attrs.get("organisation", getattr(self.instance, "organisation", None))
        location = attrs.get("location", getattr(self.instance, "location", None))
        if kind in ORGANISATION_CREDENTIALS and (organisation is None or location is not None):
            raise serializers.ValidationError(
                {
                    "organisation": [
                        _("SNA and Wtta credentials belong to an organisation, not a location.")
                    ]
                }
            )
        if kind in LOCATION_CREDENTIALS and (location is None or organisation is not None):
            raise serializers.ValidationError(
                {
                    "location": [
                        _("SNF and AKF certificates belong to a location, not an organisation.")
                    ]
                }
            )
        return attrs


@extend_schema_view(
    list=extend_schema(summary="Credentials of the organisations and locations you may see"),
    retrieve=extend_schema(summary="One credential"),
    create=extend_schema(summary="Add a certificate or admission to your organisation or location"),
    partial_update=extend_schema(summary="Change a credential (send If-Match)"),
    destroy=extend_schema(summary="Remove a credential"),
)
class CredentialViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    GenericViewSet,
):
    """Providers keep their credentials up to date; staff read them."""

    permission_classes = [StaffReadsProviderWrites]
    serializer_class = CredentialSerializer
    filterset_fields = ["kind", "organisation", "location"]

    def get_queryset(self):
        user = self.request.user
        return Credential.objects.filter(
            Q(organisation__in=organisations_visible_to(user))
            | Q(location__in=locations_visible_to(user))
        ).order_by("id")

    def _require_own(self, *, organisation=None, location=None) -> None:
        """Providers change only the credentials of their own organisation and locations."""
        own = organisation_of(self.request.user)
        if not is_provider(self.request.user) or own is None:
            raise PermissionDenied(_("Credentials are kept by the organisation they belong to."))
        holder = organisation.pk if organisation else location.provider_id
        if holder != own.pk:
            raise PermissionDenied(_("This credential belongs to another organisation."))

    def _holder(self, data: dict, credential: Credential | None = None) -> dict:
        return {
            name: data.get(name, getattr(credential, name, None))
            for name in ("organisation", "location")
        }

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._require_own(**self._holder(serializer.validated_data))
        credential = services.add_credential(actor=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(credential).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        credential = self.get_object()
        self._require_own(**self._holder({}, credential))
        require_fresh(request, self.get_serializer(credential).data)
        serializer = self.get_serializer(credential, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self._require_own(**self._holder(serializer.validated_data, credential))
        services.update_credential(
            actor=request.user, credential=credential, data=serializer.validated_data
        )
        return conditional_response(request, self.get_serializer(credential).data)

    def destroy(self, request, pk=None):
        credential = self.get_object()
        self._require_own(**self._holder({}, credential))
        require_fresh(request, self.get_serializer(credential).data)
        services.remove_credential(actor=request.user, credential=credential)
        return Response(status=status.HTTP_204_NO_CONTENT)
