import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Action, AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    """Narrow the events a user may see; no filter can widen that scope."""

    action = django_filters.ChoiceFilter(choices=Action.choices)
    target_type = django_filters.CharFilter(
        help_text=_("app_label.model_name, e.g. inspections.housinglocation.")
    )
    target_id = django_filters.CharFilter(help_text=_("Primary key of the target, as text."))
    actor = django_filters.CharFilter(
        field_name="actor_username", help_text=_("Username of who acted (exact).")
    )
    municipality_code = django_filters.CharFilter(help_text=_("CBS code, e.g. GM1783."))
    occurred_after = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        help_text=_("ISO 8601 date-time, inclusive, e.g. 2025-01-31T00:00:00Z."),
    )
    occurred_before = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        help_text=_("ISO 8601 date-time, exclusive, e.g. 2025-02-01T00:00:00Z."),
    )

    class Meta:
        model = AuditEvent
        fields = [
            "action",
            "target_type",
            "target_id",
            "actor",
            "municipality_code",
            "occurred_after",
            "occurred_before",
        ]
