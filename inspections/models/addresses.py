from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from inspections.validators import format_postcode, validate_postcode


class Address(models.Model):
    """A Dutch address. Postcode stored without space ('2671AB'); letter and addition '' if none.

    Blank strings rather than NULLs, so that the uniqueness of an address is a plain constraint.
    """

    street = models.CharField(_("street"), max_length=100)
    house_number = models.PositiveIntegerField(
        _("house number"), validators=[MinValueValidator(1), MaxValueValidator(99999)]
    )
    house_letter = models.CharField(
        _("house letter"),
        max_length=1,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]?$", _("One capital letter, e.g. A."))],
    )
    house_number_addition = models.CharField(
        _("house number addition"),
        max_length=4,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Z0-9]{0,4}$", _("Up to 4 letters or digits, e.g. 2 or BIS."))
        ],
    )
    postcode = models.CharField(_("postcode"), max_length=6, validators=[validate_postcode])
    place = models.CharField(_("place"), max_length=80)

    class Meta:
        abstract = True

    @property
    def address_line(self) -> str:
        number = f"{self.house_number}{self.house_letter}"
        if self.house_number_addition:
            number += f"-{self.house_number_addition}"
        return f"{self.street} {number}, {format_postcode(self.postcode)} {self.place}"
