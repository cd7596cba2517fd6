from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import ApiToken, RoleAssignment, User, municipality_code_validator
from .roles import MUNICIPAL_ROLES, Role


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, style={"input_type": "password"}, trim_whitespace=False
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Device or client, e.g. 'Pixel 7'."),
    )


class TokenSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    expires_at = serializers.DateTimeField(source="expiry", read_only=True)
    created_at = serializers.DateTimeField(source="created", read_only=True)
    current = serializers.SerializerMethodField(
        help_text=_("Whether this request used this token.")
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created_at", "expires_at", "current"]

    def get_current(self, token) -> bool:
        request = self.context.get("request")
        return bool(request and getattr(request.auth, "pk", None) == token.pk)


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text=_("The secret: shown only now. Send it as `Bearer <token>`.")
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoleAssignment
        fields = ["role", "municipality_code"]


class MeSerializer(serializers.ModelSerializer):
    roles = RoleSerializer(source="role_assignments", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "roles"]
        read_only_fields = ["username"]


class RoleAssignmentSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", max_length=150)
    role = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in Role if r in MUNICIPAL_ROLES]
    )
    municipality_code = serializers.CharField(validators=[municipality_code_validator])
    granted_by = serializers.CharField(source="granted_by.username", read_only=True, default=None)

    class Meta:
        model = RoleAssignment
        fields = ["id", "username", "role", "municipality_code", "granted_by", "created_at"]
        read_only_fields = ["id", "granted_by", "created_at"]
