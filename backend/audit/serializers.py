from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import AuditEvent


@extend_schema_field(
    {
        "type": "object",
        "description": "Changed fields: {field: [old, new]}.",
        "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}},
    }
)
class ChangesField(serializers.JSONField):
    pass


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_username",
        read_only=True,
        help_text=_("Username of who acted; empty for the system or an anonymous request."),
    )
    changes = ChangesField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "municipality_code",
            "changes",
            "detail",
        ]
        read_only_fields = fields
