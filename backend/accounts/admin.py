from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiToken, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "municipality_code", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "email", "is_active", "is_staff", "last_login"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "municipality_code", "granted_by", "created_at"]
    list_filter = ["role", "municipality_code"]
    search_fields = ["user__username", "municipality_code"]
    list_select_related = ["user", "granted_by"]
    autocomplete_fields = ["user"]
    readonly_fields = ["granted_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Back-office view of tokens: revoke (delete) one, never see its secret."""

    list_display = ["user", "name", "token_key", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username", "name", "token_key"]
    fields = ["user", "name", "token_key", "created", "expiry"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
