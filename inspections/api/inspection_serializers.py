"""How inspections, submissions and the field app's data are read and written."""

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from geo.fields import PointInputField
from inspections.models import (
    ChecklistTemplate,
    Finding,
    HousingLocation,
    Inspection,
    InspectionKind,
    InspectionStatus,
    Severity,
    Violation,
)
from inspections.services.norms import capacity_of, figures_of

from .checklists import ChecklistTemplateItemSerializer
from .location_serializers import POINT_SCHEMA, point_geojson
from .serializers import PostcodeField

MAX_LIST = 500
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    """A checklist version with its items, as the field app stores it offline."""

    items = ChecklistTemplateItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = [
            "id",
            "code",
            "version",
            "name",
            "source",
            "status",
            "published_at",
            "items",
            "updated_at",
        ]
        ref_name = "FieldChecklistTemplate"


class FieldLocationSerializer(serializers.ModelSerializer):
    """What an inspector needs on site, offline: where, what, how many may live there."""

    postcode = PostcodeField()
    address_line = serializers.CharField(read_only=True)
    point = serializers.SerializerMethodField()
    municipality = serializers.CharField(source="municipality.code")
    provider = serializers.CharField(source="provider.name")
    bedrooms = serializers.SerializerMethodField()
    beds = serializers.SerializerMethodField()
    capacity_binding = serializers.SerializerMethodField()

    class Meta:
        model = HousingLocation
        fields = [
            "id",
            "address_line",
            "street",
            "house_number",
            "house_letter",
            "house_number_addition",
            "postcode",
            "place",
            "point",
            "municipality",
            "kind",
            "status",
            "provider",
            "usable_floor_area_m2",
            "bedrooms",
            "beds",
            "toilets",
            "showers",
            "kitchens",
            "capacity",
            "capacity_binding",
            "updated_at",
        ]

    @extend_schema_field(POINT_SCHEMA)
    def get_point(self, location) -> dict:
        return point_geojson(location.point)

    def get_bedrooms(self, location) -> list[dict]:
        return [
            {"label": b.label, "floor_area_m2": b.floor_area_m2, "beds": b.beds}
            for b in location.bedrooms.all()
        ]

    def get_beds(self, location) -> int:
        return sum(b.beds for b in location.bedrooms.all())

    def get_capacity_binding(self, location) -> list[str]:
        return capacity_of(figures_of(location), location.norm_profile).binding


class FindingSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code", default=None)
    observed_on = serializers.DateTimeField(source="inspection.submission.ended_at", default=None)

    class Meta:
        model = Finding
        fields = ["id", "inspection", "item", "severity", "note", "from_answer", "observed_on"]


class InspectionSerializer(serializers.ModelSerializer):
    location = serializers.PrimaryKeyRelatedField(read_only=True)
    address = serializers.CharField(source="location.address_line", read_only=True)
    municipality = serializers.CharField(source="location.municipality.code", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to.username", default=None, read_only=True)
    template = serializers.PrimaryKeyRelatedField(read_only=True)
    submission = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "location",
            "address",
            "municipality",
            "kind",
            "status",
            "status_reason",
            "planned_date",
            "window_start",
            "window_end",
            "route_position",
            "assigned_to",
            "template",
            "reason",
            "follows",
            "submission",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_submission(self, inspection) -> str | None:
        submission = (
            getattr(inspection, "submission", None)
            if inspection.status in ("submitted", "reviewed", "closed")
            else None
        )
        return str(submission.pk) if submission else None


class InspectionCreateSerializer(serializers.Serializer):
    location = serializers.PrimaryKeyRelatedField(queryset=HousingLocation.objects.none())
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    planned_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if locations is not None:
            self.fields["location"].queryset = locations


class ScheduleSerializer(serializers.Serializer):
    planned_date = serializers.DateField(required=False, allow_null=True)
    window_start = serializers.TimeField(required=False, allow_null=True)
    window_end = serializers.TimeField(required=False, allow_null=True)
    route_position = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=999
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChecklistTemplate.objects.all(), required=False
    )

    def validate(self, attrs):
        if "template" in attrs:
            attrs["template_id"] = attrs.pop("template").pk
        return attrs


