"""Dutch identifiers: KvK numbers, postcodes, house numbers, BAG ids; and spotting BSNs.

Each validator raises a Django ValidationError whose message says what a valid value looks like.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_KVK = re.compile(r"^\d{8}$")
_POSTCODE = re.compile(r"^\s*([1-9]\d{3})\s?([A-Za-z]{2})\s*$")
_BAG_ID = re.compile(r"^\d{16}$")
# BAG object type codes (digits 5-6 of a BAG id).
BAG_TYPE_VERBLIJFSOBJECT = "01"
BAG_TYPE_NUMMERAANDUIDING = "20"


def validate_kvk_number(value: str) -> None:
    """A KvK number is exactly 8 digits; it has no check digit (KvK: "no further logic")."""
    if not _KVK.match(value or "") or value == "00000000":
        raise ValidationError(
            _("A KvK number is exactly 8 digits, e.g. 12345678; got %(value)r."),
            params={"value": value},
        )


def normalise_postcode(value: str) -> str:
    """'2671ab', '2671 AB' -> '2671AB' (stored without space); raise for anything else."""
    match = _POSTCODE.match(value or "")
    if not match:
        raise ValidationError(
            _(
                "A postcode is 4 digits (not starting with 0) and 2 letters, e.g. 2671 AB; "
                "got %(value)r."
            ),
            params={"value": value},
        )
    digits, letters = match.groups()
    letters = letters.upper()
    if letters in {"SA", "SD", "SS"}:  # never issued by PostNL
        raise ValidationError(_("Postcodes never end in SA, SD or SS."))
    return f"{digits}{letters}"


def format_postcode(value: str) -> str:
    return f"{value[:4]} {value[4:]}" if len(value) == 6 else value


def validate_postcode(value: str) -> None:
    normalise_postcode(value)


def _validate_bag_id(value: str, type_code: str, name: str) -> None:
    if not _BAG_ID.match(value or ""):
        raise ValidationError(
            _("A BAG %(name)s id is 16 digits; got %(value)r."),
            params={"name": name, "value": value},
        )
    if value[4:6] != type_code:
        raise ValidationError(
            _(
                "Digits 5-6 of a BAG %(name)s id are %(code)s; %(value)s has %(found)s, which is "
                "another kind of BAG object (01 verblijfsobject, 10 pand, 20 nummeraanduiding)."
            ),
            params={"name": name, "code": type_code, "value": value, "found": value[4:6]},
        )


def validate_verblijfsobject_id(value: str) -> None:
    _validate_bag_id(value, BAG_TYPE_VERBLIJFSOBJECT, "verblijfsobject")


def validate_nummeraanduiding_id(value: str) -> None:
    _validate_bag_id(value, BAG_TYPE_NUMMERAANDUIDING, "nummeraanduiding")


def is_bsn(value: str) -> bool:
    """Whether a value looks like a BSN: 9 digits passing the BSN eleven-test."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 9 or not (value or "").strip().replace(".", "").replace(" ", "").isdigit():
        return False
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    return total % 11 == 0 and digits != "000000000"
