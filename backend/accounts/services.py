"""Writes about accounts: issuing and revoking tokens, granting and revoking roles."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from knox.settings import knox_settings
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.api.problems import Conflict

from .models import ApiToken, RoleAssignment, User
from .roles import MUNICIPAL_ROLES, Role
from .selectors import administered_municipalities, grants_for


def issue_token(
    *, username: str, password: str, name: str = "", request=None
) -> tuple[ApiToken, str]:
    """Check the password and create a token; returns the stored token and its one-time secret."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        # 400 rather than 401: the request is wrong, not its (absent) credentials.
        raise ValidationError(_("Unknown username or wrong password."))
    if knox_settings.TOKEN_LIMIT_PER_USER is not None:
        active = user.auth_token_set.count()
        if active >= knox_settings.TOKEN_LIMIT_PER_USER:
            raise Conflict(
                _(
                    "You have %(count)d active tokens, the maximum. Revoke one with "
                    "DELETE /api/v1/auth/tokens/{id}/ first."
                )
                % {"count": active}
            )
    token, secret = ApiToken.objects.create(user=user, name=name)
    return token, secret


def revoke_token(*, token: ApiToken) -> None:
    token.delete()


def grant_role(
    *, granted_by: User, username: str, role: str, municipality_code: str
) -> RoleAssignment:
    """A municipal administrator gives a colleague a role in a municipality they administer."""
    if role not in MUNICIPAL_ROLES:
        raise ValidationError({"role": [_("Only municipal roles can be granted here.")]})
    administered = administered_municipalities(granted_by)
    if municipality_code not in administered:
        raise PermissionDenied(
            _("You administer %(codes)s, not %(code)s.")
            % {"codes": ", ".join(sorted(administered)) or "-", "code": municipality_code}
        )
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": [_("No active user with this username.")]})
    if grants_for(user).has_any([Role.EMPLOYER]):
        raise ValidationError(
            {"username": [_("This user acts for an employer; municipal roles would conflict.")]}
        )
    existing = RoleAssignment.objects.filter(
        user=user, role=role, municipality_code=municipality_code
    ).first()
    if existing:
        raise Conflict(
            _("%(user)s already is %(role)s in %(code)s (assignment %(id)s).")
            % {"user": username, "role": role, "code": municipality_code, "id": existing.pk},
            existing=existing.pk,
        )
    return RoleAssignment.objects.create(
        user=user, role=role, municipality_code=municipality_code, granted_by=granted_by
    )


def revoke_role(*, revoked_by: User, assignment: RoleAssignment) -> None:
    if assignment.user_id == revoked_by.pk and assignment.role == Role.MUNICIPAL_ADMIN:
        raise PermissionDenied(
            _("You cannot revoke your own administrator role; ask another administrator.")
        )
    assignment.delete()