class AssignSerializer(serializers.Serializer):
    inspector = serializers.CharField(
        max_length=150, help_text="Username of an inspector of the municipality."
    )
    planned_date = serializers.DateField(required=False)
    window_start = serializers.TimeField(required=False)
    window_end = serializers.TimeField(required=False)
    route_position = serializers.IntegerField(required=False, min_value=0, max_value=999)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=InspectionStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ArrivalSerializer(serializers.Serializer):
    point = PointInputField(
        allow_null=True, help_text="GPS position at arrival (WGS84), null if none."
    )
    accuracy_m = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100_000
    )


class ObservedSerializer(serializers.Serializer):
    persons = serializers.IntegerField(min_value=0, max_value=10_000)
    beds_in_use = serializers.IntegerField(min_value=0, max_value=10_000)
    bedrooms_in_use = serializers.IntegerField(min_value=0, max_value=10_000)


class AnswerInputSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=20)
    value = serializers.JSONField(
        allow_null=True, help_text="true/false, a number, a choice, text; null: n/a"
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class FindingInputSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)
    severity = serializers.ChoiceField(choices=Severity.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=50
    )


class PhotoReferenceInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        help_text="The id the app gave the photo; upload it with POST /api/v1/photos/."
    )
    sha256 = serializers.CharField(min_length=64, max_length=64)
    item = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)

    def validate_sha256(self, value):
        value = value.lower()
        if not _SHA256.match(value):
            raise serializers.ValidationError(
                _("64 hexadecimal characters: the SHA-256 of the photo file.")
            )
        return value


class SubmissionInputSerializer(serializers.Serializer):
    """An inspection as the field app recorded it offline."""

    id = serializers.UUIDField(
        help_text="Generated by the app; the same id is the same submission."
    )
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    arrival = ArrivalSerializer(allow_null=True)
    observed = ObservedSerializer()
    answers = AnswerInputSerializer(many=True, max_length=MAX_LIST)
    findings = FindingInputSerializer(many=True, required=False, default=list, max_length=MAX_LIST)
    photos = PhotoReferenceInputSerializer(
        many=True, required=False, default=list, max_length=MAX_LIST
    )

    def validate_photos(self, photos):
        ids = [str(p["id"]) for p in photos]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise serializers.ValidationError(
                _("Photos named twice: %(ids)s.") % {"ids": ", ".join(twice)}
            )
        return photos


class ViolationSerializer(serializers.ModelSerializer):
    finding = FindingSerializer(read_only=True)
    address = serializers.CharField(source="location.address_line", read_only=True)

    class Meta:
        model = Violation
        fields = [
            "id",
            "location",
            "address",
            "severity",
            "deadline",
            "status",
            "resolved_at",
            "finding",
            "created_at",
        ]
        read_only_fields = fields


class SubmissionResultSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="submission.id")
    inspection = serializers.IntegerField(source="submission.inspection_id")
    status = serializers.CharField(source="submission.inspection.status")
    received_at = serializers.DateTimeField(source="submission.received_at")
    arrival_distance_m = serializers.IntegerField(
        source="submission.arrival_distance_m", allow_null=True
    )
    arrival_far = serializers.BooleanField(source="submission.arrival_far")
    findings = serializers.SerializerMethodField()
    missing_photos = serializers.ListField(child=serializers.UUIDField())
    reinspection = serializers.SerializerMethodField()

    def get_findings(self, result) -> list[dict]:
        findings = Finding.objects.filter(
            inspection_id=result.submission.inspection_id
        ).select_related("item", "violation", "inspection__submission")
        return [
            {
                **FindingSerializer(finding).data,
                "violation": {"id": finding.violation.pk, "deadline": finding.violation.deadline}
                if hasattr(finding, "violation")
                else None,
            }
            for finding in findings
        ]

    def get_reinspection(self, result) -> int | None:
        if result.reinspection is not None:
            return result.reinspection.pk
        follow_up = result.submission.inspection.follow_ups.order_by("id").first()
        return follow_up.pk if follow_up else None
