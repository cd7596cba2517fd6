"""Accounts API: tokens for the field app, the signed-in user, and role assignments."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from backend.api.base import GenericAPIView, GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, ConditionalUpdateMixin
from backend.api.pagination import CursorPagination
from backend.api.permissions import IsMunicipalAdmin
from backend.api.throttling import AuthRateThrottle

from . import services
from .models import ApiToken, RoleAssignment, User
from .selectors import role_assignments_visible_to
from .serializers import (
    IssuedTokenSerializer,
    MeSerializer,
    RoleAssignmentSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


class TokenPagination(CursorPagination):
    ordering = "-created"


@extend_schema_view(
    list=extend_schema(summary="List your active tokens"),
    destroy=extend_schema(summary="Revoke one of your tokens (e.g. of a lost phone)"),
)
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, GenericViewSet):
    """Tokens for the field app and other clients: obtain with a password, list, revoke."""

    serializer_class = TokenSerializer
    pagination_class = TokenPagination
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    idempotency_keys = False  # a stored response would keep the token's secret

    def get_permissions(self):
        return [AllowAny()] if self.action == "create" else [IsAuthenticated()]

    def get_throttles(self):
        return [AuthRateThrottle()] if self.action == "create" else super().get_throttles()

    def get_authenticators(self):
        # Obtaining a token needs only the password: no session, so no CSRF check.
        if self.request and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_queryset(self):
        return ApiToken.objects.filter(user_id=self.request.user.pk)

    @extend_schema(
        summary="Obtain a token with username and password",
        request=TokenRequestSerializer,
        responses={201: IssuedTokenSerializer},
        auth=[],
    )
    def create(self, request):
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, secret = services.issue_token(**payload.validated_data, request=request)
        token.token = secret
        return Response(IssuedTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_token(token=instance)


class MeView(ConditionalRetrieveMixin, ConditionalUpdateMixin, GenericAPIView):
    """The signed-in user and the roles they hold. PATCH with If-Match to change name or e-mail."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer
    queryset = User.objects.prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.order_by("role", "municipality_code"),
        )
    )

    def get_object(self):
        return self.get_queryset().get(pk=self.request.user.pk)

    @extend_schema(summary="Who am I, and which roles do I hold")
    def get(self, request):
        return self.retrieve(request)

    @extend_schema(summary="Change my name or e-mail address")
    def patch(self, request):
        return self.partial_update(request)


@extend_schema_view(
    list=extend_schema(summary="Role assignments in the municipalities you administer"),
    create=extend_schema(summary="Grant a colleague a municipal role"),
    retrieve=extend_schema(summary="One role assignment"),
    destroy=extend_schema(summary="Revoke a role assignment"),
)
class RoleAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """Municipal administrators manage the roles of staff in their own municipalities."""

    permission_classes = [IsMunicipalAdmin]
    serializer_class = RoleAssignmentSerializer
    filterset_fields = ["role", "municipality_code"]

    def get_queryset(self):
        return role_assignments_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.grant_role(
            granted_by=self.request.user,
            username=data["user"]["username"],
            role=data["role"],
            municipality_code=data["municipality_code"],
        )

    def perform_destroy(self, instance):
        services.revoke_role(revoked_by=self.request.user, assignment=instance)
