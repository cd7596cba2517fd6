"""Inspections (visits), what an inspector submits from the field, findings and violations."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inspections.storage import photo_path, photo_storage

from .checklists import Severity


class InspectionKind(models.TextChoices):
    PERIODIC = "periodic", _("Periodic")
    COMPLAINT = "complaint", _("Complaint-driven")
    REINSPECTION = "reinspection", _("Re-inspection (hercontrole)")
    REGISTRATION_CHECK = "registration_check", _("Registration check")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", pgettext_lazy("inspection status", "Closed")
    NO_ACCESS = "no_access", _("No access")
    CANCELLED = "cancelled", _("Cancelled")


class Inspection(models.Model):
    """A visit to a housing location, planned, assigned to an inspector, and carried out."""

    location = models.ForeignKey(
        "inspections.HousingLocation", on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(max_length=20, choices=InspectionKind.choices)
    status = models.CharField(
        max_length=12, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED
    )
    template = models.ForeignKey(
        "inspections.ChecklistTemplate",
        on_delete=models.PROTECT,
        related_name="inspections",
        help_text=_("The checklist version this inspection uses; it never changes under it."),
    )
    planned_date = models.DateField(null=True, blank=True)
    window_start = models.TimeField(null=True, blank=True, help_text="Europe/Amsterdam")
    window_end = models.TimeField(null=True, blank=True)
    route_position = models.PositiveSmallIntegerField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_inspections",
    )
    reason = models.CharField(
        max_length=500, blank=True, help_text=_("Why: e.g. the complaint, without personal data.")
    )
    status_reason = models.CharField(max_length=500, blank=True)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text=_("The inspection whose violations this re-inspection checks."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["planned_date", "route_position", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "planned_date"]),
            models.Index(fields=["location", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="assigned_inspection_has_inspector",
                condition=Q(status__in=["planned", "cancelled"]) | Q(assigned_to__isnull=False),
            ),
            models.CheckConstraint(
                name="inspection_window_in_order",
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gte=F("window_start")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"


class Submission(models.Model):
    """What the inspector sent from the field, once: legal evidence, kept as received.

    `id` is the UUID the app generated offline; replaying it with the same content returns this
    record, with other content it is a conflict (content_sha256 tells them apart).
    """

    id = models.UUIDField(primary_key=True, editable=False)
    inspection = models.OneToOneField(
        Inspection, on_delete=models.PROTECT, related_name="submission"
    )
    content_sha256 = models.CharField(max_length=64)
    payload = models.JSONField(help_text=_("The submission as received (canonical JSON)."))
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    arrival_point = models.PointField(srid=4326, null=True, blank=True)
    arrival_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    arrival_distance_m = models.PositiveIntegerField(null=True, blank=True)
    arrival_far = models.BooleanField(
        default=False,
        help_text=_("The arrival GPS lies farther from the location than FIELD_MAX_DISTANCE_M."),
    )
    observed_persons = models.PositiveIntegerField()
    observed_beds_in_use = models.PositiveIntegerField()
    observed_bedrooms_in_use = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="submission_times_in_order", condition=Q(ended_at__gte=F("started_at"))
            )
        ]

    def __str__(self) -> str:
        return f"submission {self.id}"


class Answer(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(
        "inspections.ChecklistItem", on_delete=models.PROTECT, related_name="+"
    )
    value = models.JSONField(null=True, help_text=_("null: not applicable"))
    passed = models.BooleanField(
        null=True, help_text=_("null: no pass or fail (counts, text, n/a)")
    )
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["inspection_id", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="unique_answer_per_item")
        ]


class Finding(models.Model):
    """Something found wrong on site; each finding is also a violation with a deadline."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(
        "inspections.ChecklistItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    severity = models.CharField(max_length=8, choices=Severity.choices)
    note = models.CharField(max_length=2000, blank=True)
    from_answer = models.BooleanField(
        default=False,
        help_text=_("Derived from a failing answer the inspector gave no finding for."),
    )

    class Meta:
        ordering = ["inspection_id", "id"]


class ViolationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Violation(models.Model):
    """A finding the party must remedy before the deadline, which depends on its severity."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="violation")
    location = models.ForeignKey(
        "inspections.HousingLocation", on_delete=models.PROTECT, related_name="violations"
    )
    severity = models.CharField(max_length=8, choices=Severity.choices)
    deadline = models.DateField()
    status = models.CharField(
        max_length=8, choices=ViolationStatus.choices, default=ViolationStatus.OPEN
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["location", "status"])]


class Photo(models.Model):
    """A photo taken in the field. The original is kept private as evidence; people see
    derivatives without EXIF. `id` is the UUID the app gave it; its content is deduplicated per
    inspection by SHA-256."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="photos")
    sha256 = models.CharField(max_length=64)
    original = models.FileField(storage=photo_storage, upload_to=photo_path, max_length=200)
    thumbnail = models.FileField(storage=photo_storage, upload_to=photo_path, max_length=200)
    screen = models.FileField(storage=photo_storage, upload_to=photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(
        null=True, blank=True, help_text=_("From EXIF, if the camera set it.")
    )
    gps_point = models.PointField(srid=4326, null=True, blank=True, help_text=_("From EXIF GPS."))
    distance_m = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Distance to the location in metres, measured in RD New."),
    )
    far_from_location = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["inspection_id", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "sha256"], name="unique_photo_content")
        ]


class PhotoReference(models.Model):
    """A photo the submission names, by the app's photo id; the photo itself may come later."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="photo_references"
    )
    photo_id = models.UUIDField()
    sha256 = models.CharField(max_length=64)
    item = models.ForeignKey(
        "inspections.ChecklistItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.CASCADE, related_name="photo_references"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "photo_id"], name="unique_photo_reference"
            )
        ]


class FeedRemoval(models.Model):
    """A deletion marker of the change feed: this user should drop this visit from the app."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    inspection_id = models.BigIntegerField()
    removed_at = models.DateTimeField(auto_now_add=True, db_index=True)
