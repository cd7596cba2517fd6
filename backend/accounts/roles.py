"""The roles of api.md and which of them are held per municipality."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    EMPLOYER = "employer", _("Employer or temp agency")
    INSPECTOR = "inspector", _("Inspector")
    PLANNER = "planner", _("Planner")
    ENFORCEMENT_OFFICER = "enforcement_officer", _("Enforcement officer (handhaver)")
    MUNICIPAL_ADMIN = "municipal_admin", _("Municipal administrator")
    NATIONAL_READONLY = "national_readonly", _("National read-only (aggregates only)")


# Municipal staff act for one or more municipalities; each assignment names one.
MUNICIPAL_ROLES = frozenset(
    {Role.INSPECTOR, Role.PLANNER, Role.ENFORCEMENT_OFFICER, Role.MUNICIPAL_ADMIN}
)
# Employers are scoped by their organisation, national users see aggregates of all municipalities.
UNSCOPED_ROLES = frozenset({Role.EMPLOYER, Role.NATIONAL_READONLY})
