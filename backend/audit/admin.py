from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The whole log, events without a municipality included; read-only (append-only log)."""

    list_display = [
        "occurred_at",
        "actor_username",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "municipality_code",
    ]
    list_filter = ["action", "target_type", "municipality_code"]
    search_fields = ["actor_username", "target_repr", "target_id"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # the log grows without bound; skip counting it all

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
