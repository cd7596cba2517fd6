"""CBS areas: gemeenten (GM####), wijken (WK######) and buurten (BU########), per year.

Codes change when municipalities merge, so every area is kept per year: (code, year) is unique.
Geometries are stored in WGS84 (EPSG:4326), as clients send and GeoJSON serves them; areas and
distances are computed in RD New (EPSG:28992). Each geometry has a spatial index (GeoDjango's
default) and must be valid (a database check), so point lookups can trust it.
"""

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

AREA_SRID = 4326


class Area(models.Model):
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        help_text=_("The CBS data year the boundary belongs to."),
    )
    geom = models.MultiPolygonField(srid=AREA_SRID)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["code", "-year"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.year})"

    @classmethod
    def area_constraints(cls, prefix: str) -> list:
        return [
            models.UniqueConstraint(fields=["code", "year"], name=f"{prefix}_unique_code_year"),
            models.CheckConstraint(condition=Q(geom__isvalid=True), name=f"{prefix}_valid_geom"),
            models.CheckConstraint(
                condition=Q(year__gte=1990, year__lte=2100), name=f"{prefix}_plausible_year"
            ),
        ]


class Municipality(Area):
    """Gemeente."""

    code = models.CharField(
        max_length=6, validators=[RegexValidator(r"^GM\d{4}$", _("Expected GM and 4 digits."))]
    )

    class Meta(Area.Meta):
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = Area.area_constraints("municipality")


class District(Area):
    """Wijk."""

    code = models.CharField(
        max_length=8, validators=[RegexValidator(r"^WK\d{6}$", _("Expected WK and 6 digits."))]
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="districts"
    )

    class Meta(Area.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = Area.area_constraints("district")


class Neighbourhood(Area):
    """Buurt."""

    code = models.CharField(
        max_length=10, validators=[RegexValidator(r"^BU\d{8}$", _("Expected BU and 8 digits."))]
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="neighbourhoods"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="neighbourhoods")

    class Meta(Area.Meta):
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        constraints = Area.area_constraints("neighbourhood")
