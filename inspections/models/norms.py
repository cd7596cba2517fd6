from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import municipality_code_validator

from .housing import LocationKind


class NormProfile(models.Model):
    """A housing norm: how many persons a location may hold (see domain.md; SNF, AKF, Bouwbesluit).

    A limit left empty does not apply under this norm.
    """

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    source = models.CharField(max_length=300, help_text=_("Where the figures come from."))
    floor_area_per_person_m2 = models.DecimalField(
        _("usable floor area per person (m²)"), max_digits=5, decimal_places=2
    )
    persons_per_bedroom = models.PositiveSmallIntegerField(null=True, blank=True)
    bedroom_area_per_person_m2 = models.DecimalField(
        _("bedroom floor area per person (m²)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    persons_per_toilet = models.PositiveSmallIntegerField(null=True, blank=True)
    persons_per_shower = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="norm_limits_positive",
                condition=Q(floor_area_per_person_m2__gt=0)
                & (Q(persons_per_bedroom__isnull=True) | Q(persons_per_bedroom__gt=0))
                & (Q(bedroom_area_per_person_m2__isnull=True) | Q(bedroom_area_per_person_m2__gt=0))
                & (Q(persons_per_toilet__isnull=True) | Q(persons_per_toilet__gt=0))
                & (Q(persons_per_shower__isnull=True) | Q(persons_per_shower__gt=0)),
            )
        ]

    def __str__(self) -> str:
        return self.name


class NormProfileAssignment(models.Model):
    """Which norm applies: per municipality ('' = national default) and kind ('' = every kind).

    The most specific assignment wins: municipality and kind, municipality, national and kind,
    national.
    """

    municipality_code = models.CharField(
        max_length=6, blank=True, validators=[municipality_code_validator]
    )
    location_kind = models.CharField(max_length=24, blank=True, choices=LocationKind.choices)
    profile = models.ForeignKey(NormProfile, on_delete=models.PROTECT, related_name="assignments")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_code", "location_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_code", "location_kind"], name="unique_norm_assignment"
            )
        ]

    def __str__(self) -> str:
        where = self.municipality_code or "NL"
        return f"{where} / {self.location_kind or 'all kinds'}: {self.profile}"
