"""Permission classes. The default (REST_FRAMEWORK settings) is DenyAll: each view names its own."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from backend.accounts.roles import MUNICIPAL_ROLES, Role
from backend.accounts.selectors import grants_for


class DenyAll(BasePermission):
    """The default: a view that forgot to declare a permission serves nobody."""

    message = _("This endpoint has no permission configured; access is denied.")

    def has_permission(self, request, view):
        return False


class HasRole(BasePermission):
    """Signed in and holding at least one of `roles` (in any municipality)."""

    roles: frozenset[str] = frozenset()
    message = _("Your role does not allow this.")

    def has_permission(self, request, view):
        return grants_for(request.user).has_any(self.roles)


class IsMunicipalStaff(HasRole):
    """Inspectors, planners, enforcement officers and municipal administrators."""

    roles = MUNICIPAL_ROLES
    message = _("Only municipal staff may do this.")


class IsMunicipalAdmin(HasRole):
    roles = frozenset({Role.MUNICIPAL_ADMIN})
    message = _("Only a municipal administrator may do this.")


class ReadOnly(BasePermission):
    """Combine with another class (`IsAuthenticated & ReadOnly`) for read-only resources."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS
