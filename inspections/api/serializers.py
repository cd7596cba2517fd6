"""Shared pieces of the domain's serializers: address input, organisation references."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inspections.validators import (
    format_postcode,
    normalise_postcode,
    validate_kvk_number,
)


def as_drf(validator):
    """Run a Django validator inside a DRF field, keeping its message."""

    def run(value):
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc

    return run


class PostcodeField(serializers.CharField):
    """Accepts '2671ab' or '2671 AB'; stores '2671AB'; shows '2671 AB'."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalise_postcode(value)
        except Exception as exc:  # Django's ValidationError with our message
            raise serializers.ValidationError(list(getattr(exc, "messages", [str(exc)]))) from exc

    def to_representation(self, value):
        return format_postcode(value) if value else value


class AddressInputSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=100)
    house_number = serializers.IntegerField(min_value=1, max_value=99999)
    house_letter = serializers.RegexField(
        r"^[A-Za-z]?$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": _("One letter, e.g. A.")},
    )
    house_number_addition = serializers.RegexField(
        r"^[A-Za-z0-9]{0,4}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": _("Up to 4 letters or digits, e.g. 2 or BIS.")},
    )
    postcode = PostcodeField()
    place = serializers.CharField(max_length=80)

    def validate_house_letter(self, value):
        return value.upper()

    def validate_house_number_addition(self, value):
        return value.upper()


class PartyInputSerializer(serializers.Serializer):
    """An organisation named by KvK number (landlord, operator, employer); created if unknown."""

    kvk_number = serializers.CharField(validators=[as_drf(validate_kvk_number)])
    name = serializers.CharField(max_length=200)


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kvk_number = serializers.CharField()
    status = serializers.CharField()
