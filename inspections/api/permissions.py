"""Who may use the registry at all; which objects is decided by the selectors (scoping)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from backend.accounts.roles import MUNICIPAL_ROLES, Role
from backend.accounts.selectors import grants_for
from inspections.services.organisations import require_active_organisation

# Municipal roles that may change registry data (inspectors and planners read).
EDITING_STAFF = frozenset({Role.MUNICIPAL_ADMIN, Role.ENFORCEMENT_OFFICER})


def is_staff(user) -> bool:
    return grants_for(user).has_any(MUNICIPAL_ROLES)


def is_provider(user) -> bool:
    return grants_for(user).has_any([Role.EMPLOYER])


class UsesRegistry(BasePermission):
    """Municipal staff, or members of an organisation that is pending or verified.

    National read-only users see aggregates only; rejected or suspended organisations nothing.
    """

    def has_permission(self, request, view):
        if is_staff(request.user):
            return True
        if is_provider(request.user):
            require_active_organisation(request.user)  # raises with the organisation's status
            return True
        if grants_for(request.user).has_any([Role.NATIONAL_READONLY]):
            raise PermissionDenied(
                _("National users see aggregates only: GET /api/v1/statistics/municipalities/.")
            )
        return False


class StaffReadsProviderWrites(UsesRegistry):
    """Providers register and change their own; staff read, and admins or officers change."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS or is_provider(request.user):
            return True
        return grants_for(request.user).has_any(EDITING_STAFF)
