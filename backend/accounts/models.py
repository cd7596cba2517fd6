import uuid

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from .roles import MUNICIPAL_ROLES, UNSCOPED_ROLES, Role

municipality_code_validator = RegexValidator(
    r"^GM\d{4}$", _("A CBS municipality code is 'GM' followed by 4 digits, e.g. GM1783.")
)


class User(AbstractUser):
    """A person using the system. Only what login and accountability need; no BSN, ever."""

    class Meta:
        db_table = "accounts_user"


class RoleAssignment(models.Model):
    """A role a user holds, for one municipality (municipal staff) or none (employer, national).

    The municipality is kept as its CBS code rather than a foreign key to one year's boundary,
    so that importing next year's boundaries does not move anybody's permissions.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    # NULL (not "") means "no municipality": the check and unique constraints rely on it.
    municipality_code = models.CharField(  # noqa: DJ001
        max_length=6, null=True, blank=True, validators=[municipality_code_validator]
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role", "municipality_code"]
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(role__in=sorted(MUNICIPAL_ROLES), municipality_code__isnull=False)
                    | Q(role__in=sorted(UNSCOPED_ROLES), municipality_code__isnull=True)
                ),
                violation_error_message=_(
                    "Municipal roles need a municipality; employer and national roles have none."
                ),
            ),
            # Two partial constraints, because NULLs are distinct in a plain unique constraint.
            models.UniqueConstraint(
                fields=["user", "role", "municipality_code"],
                condition=Q(municipality_code__isnull=False),
                name="unique_municipal_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(municipality_code__isnull=True),
                name="unique_unscoped_role",
            ),
        ]

    def __str__(self) -> str:
        scope = f" @ {self.municipality_code}" if self.municipality_code else ""
        return f"{self.user}: {self.get_role_display()}{scope}"


class ApiToken(AbstractAuthToken):
    """An expiring, revocable token for the field app and other clients (django-rest-knox).

    Only a hash of the token is stored; the token itself is shown once, when it is created.
    """

    # The primary key is the token's digest, which must never leave the server; clients
    # refer to a token by this id instead (to list and revoke it).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(
        max_length=100, blank=True, help_text=_("Which device or client uses it, e.g. 'Pixel 7'.")
    )

    class Meta:
        ordering = ["-created"]
