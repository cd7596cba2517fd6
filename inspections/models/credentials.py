from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class CredentialKind(models.TextChoices):
    SNA_NEN_4400 = "sna_nen4400", _("SNA certificate (NEN 4400-1/-2)")
    WTTA_ADMISSION = "wtta_admission", _("Wtta admission (toelating uitzendbureaus, from 2027)")
    SNF = "snf", _("SNF certificate (Stichting Normering Flexwonen)")
    AKF = "akf", _("AKF certificate (Agrarisch Keurmerk Flexwonen)")


# Agencies are certified or admitted as organisations; SNF and AKF certify housing locations.
ORGANISATION_CREDENTIALS = (CredentialKind.SNA_NEN_4400, CredentialKind.WTTA_ADMISSION)
LOCATION_CREDENTIALS = (CredentialKind.SNF, CredentialKind.AKF)


class Credential(models.Model):
    """A certificate, admission or register entry, with its number, issuer and validity."""

    kind = models.CharField(max_length=20, choices=CredentialKind.choices)
    organisation = models.ForeignKey(
        "inspections.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="credentials",
    )
    location = models.ForeignKey(
        "inspections.HousingLocation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="credentials",
    )
    number = models.CharField(_("certificate or register number"), max_length=50)
    issuer = models.CharField(_("issuer"), max_length=120)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text=_("Empty: no end date."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                name="credential_holder_matches_kind",
                condition=(
                    Q(
                        kind__in=ORGANISATION_CREDENTIALS,
                        organisation__isnull=False,
                        location__isnull=True,
                    )
                    | Q(
                        kind__in=LOCATION_CREDENTIALS,
                        organisation__isnull=True,
                        location__isnull=False,
                    )
                ),
            ),
            models.CheckConstraint(
                name="credential_validity_in_order",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
            ),
            models.UniqueConstraint(
                fields=["kind", "number", "issuer"], name="unique_credential_number"
            ),
        ]
        indexes = [models.Index(fields=["kind", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)
