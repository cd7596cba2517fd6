from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import municipality_code_validator
from inspections.validators import validate_kvk_number

from .addresses import Address


class OrganisationStatus(models.TextChoices):
    # Known only because housing names it (as landlord, operator or employer); nobody signed up.
    UNREGISTERED = "unregistered", _("Unregistered (named by others)")
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class Organisation(Address):
    """An employer, temp agency (uitzendbureau), landlord or housing provider, by KvK number.

    One organisation may play several parts (an agency that also rents out housing), hence the
    flags. Its address is its registered office: required to sign up, unknown for organisations
    that are only named by others.
    """

    street = models.CharField(_("street"), max_length=100, blank=True)
    house_number = models.PositiveIntegerField(_("house number"), null=True, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    place = models.CharField(_("place"), max_length=80, blank=True)

    kvk_number = models.CharField(
        _("KvK number"), max_length=8, unique=True, validators=[validate_kvk_number]
    )
    name = models.CharField(_("name"), max_length=200)
    is_employer = models.BooleanField(_("employer"), default=False)
    is_temp_agency = models.BooleanField(_("temp agency (uitzendbureau)"), default=False)
    is_landlord = models.BooleanField(_("landlord"), default=False)
    is_housing_provider = models.BooleanField(_("housing provider"), default=False)
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    status = models.CharField(
        max_length=16, choices=OrganisationStatus.choices, default=OrganisationStatus.PENDING
    )
    status_reason = models.CharField(max_length=500, blank=True)
    # The municipality whose administrators verify this organisation (where it signed up).
    municipality_code = models.CharField(
        max_length=6, blank=True, validators=[municipality_code_validator]
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="organisation_signed_up_has_municipality",
                condition=Q(status=OrganisationStatus.UNREGISTERED) | ~Q(municipality_code=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (KvK {self.kvk_number})"

    @property
    def may_register_housing(self) -> bool:
        return self.status == OrganisationStatus.VERIFIED


class OrganisationMembership(models.Model):
    """A user who acts for an organisation (employer or agency staff); one organisation a user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_membership"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"
