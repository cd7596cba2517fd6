from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from inspections.validators import validate_nummeraanduiding_id, validate_verblijfsobject_id

from .addresses import Address


class LocationKind(models.TextChoices):
    ORDINARY_DWELLING = "ordinary_dwelling", _("Ordinary dwelling")
    SHARED_HOUSE = "shared_house", _("Shared house")
    EMPLOYER_GROUNDS = "employer_grounds", _("Units on the employer's own grounds")
    HOTEL_GUESTHOUSE = "hotel_guesthouse", _("Hotel or guesthouse")
    LARGE_SCALE_LODGING = "large_scale_lodging", _("Large-scale lodging")
    RECREATIONAL_PARK = "recreational_park", _("Recreational park")


class LocationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    VERIFIED = "verified", _("Verified")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class HousingLocation(Address):
    """A place where labour migrants are housed, as its provider registered it.

    The municipality, district and neighbourhood are derived from the point when it is saved by
    the housing service. `capacity` is stored, derived from the figures and the applicable norm
    profile by inspections.services.norms.capacity_of (the only formula); it is stored so that
    lists and the overcrowding filter over hundreds of thousands of locations need not evaluate
    norms in SQL, and the services recompute it whenever a figure, a bedroom or a norm changes.
    """

    bag_verblijfsobject_id = models.CharField(
        _("BAG verblijfsobject id"),
        max_length=16,
        blank=True,
        validators=[validate_verblijfsobject_id],
    )
    bag_nummeraanduiding_id = models.CharField(
        _("BAG nummeraanduiding id"),
        max_length=16,
        blank=True,
        validators=[validate_nummeraanduiding_id],
    )
    point = models.PointField(srid=4326)
    outline = models.MultiPolygonField(srid=4326, null=True, blank=True)
    kind = models.CharField(max_length=24, choices=LocationKind.choices)
    usable_floor_area_m2 = models.DecimalField(
        _("usable floor area (GBO, NEN 2580) in m²"), max_digits=8, decimal_places=2
    )
    toilets = models.PositiveSmallIntegerField()
    showers = models.PositiveSmallIntegerField()
    kitchens = models.PositiveSmallIntegerField()

    provider = models.ForeignKey(
        "inspections.Organisation",
        on_delete=models.PROTECT,
        related_name="provided_locations",
        help_text=_("The employer or agency that registered the location and answers for it."),
    )
    landlord = models.ForeignKey(
        "inspections.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rented_out_locations",
    )
    operator = models.ForeignKey(
        "inspections.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operated_locations",
    )
    employers = models.ManyToManyField(
        "inspections.Organisation", blank=True, related_name="employee_locations"
    )
    landlord_permit_number = models.CharField(
        _("landlord permit (verhuurvergunning) number"), max_length=50, blank=True
    )
    landlord_permit_valid_from = models.DateField(null=True, blank=True)
    landlord_permit_valid_until = models.DateField(null=True, blank=True)

    status = models.CharField(
        max_length=12, choices=LocationStatus.choices, default=LocationStatus.REGISTERED
    )
    status_reason = models.CharField(max_length=500, blank=True)
    found_unregistered = models.BooleanField(
        default=False,
        help_text=_("The municipality found people housed here before anybody registered it."),
    )

    municipality = models.ForeignKey(
        "geo.Municipality", on_delete=models.PROTECT, related_name="housing_locations"
    )
    district = models.ForeignKey(
        "geo.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    neighbourhood = models.ForeignKey(
        "geo.Neighbourhood", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    norm_profile = models.ForeignKey(
        "inspections.NormProfile", on_delete=models.PROTECT, related_name="locations"
    )
    capacity = models.PositiveIntegerField(
        help_text=_(
            "Persons the norm profile allows; derived from the figures, recomputed on every change."
        )
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postcode", "house_number", "house_letter", "house_number_addition"],
                name="unique_location_address",
            ),
            models.UniqueConstraint(
                fields=["bag_verblijfsobject_id"],
                condition=~Q(bag_verblijfsobject_id=""),
                name="unique_location_verblijfsobject",
            ),
            models.CheckConstraint(
                name="location_floor_area_positive", condition=Q(usable_floor_area_m2__gt=0)
            ),
            models.CheckConstraint(
                name="location_permit_validity_in_order",
                condition=Q(landlord_permit_valid_until__isnull=True)
                | Q(landlord_permit_valid_from__isnull=True)
                | Q(landlord_permit_valid_until__gte=F("landlord_permit_valid_from")),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"]),
            models.Index(fields=["provider"]),
            models.Index(fields=["kind"]),
        ]

    def __str__(self) -> str:
        return self.address_line


class Bedroom(models.Model):
    location = models.ForeignKey(HousingLocation, on_delete=models.CASCADE, related_name="bedrooms")
    label = models.CharField(
        _("label"), max_length=30, help_text=_("e.g. 'K1' or 'first floor left'")
    )
    floor_area_m2 = models.DecimalField(_("floor area in m²"), max_digits=6, decimal_places=2)
    beds = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["location_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["location", "label"], name="unique_bedroom_label"),
            models.CheckConstraint(name="bedroom_area_positive", condition=Q(floor_area_m2__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.floor_area_m2} m², {self.beds} beds)"
