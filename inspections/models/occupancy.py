"""How many people live at a location: declared, registered and observed. Counts only.

No names, no BSN, no dates of birth: the municipality needs how many, not who.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import municipality_code_validator


class OccupancyDeclaration(models.Model):
    """What the provider declares: `persons` live there from `valid_from` until `valid_until`."""

    location = models.ForeignKey(
        "inspections.HousingLocation", on_delete=models.CASCADE, related_name="declarations"
    )
    persons = models.PositiveIntegerField()
    valid_from = models.DateField()
    valid_until = models.DateField(
        null=True, blank=True, help_text=_("Empty: until further notice.")
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["location_id", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "valid_from"], name="unique_declaration_start"
            ),
            models.CheckConstraint(
                name="declaration_period_in_order",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.persons} persons from {self.valid_from}"


class RegisteredOccupancyImport(models.Model):
    """One upload of counts per address from the municipality's population register (BRP)."""

    municipality_code = models.CharField(max_length=6, validators=[municipality_code_validator])
    reference_date = models.DateField(_("reference date (peildatum)"))
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    matched = models.PositiveIntegerField()
    unmatched = models.JSONField(
        default=list, help_text=_("Rows that matched no location: row number and address key.")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same file imported twice is one import.
            models.UniqueConstraint(
                fields=["municipality_code", "file_sha256"], name="unique_registered_import_file"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_code} {self.reference_date} ({self.file_name})"


class RegisteredOccupancy(models.Model):
    """Persons registered at a location's address on a reference date."""

    location = models.ForeignKey(
        "inspections.HousingLocation", on_delete=models.CASCADE, related_name="registrations"
    )
    reference_date = models.DateField()
    persons = models.PositiveIntegerField()
    source = models.ForeignKey(
        RegisteredOccupancyImport, on_delete=models.CASCADE, related_name="registrations"
    )

    class Meta:
        ordering = ["location_id", "-reference_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "reference_date"], name="unique_registration_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.persons} registered on {self.reference_date}"


class OccupancyObservation(models.Model):
    """What an inspector counted on site."""

    location = models.ForeignKey(
        "inspections.HousingLocation", on_delete=models.CASCADE, related_name="observations"
    )
    observed_on = models.DateField()
    persons = models.PositiveIntegerField()
    beds_in_use = models.PositiveIntegerField(null=True, blank=True)
    bedrooms_in_use = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    inspection = models.OneToOneField(
        "inspections.Inspection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observation",
        help_text=_("The inspection whose submission counted this, if any."),
    )
    observed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["location_id", "-observed_on", "-id"]
        indexes = [models.Index(fields=["location", "-observed_on"])]

    def __str__(self) -> str:
        return f"{self.persons} observed on {self.observed_on}"
