"""Norm profiles (read) and which applies where (municipal administrators choose their own)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from backend.accounts.selectors import administered_municipalities
from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin
from backend.api.pagination import CursorPagination
from inspections.models import LocationKind, NormProfile, NormProfileAssignment
from inspections.services import norms as services


class NormProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = NormProfile
        fields = [
            "code",
            "name",
            "source",
            "floor_area_per_person_m2",
            "persons_per_bedroom",
            "bedroom_area_per_person_m2",
            "persons_per_toilet",
            "persons_per_shower",
        ]


class NormAssignmentSerializer(serializers.ModelSerializer):
    municipality_code = serializers.RegexField(
        r"^GM\d{4}$", help_text="The municipality (national defaults are set in the back office)."
    )
    location_kind = serializers.ChoiceField(
        choices=[("", "every kind"), *LocationKind.choices], allow_blank=True, default=""
    )
    profile = serializers.SlugRelatedField(slug_field="code", queryset=NormProfile.objects.all())
    locations_changed = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = NormProfileAssignment
        fields = [
            "id",
            "municipality_code",
            "location_kind",
            "profile",
            "locations_changed",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        validators = []  # one assignment per municipality and kind: POST again to change it


class CodeOrdered(CursorPagination):
    ordering = "code"


@extend_schema_view(
    list=extend_schema(summary="The norm profiles (SNF, AKF, national rule, ...)"),
    retrieve=extend_schema(summary="One norm profile"),
)
class NormProfileViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = NormProfileSerializer
    queryset = NormProfile.objects.all()
    lookup_field = "code"
    pagination_class = CodeOrdered


@extend_schema_view(
    list=extend_schema(summary="Which norm applies where ('' municipality: national default)"),
    retrieve=extend_schema(summary="One norm assignment"),
    create=extend_schema(summary="Set the norm of your municipality (for one kind, or all kinds)"),
    destroy=extend_schema(
        summary="Remove your municipality's norm; the national default applies again"
    ),
)
class NormAssignmentViewSet(
    ConditionalRetrieveMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, GenericViewSet
):
    """Anyone signed in reads; a municipal administrator sets the norms of their municipality."""

    permission_classes = [IsAuthenticated]
    serializer_class = NormAssignmentSerializer
    filterset_fields = ["municipality_code", "location_kind"]
    queryset = NormProfileAssignment.objects.select_related("profile").order_by("id")

    def _require_admin_of(self, municipality_code: str) -> None:
        if not municipality_code:
            raise PermissionDenied(_("The national default norms are set in the back office."))
        if municipality_code not in administered_municipalities(self.request.user):
            raise PermissionDenied(
                _("Only an administrator of %(code)s sets its norms.") % {"code": municipality_code}
            )

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._require_admin_of(serializer.validated_data["municipality_code"])
        assignment, changed = services.assign_norm_profile(
            actor=request.user, **serializer.validated_data
        )
        assignment.locations_changed = changed
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        self._require_admin_of(instance.municipality_code)
        services.remove_norm_assignment(actor=self.request.user, assignment=instance)
